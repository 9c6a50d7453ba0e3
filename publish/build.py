"""Build one snapshot folder from the warehouse marts: in full, or as the previous snapshot plus what changed.

Full: every mart is copied into a new snapshot.duckdb, written as Parquet and (the API's tables) into a
new serving.sqlite. Incremental (the daily case): the previous version's snapshot.duckdb and
serving.sqlite are copied, the ordinary marts (small, rebuilt by dbt on every run) are replaced, and the
incremental marts (INCREMENTAL_MARTS: tens of millions of ledger rows) receive only the rows dbt wrote
since the previous snapshot — by their ``_dbt_loaded_at`` stamp, which a dbt full refresh renews on every
row, so a rebuilt mart is taken whole. Their Parquet is one file per month: months the delta does not
touch are hard links to the previous version's (immutable) files.

Whatever the route, the result is verified the same way (row counts of warehouse, DuckDB copy, Parquet and
serving store agree; for incremental marts also the newest stamp), and a mismatch fails the publish.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from gjj.settings import Settings
from publish.contract import CONTRACT, INCREMENTAL_MARTS, SERVING_TABLES
from publish.serving_store import replace_serving_rows, write_serving_store

MANIFEST = "manifest.json"
STAMP = "_dbt_loaded_at"
# Above this share of changed rows an incremental mart is simply copied whole.
WHOLE_COPY_SHARE = 0.5


class PublishError(RuntimeError):
    """The warehouse cannot be published (missing table, contract break, count mismatch …)."""


class StaleBase(PublishError):
    """Previous snapshot + delta does not reproduce the warehouse (e.g. marts replaced without new
    stamps): the publisher builds the version in full instead."""


@dataclass
class MartPlan:
    """How one mart gets into the new snapshot."""

    rows: int = 0
    delta_rows: int | None = None  # None: copied whole
    months: set[str] = field(default_factory=set)  # Parquet months to (re)write, incremental marts only
    stamp: str | None = None  # newest _dbt_loaded_at, incremental marts only

    @property
    def whole(self) -> bool:
        return self.delta_rows is None


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def step(name: str) -> None:
    """Hook between publish steps (tests inject failures here)."""


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    row = con.execute(sql, params or []).fetchone()
    return row[0] if row else None


def _stamp(con: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    """Newest _dbt_loaded_at of an incremental mart (ISO text), None when it is empty."""
    value = _scalar(con, f'SELECT max("{STAMP}") FROM {relation}')
    return None if value is None else str(value)


def _mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh' "
                       "AND table_schema = 'marts' ORDER BY table_name").fetchall()
    return [str(r[0]) for r in rows]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> dict[str, str]:
    return {str(c): str(d) for c, d in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ? "
        "AND table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position", [catalog, table]).fetchall()}


def _check_contract(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    missing = sorted(set(CONTRACT) - set(tables))
    if missing:
        raise PublishError(f"warehouse lacks contract marts / 数仓缺少约定的集市表: {', '.join(missing)}")
    for table, columns in CONTRACT.items():
        lacking = sorted(set(columns) - set(_columns(con, "wh", table)))
        if lacking:
            raise PublishError(f"marts.{table} lacks contract columns / 缺少约定字段: {', '.join(lacking)}")
    for table in INCREMENTAL_MARTS:
        if table in tables and STAMP not in _columns(con, "wh", table):
            raise PublishError(f"incremental mart marts.{table} lacks {STAMP} / 增量集市缺少写入时间戳")


def _month_expr(table: str) -> str:
    return f"coalesce(strftime(\"{INCREMENTAL_MARTS[table][1]}\", '%Y-%m'), 'none')"


def usable_base(base: Path | None) -> dict[str, object] | None:
    """The previous snapshot's manifest if the new one can be built on it, else None (full build)."""
    if base is None or not (base / MANIFEST).is_file():
        return None
    manifest = json.loads((base / MANIFEST).read_text())
    if manifest.get("duckdb_version") != duckdb.__version__ or "stamps" not in manifest:
        return None
    if not all((base / f).is_file() for f in ("snapshot.duckdb", "serving.sqlite")):
        return None
    return manifest


def _plan_marts(con: duckdb.DuckDBPyConnection, tables: list[str],
                base: dict[str, object] | None) -> dict[str, MartPlan]:
    """Decide per mart: whole copy or delta, and stage each incremental mart's delta in a temp table."""
    stamps: dict[str, str] = dict(base["stamps"]) if base else {}  # type: ignore[call-overload]
    base_tables: dict[str, dict[str, object]] = dict(base["tables"]) if base else {}  # type: ignore[call-overload]
    plans: dict[str, MartPlan] = {}
    for t in tables:
        plan = plans[t] = MartPlan(rows=int(_scalar(con, f'SELECT count(*) FROM wh.marts."{t}"')))  # type: ignore[call-overload]
        if t not in INCREMENTAL_MARTS:
            continue
        plan.stamp = _stamp(con, f'wh.marts."{t}"')
        if plan.stamp is None:  # empty mart: nothing to build on
            continue
        same_shape = t in base_tables and base_tables[t].get("columns") == _columns(con, "wh", t)
        if t not in stamps or not same_shape:
            continue
        con.execute(f'CREATE TEMP TABLE "delta_{t}" AS SELECT * FROM wh.marts."{t}" WHERE "{STAMP}" > ?::TIMESTAMP',
                    [stamps[t]])
        delta = int(_scalar(con, f'SELECT count(*) FROM "delta_{t}"'))  # type: ignore[call-overload]
        if delta > WHOLE_COPY_SHARE * plan.rows:
            con.execute(f'DROP TABLE "delta_{t}"')
            continue
        plan.delta_rows = delta
    return plans


