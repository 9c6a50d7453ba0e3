from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from gjj.settings import Settings
from publish import PublishError, list_versions, publish_snapshot, read_current, rollback
from publish import build as build_mod
from publish import snapshot as snapshot_mod
from publish.synthetic import build_synthetic_warehouse


def _current(s: Settings) -> int | None:
    return read_current(s.snapshots_dir)


def test_publish_creates_v1_with_manifest_and_current(settings: Settings) -> None:
    info = publish_snapshot(settings)
    v1 = settings.snapshots_dir / "v1"
    assert info.version == 1 and info.current and info.path == v1
    assert (settings.snapshots_dir / "CURRENT").read_text().strip() == "v1"
    assert {p.name for p in v1.iterdir()} == {"snapshot.duckdb", "analyst.duckdb", "parquet", "serving.sqlite",
                                           "manifest.json"}  # analyst.duckdb: the session has a masking key
    manifest = json.loads((v1 / "manifest.json").read_text())
    assert manifest["version"] == 1 and manifest["source_warehouse"]["path"] == str(settings.warehouse_path)
    assert manifest["tables"]["member_transaction"]["rows"] == 50 * 12
    assert manifest["tables"]["member_account"]["rows"] == 50
    assert set(manifest["files"]) >= {"snapshot.duckdb", "serving.sqlite", "parquet/member_account.parquet",
                                      "parquet/indicator_monthly.parquet"}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    assert not list(settings.snapshots_dir.glob(".staging-*"))


