"""End to end: a simulated center through the whole Dagster run, the published snapshot and the API.

Scale 0.01 in a temporary lakehouse: generate → ``prepare`` → ``run_all`` (extract, bronze feeds,
dbt build with checks, publish) → every API endpoint on the published snapshot; then one simulated
day later (``advance``) a second ``run_all``, and the same app object — no restart — serves the new
version with the new day's rows. The marts reconcile with the core system after each run.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from fastapi.testclient import TestClient

from gjj.settings import Settings

if TYPE_CHECKING:
    from orchestration.pipeline import PipelineResult

pytestmark = pytest.mark.integration

SCALE = 0.01
SEED = 11
# The day after this business date is a payday (units paying on the 10th, +3 days) with new ledger rows; after
# the default one (2026-10-31, a Saturday) the next day may bring no personal transaction at all.
BIZDATE = date(2026, 10, 12)
# well-formed (12 digits) but never issued (the test checks it is absent from the snapshot)
UNKNOWN_ID = "999999999999"


def _core_rows(settings: Settings, table: str) -> int:
    con = sqlite3.connect(f"file:{settings.sources_dir / 'core.sqlite'}?mode=ro", uri=True)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def _mart_rows(settings: Settings) -> dict[str, int]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return {
            t: int(con.execute(f"SELECT count(*) FROM marts.{t}").fetchone()[0])  # type: ignore[index]
            for t in ("member_account", "member_transaction", "unit_summary", "indicator_monthly")
        }
    finally:
        con.close()


def _serving_store(settings: Settings, version: int) -> sqlite3.Connection:
    from publish import version_dir

    path = version_dir(settings.snapshots_dir, version) / "serving.sqlite"
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)


def _assert_run_ok(result: PipelineResult, settings: Settings) -> None:
    from publish import read_current

    assert result.success, result.summary(settings)
    assert result.checks_failed == 0 and not result.failed_checks, result.failed_checks
    assert result.checks_passed > 0
    assert result.snapshot_version is not None
    assert read_current(settings.snapshots_dir) == result.snapshot_version


def _assert_reconciled(settings: Settings, result: PipelineResult) -> dict[str, int]:
    marts = _mart_rows(settings)
    assert marts["member_account"] == _core_rows(settings, "dp_indi_acct")
    assert marts["member_transaction"] == _core_rows(settings, "dp_indi_txn")
    # the published snapshot holds exactly the warehouse's marts
    from publish import list_versions

    published = next(i for i in list_versions(settings) if i.version == result.snapshot_version)
    for table, rows in marts.items():
        assert published.tables[table] == rows, table
    return marts


def _walk_transactions(client: TestClient, grzh: str, limit: int) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        r = client.get(f"/v1/members/{grzh}/transactions", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_pipeline_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingestion.simulator.generate import advance, generate
    from orchestration.pipeline import prepare, run_all
    from serving.app import create_app

    root = tmp_path / "lakehouse"
    settings = Settings(lakehouse_root=root)
    # run_all points both at this lakehouse too; monkeypatch puts the previous values back afterwards
    monkeypatch.setenv("GJJ_LAKEHOUSE_ROOT", str(settings.root))
    monkeypatch.setenv("DAGSTER_HOME", str(settings.root / "dagster"))

    generate(settings, settings.core_url, SCALE, SEED, bizdate=BIZDATE)
    prepare(settings)
    first = run_all(settings)
    _assert_run_ok(first, settings)
    v1 = first.snapshot_version
    assert v1 is not None
    marts = _assert_reconciled(settings, first)

    # real ids from the published snapshot: the member with the most transactions, and that member's unit
    store = _serving_store(settings, v1)
    try:
        grzh, n_txn = store.execute(
            "SELECT grzh, count(*) AS n FROM member_transaction GROUP BY grzh ORDER BY n DESC, grzh LIMIT 1"
        ).fetchone()
        (newest_v1,) = store.execute("SELECT max(jzrq) FROM member_transaction").fetchone()
        dwzh, grzhye = store.execute(
            "SELECT dwzh, grzhye FROM member_account WHERE grzh = ?", (grzh,)
        ).fetchone()
        if store.execute("SELECT 1 FROM unit_summary WHERE dwzh = ?", (dwzh,)).fetchone() is None:
            (dwzh,) = store.execute("SELECT dwzh FROM unit_summary ORDER BY dwzh LIMIT 1").fetchone()
        assert store.execute("SELECT 1 FROM member_account WHERE grzh = ?", (UNKNOWN_ID,)).fetchone() is None
        assert store.execute("SELECT 1 FROM unit_summary WHERE dwzh = ?", (UNKNOWN_ID,)).fetchone() is None
    finally:
        store.close()
    assert n_txn > 5

    from serving.core.access import issue_test_key

    key = issue_test_key(settings, "privileged")  # every /v1 call needs an API key (issue #5)
    with TestClient(create_app(settings), headers={"X-API-Key": key}) as client:
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok" and health.json()["snapshot_version"] == v1
        assert health.headers["X-Snapshot-Version"] == str(v1)

        # transactions: cursor pages walk every row once, newest first; offset paging agrees
        limit = max(2, n_txn // 3)
        walked = _walk_transactions(client, grzh, limit)
        keys = [(t["jzrq"], t["ywlsh"]) for t in walked]
        assert len(keys) == len(set(keys)) == n_txn
        assert keys == sorted(keys, reverse=True)
        page = client.get(f"/v1/members/{grzh}/transactions", params={"limit": 2, "offset": 1})
        assert page.status_code == 200 and page.headers["X-Snapshot-Version"] == str(v1)
        assert [t["ywlsh"] for t in page.json()["items"]] == [t["ywlsh"] for t in walked[1:3]]

        summary = client.get(f"/v1/members/{grzh}/summary")
        assert summary.status_code == 200, summary.text
        body = summary.json()
        assert body["grzh"] == grzh and body["jybs"] == n_txn and Decimal(body["grzhye"]) == Decimal(grzhye)

        unit = client.get(f"/v1/units/{dwzh}/summary")
        assert unit.status_code == 200, unit.text
        assert unit.json()["dwzh"] == dwzh

        monthly = client.get("/v1/indicators/monthly", params={"group_by": "month"})
        assert monthly.status_code == 200, monthly.text
        months = monthly.json()["items"]
        assert months and [m["tjny"] for m in months] == sorted({m["tjny"] for m in months})
        by_city = client.get(
            "/v1/indicators/monthly", params={"group_by": "month_xzqh", "month_from": months[-1]["tjny"]}
        )
        assert by_city.status_code == 200 and by_city.json()["items"]

        for path in (
            f"/v1/members/{grzh[:-1]}/summary",
            f"/v1/members/{grzh[:-1]}x/transactions",
            "/v1/units/41120000000/summary",
        ):
            bad = client.get(path)
            assert bad.status_code == 422, path
            assert bad.json()["code"] == "invalid_input"
        for path in (
            f"/v1/members/{UNKNOWN_ID}/summary",
            f"/v1/members/{UNKNOWN_ID}/transactions",
            f"/v1/units/{UNKNOWN_ID}/summary",
        ):
            missing = client.get(path)
            assert missing.status_code == 404, path
            assert missing.json()["code"] == "not_found"

        # one simulated day later: a second run publishes a new version, served without a restart
        advance(settings, settings.core_url, 1)
        second = run_all(settings)
        _assert_run_ok(second, settings)
        v2 = second.snapshot_version
        assert v2 is not None and v2 > v1
        marts2 = _assert_reconciled(settings, second)
        assert marts2["member_transaction"] > marts["member_transaction"]

        store = _serving_store(settings, v2)
        try:
            newest, new_grzh = store.execute(
                "SELECT jzrq, grzh FROM member_transaction ORDER BY jzrq DESC, grzh LIMIT 1"
            ).fetchone()
        finally:
            store.close()
        assert newest > newest_v1

        health = client.get("/health")  # the run took longer than the reload interval: the switch is due
        assert health.status_code == 200
        assert health.json()["snapshot_version"] == v2 and health.headers["X-Snapshot-Version"] == str(v2)
        latest = client.get(f"/v1/members/{new_grzh}/transactions", params={"limit": 1})
        assert latest.status_code == 200 and latest.headers["X-Snapshot-Version"] == str(v2)
        assert latest.json()["items"][0]["jzrq"] == newest