def _copy_marts(con: duckdb.DuckDBPyConnection, plans: dict[str, MartPlan]) -> None:
    """Bring snap.marts up to the warehouse: whole copies, or delete+insert of the delta by key."""
    con.execute("CREATE SCHEMA IF NOT EXISTS snap.marts")
    have = {str(r[0]) for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_catalog = 'snap' AND table_schema = 'marts'").fetchall()}
    for gone in sorted(have - set(plans)):
        con.execute(f'DROP TABLE snap.marts."{gone}"')
    for t, plan in plans.items():
        if plan.whole:
            con.execute(f'CREATE OR REPLACE TABLE snap.marts."{t}" AS SELECT * FROM wh.marts."{t}"')
            if t in INCREMENTAL_MARTS:
                plan.months = {str(m) for (m,) in con.execute(
                    f'SELECT DISTINCT {_month_expr(t)} FROM snap.marts."{t}"').fetchall()}
            continue
        key = INCREMENTAL_MARTS[t][0]
        # the versions the delta replaces (the serving store deletes them by its own key)
        con.execute(f'CREATE TEMP TABLE "replaced_{t}" AS SELECT * FROM snap.marts."{t}" '
                    f'WHERE "{key}" IN (SELECT "{key}" FROM "delta_{t}")')
        # months the delta touches: those of its rows and of the versions it replaces
        plan.months = {str(m) for (m,) in con.execute(
            f'SELECT {_month_expr(t)} FROM "delta_{t}" UNION SELECT {_month_expr(t)} FROM "replaced_{t}"').fetchall()}
        con.execute(f'DELETE FROM snap.marts."{t}" WHERE "{key}" IN (SELECT "{key}" FROM "delta_{t}")')
        con.execute(f'INSERT INTO snap.marts."{t}" BY NAME SELECT * FROM "delta_{t}"')


def _write_parquet(con: duckdb.DuckDBPyConnection, staging: Path, base: Path | None,
                   plans: dict[str, MartPlan]) -> None:
    """Ordinary marts: parquet/<t>.parquet. Incremental marts: parquet/<t>/month=<YYYY-MM>/part.parquet,
    with the months the delta did not touch hard-linked from the previous version."""
    out = staging / "parquet"
    out.mkdir()
    for t, plan in plans.items():
        if t not in INCREMENTAL_MARTS:
            con.execute(f'COPY snap.marts."{t}" TO {_sql_str(out / f"{t}.parquet")} '
                        "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
            continue
        folder = out / t
        folder.mkdir()
        if plan.months:
            months = ", ".join("'" + m.replace("'", "''") + "'" for m in sorted(plan.months))
            con.execute(f'COPY (SELECT *, {_month_expr(t)} AS month FROM snap.marts."{t}" WHERE {_month_expr(t)} '
                        f"IN ({months})) TO {_sql_str(folder)} (FORMAT parquet, COMPRESSION zstd, "
                        "ROW_GROUP_SIZE 122880, PARTITION_BY (month), FILENAME_PATTERN 'part', OVERWRITE_OR_IGNORE)")
        if plan.whole or base is None:
            continue
        for month_dir in (base / "parquet" / t).glob("month=*"):
            if month_dir.name.removeprefix("month=") not in plan.months:
                (folder / month_dir.name).mkdir()
                for f in month_dir.iterdir():
                    os.link(f, folder / month_dir.name / f.name)


def parquet_glob(snapshot_dir: Path, table: str) -> str:
    """The Parquet path (glob) of a mart in a snapshot folder."""
    if table in INCREMENTAL_MARTS:
        return str(snapshot_dir / "parquet" / table / "month=*" / "*.parquet")
    return str(snapshot_dir / "parquet" / f"{table}.parquet")


def _file_hashes(staging: Path, base: Path | None, base_manifest: dict[str, object] | None) -> dict[str, object]:
    """Size and sha256 of every file; files hard-linked from the previous version keep its hash."""
    known: dict[str, dict[str, object]] = dict(base_manifest["files"]) if base_manifest else {}  # type: ignore[call-overload]
    files: dict[str, object] = {}
    for p in sorted(p for p in staging.rglob("*") if p.is_file()):
        rel = str(p.relative_to(staging))
        old = base / rel if base else None
        if old is not None and rel in known and old.exists() and os.path.samefile(p, old):
            files[rel] = known[rel]
        else:
            files[rel] = {"bytes": p.stat().st_size, "sha256": _sha256(p)}
    return files


def build_snapshot(settings: Settings, staging: Path, version: int, base: Path | None,
                   note: str | None = None) -> dict[str, object]:
    """Write snapshot ``version`` into the empty folder ``staging`` (on top of ``base`` when usable);
    ``note`` is recorded in the manifest (why a version was built in full)."""
    warehouse = settings.warehouse_path
    if not warehouse.is_file():
        raise PublishError(f"no warehouse at {warehouse} / 数仓文件不存在")
    base_manifest = usable_base(base)
    if base_manifest is None:
        base = None
    staging.mkdir(parents=True)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def done(name: str) -> None:
        nonlocal clock
        seconds[name], clock = round(time.perf_counter() - clock, 2), time.perf_counter()
        step(name)

    db = staging / "snapshot.duckdb"
    if base is not None:
        shutil.copyfile(base / "snapshot.duckdb", db)
    con = duckdb.connect(config={"memory_limit": settings.duckdb_memory_limit,
                                 "temp_directory": str(staging.parent / ".publish-tmp")})
    try:
        # Named snapshot.duckdb so that readers write marts.<table> (a file named marts.duckdb would make
        # the catalog clash with the schema).
        con.execute(f"ATTACH {_sql_str(db)} AS snap")
        # Hold the warehouse only while copying it; everything after reads the copy.
        con.execute(f"ATTACH {_sql_str(warehouse)} AS wh (READ_ONLY)")
        tables = _mart_tables(con)
        _check_contract(con, tables)
        plans = _plan_marts(con, tables, base_manifest)
        _copy_marts(con, plans)
        con.execute("DETACH wh")
        con.execute("CHECKPOINT snap")
        done("duckdb")
        _write_parquet(con, staging, base, plans)
        done("parquet")
        con.execute("USE snap")
        if base is None:
            serving_rows = write_serving_store(con, staging / "serving.sqlite")
        else:
            shutil.copyfile(base / "serving.sqlite", staging / "serving.sqlite")
            deltas = {t: (f'temp.main."delta_{t}"', f'temp.main."replaced_{t}"')
                      for t, p in plans.items() if not p.whole}
            serving_rows = replace_serving_rows(con, staging / "serving.sqlite", deltas)
        done("serving")
        columns = {t: _columns(con, "snap", t) for t in tables}
        snap_rows = {t: int(_scalar(con, f'SELECT count(*) FROM marts."{t}"')) for t in tables}  # type: ignore[call-overload]
        pq_rows = {t: int(_scalar(con, "SELECT count(*) FROM read_parquet(?)",  # type: ignore[call-overload]
                                  [parquet_glob(staging, t)])) for t in tables}
        snap_stamps = {t: _stamp(con, f'marts."{t}"') for t in tables if t in INCREMENTAL_MARTS}
        con.execute("USE memory")
        con.execute("DETACH snap")
    finally:
        con.close()
    # The masked analyst edition (issue #5): what Superset and notebooks read; snapshot.duckdb stays restricted.
    from masking.edition import write_analyst_edition

    analyst = write_analyst_edition(staging, base, base_manifest,
                                    {t: (INCREMENTAL_MARTS[t][0], STAMP) for t, p in plans.items() if not p.whole},
                                    settings.duckdb_memory_limit)
    done("analyst")
    error = StaleBase if base is not None else PublishError
    for t, plan in plans.items():
        if not (plan.rows == snap_rows[t] == pq_rows[t] == serving_rows.get(t, plan.rows)):
            raise error(f"row counts differ for {t}: warehouse {plan.rows}, duckdb {snap_rows[t]}, "
                        f"parquet {pq_rows[t]}, serving {serving_rows.get(t)}")
        if t in snap_stamps and snap_stamps[t] != plan.stamp:
            raise error(f"{t}: newest {STAMP} {snap_stamps[t]} in the snapshot, {plan.stamp} in the warehouse")
    stat = warehouse.stat()
    manifest: dict[str, object] = {
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "built_on": None if base is None else base.name,
        "note": note,
        "source_warehouse": {"path": str(warehouse), "bytes": stat.st_size,
                             "modified_at": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")},
        "duckdb_version": duckdb.__version__,
        "serving_store": {"file": "serving.sqlite", "tables": sorted(serving_rows),
                          "amounts": "DECIMAL stored as TEXT with full scale; Decimal(text) round-trips exactly"},
        "stamps": {t: p.stamp for t, p in plans.items() if p.stamp is not None},
        "analyst_edition": analyst,
        "build_seconds": seconds,  # per publish step, for operators and the pipeline bench
        "tables": {t: {"rows": p.rows, "columns": columns[t],
                       "parquet": str(Path(parquet_glob(staging, t)).relative_to(staging)),
                       "in_serving_store": t in SERVING_TABLES,
                       "published": "whole" if p.whole else f"delta of {p.delta_rows} rows"}
                   for t, p in plans.items()},
    }
    manifest["files"] = _file_hashes(staging, base, base_manifest)
    done("manifest")
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return manifest