def test_snapshot_copies_are_exact(settings: Settings) -> None:
    publish_snapshot(settings)
    v1 = settings.snapshots_dir / "v1"
    wh = duckdb.connect(str(settings.warehouse_path), read_only=True)
    expected = wh.execute("SELECT grzh, grzhye, dwjcbl FROM marts.member_account ORDER BY grzh").fetchall()
    wh.close()
    snap = duckdb.connect(str(v1 / "snapshot.duckdb"), read_only=True)
    assert snap.execute("SELECT grzh, grzhye, dwjcbl FROM marts.member_account ORDER BY grzh").fetchall() == expected
    assert snap.execute(f"SELECT grzh, grzhye, dwjcbl FROM read_parquet('{v1 / 'parquet' / 'member_account.parquet'}') "
                        "ORDER BY grzh").fetchall() == expected
    snap.close()
    lite = sqlite3.connect(v1 / "serving.sqlite")
    got = [(g, Decimal(b), Decimal(r)) for g, b, r in
           lite.execute("SELECT grzh, grzhye, dwjcbl FROM member_account ORDER BY grzh")]
    assert got == expected  # amounts round-trip exactly, scale included
    assert [str(r) for _, _, r in got][:1] == ["0.1200"]
    plan = " ".join(str(r) for r in lite.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM member_transaction WHERE grzh = ? ORDER BY jzrq DESC, ywlsh DESC", ("x",)))
    assert "USING PRIMARY KEY (grzh=?)" in plan


def test_second_publish_then_rollback(settings: Settings) -> None:
    publish_snapshot(settings)
    assert publish_snapshot(settings).version == 2
    assert _current(settings) == 2
    assert rollback(settings).version == 1
    assert _current(settings) == 1
    assert rollback(settings, to_version=2).version == 2
    with pytest.raises(PublishError):
        rollback(settings, to_version=7)
    rollback(settings, to_version=1)
    with pytest.raises(PublishError):
        rollback(settings)  # nothing older than v1


def test_keeps_last_n_versions_never_the_current(settings: Settings) -> None:
    for _ in range(4):
        publish_snapshot(settings)
    assert [i.version for i in list_versions(settings)] == [2, 3, 4]  # snapshots_kept=3
    rollback(settings, to_version=2)
    publish_snapshot(settings)  # v5: newest three are 3, 4, 5 — v2 no longer current, pruned
    assert [i.version for i in list_versions(settings)] == [3, 4, 5]
    one = settings.model_copy(update={"snapshots_kept": 1})
    rollback(one, to_version=3)
    snapshot_mod._prune(one.snapshots_dir, 1, 3)  # keep 1 — but never the current
    assert [i.version for i in list_versions(one)] == [3, 5]


@pytest.mark.parametrize("step", ["duckdb", "parquet", "serving", "manifest", "rename"])
def test_failure_midway_publishes_nothing(settings: Settings, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    publish_snapshot(settings)
    current_bytes = (settings.snapshots_dir / "CURRENT").read_bytes()

    def boom(name: str) -> None:
        if name == step:
            raise RuntimeError(f"injected failure at {name}")

    monkeypatch.setattr(build_mod, "step", boom)
    with pytest.raises(RuntimeError, match="injected"):
        publish_snapshot(settings)
    assert (settings.snapshots_dir / "CURRENT").read_bytes() == current_bytes
    assert sorted(p.name for p in settings.snapshots_dir.iterdir() if not p.name.startswith(".")) == ["CURRENT", "v1"]
    assert not list(settings.snapshots_dir.glob(".staging-*"))
    monkeypatch.undo()
    assert publish_snapshot(settings).version == 2


def test_missing_contract_table_publishes_nothing(settings: Settings) -> None:
    publish_snapshot(settings)
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("DROP TABLE marts.unit_summary")
    con.close()
    with pytest.raises(PublishError, match="unit_summary"):
        publish_snapshot(settings)
    assert _current(settings) == 1
    assert [i.version for i in list_versions(settings)] == [1]


def test_no_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="no warehouse"):
        publish_snapshot(Settings(lakehouse_root=tmp_path))
    assert read_current(tmp_path / "snapshots") is None


def test_reader_on_v1_keeps_working_while_v2_is_published_and_v1_pruned(settings: Settings) -> None:
    publish_snapshot(settings)
    v1 = settings.snapshots_dir / "v1"
    duck = duckdb.connect(str(v1 / "snapshot.duckdb"), read_only=True)
    lite = sqlite3.connect((v1 / "serving.sqlite").as_uri() + "?mode=ro", uri=True)
    before = duck.execute("SELECT count(*) FROM marts.member_transaction").fetchone()
    # a new build with more rows, published twice with keep=1: v1 is deleted under the open readers
    build_synthetic_warehouse(settings.warehouse_path, accounts=60, txns_per_account=12, units=5, months=6)
    one = settings.model_copy(update={"snapshots_kept": 1})
    v2 = publish_snapshot(one).path
    # same stamps but different rows (not a dbt run): the delta cannot reproduce it, v2 is built in full
    assert json.loads((v2 / "manifest.json").read_text())["note"].startswith("built in full: row counts differ")
    assert publish_snapshot(one).version == 3 and not v1.exists()
    assert duck.execute("SELECT count(*) FROM marts.member_transaction").fetchone() == before == (600,)
    assert lite.execute("SELECT count(*) FROM member_transaction").fetchone() == (600,)
    duck.close()
    lite.close()


def _same_rows(a: duckdb.DuckDBPyConnection, left: str, right: str) -> bool:
    return a.execute(f"SELECT count(*) FROM (({left} EXCEPT ALL {right}) UNION ALL ({right} EXCEPT ALL {left}))"
                     ).fetchone() == (0,)


def test_second_publish_applies_only_the_changed_ledger_rows(settings: Settings) -> None:
    v1 = publish_snapshot(settings).path
    # a daily dbt run: two rows changed, three new ones (one in a new month), stamped by the run
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("UPDATE marts.member_transaction SET zhaiyao = '冲正', _dbt_loaded_at = TIMESTAMP '2026-11-02 02:00:00' "
                "WHERE ywlsh IN (SELECT min(ywlsh) FROM marts.member_transaction UNION SELECT max(ywlsh) "
                "FROM marts.member_transaction)")
    con.execute("INSERT INTO marts.member_transaction SELECT 'N' || ywlsh[2:], grzh, dwzh, DATE '2026-11-02', gjhtqywlx, "
                "fse, fslxe, grzhye, tqyy, tqfs, czbz, '2026-11', zhaiyao, TIMESTAMP '2026-11-02 02:00:00' "
                "FROM marts.member_transaction ORDER BY ywlsh LIMIT 3")
    con.execute("UPDATE marts.member_account SET grzhye = grzhye + 1")
    con.close()

    v2 = publish_snapshot(settings).path
    manifest = json.loads((v2 / "manifest.json").read_text())
    assert manifest["built_on"] == "v1"
    assert manifest["tables"]["member_transaction"]["published"] == "delta of 5 rows"
    assert manifest["tables"]["member_account"]["published"] == "whole"
    con = duckdb.connect()
    con.execute(f"ATTACH '{settings.warehouse_path}' AS wh (READ_ONLY)")
    con.execute(f"ATTACH '{v2 / 'snapshot.duckdb'}' AS snap (READ_ONLY)")
    for t in ("member_transaction", "member_account", "unit_summary", "indicator_monthly"):
        assert _same_rows(con, f"SELECT * FROM wh.marts.{t}", f"SELECT * FROM snap.marts.{t}"), t
        assert _same_rows(con, f"SELECT * FROM wh.marts.{t}",
                          f"SELECT * FROM read_parquet('{build_mod.parquet_glob(v2, t)}', hive_partitioning = false)"), t
    lite_rows = sqlite3.connect(v2 / "serving.sqlite").execute(
        "SELECT ywlsh, zhaiyao, jzrq FROM member_transaction").fetchall()
    assert sorted(lite_rows) == sorted(
        (y, z, str(d)) for y, z, d in con.execute("SELECT ywlsh, zhaiyao, jzrq FROM wh.marts.member_transaction").fetchall())
    con.close()
    # months the change did not touch are the previous version's files (hard links), new month written
    parts = {p.parent.name: p for p in (v2 / "parquet" / "member_transaction").glob("month=*/*.parquet")}
    untouched = [m for m in parts if m not in {"month=2016-01", "month=2016-12", "month=2026-11"}]
    assert untouched and all(parts[m].samefile(v1 / "parquet" / "member_transaction" / m / parts[m].name)
                             for m in untouched)
    assert not (v1 / "parquet" / "member_transaction" / "month=2026-11").exists() and "month=2026-11" in parts


def test_a_full_refresh_of_the_ledger_is_published_whole(settings: Settings) -> None:
    publish_snapshot(settings)
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("UPDATE marts.member_transaction SET _dbt_loaded_at = TIMESTAMP '2026-11-03 02:00:00'")
    con.close()
    manifest = json.loads((publish_snapshot(settings).path / "manifest.json").read_text())
    assert manifest["tables"]["member_transaction"]["published"] == "whole"
    assert publish_snapshot(settings, full=True).version == 3
