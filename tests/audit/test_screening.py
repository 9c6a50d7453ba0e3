"""Real-time screening: the same rules as the batch (differential test), graded decisions, the HTTP endpoint."""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl
import pytest
from fastapi.testclient import TestClient

from audit.catalog import load_catalog
from audit.engine import RunResult
from audit.screening import Screener, screening_rules
from audit.store import audit_db_path
from gjj.settings import Settings

WITHDRAWAL_COLS = ("tqsqh, w.grzh, w.dwzh, w.tqyy, w.tqje, w.tqqye, w.sqrq, w.sprq, w.tqzt, w.tqfs, w.qd, w.jkhtbh, "
                   "w.fwzj, w.bdcdyh, w.gfrq, s.skzhhm, s.skzhmc, s.dbrzjhm, s.dbrsjhm, s.bdcqzh, s.fwzl")


def _batch_hits(settings: Settings, kind: str, keys: list[str]) -> set[tuple[str, str]]:
    rules = [r.id for r in screening_rules(load_catalog(), kind)]
    con = duckdb.connect(str(audit_db_path(settings)), read_only=True)
    try:
        rows = con.execute(
            "SELECT rule_id, record_key FROM risk_event WHERE cleared_at IS NULL AND rule_id IN (SELECT unnest(?)) "
            "AND record_key IN (SELECT unnest(?))", [rules, keys]).fetchall()
    finally:
        con.close()
    return {(r, k) for r, k in rows}


def _sample(wh: duckdb.DuckDBPyConnection, settings: Settings, sql: str, planted: list[str], n: int) -> list[dict[str, Any]]:
    truth = pl.read_csv(str(settings.ground_truth_dir / "*.csv"), infer_schema_length=0)
    keys = truth.filter(pl.col("rule_id").is_in(planted))["record_key"].unique().to_list()
    cur = wh.execute(f"{sql} ORDER BY (k IN (SELECT unnest(?))) DESC, hash(k) LIMIT {len(keys) + n}", [keys])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_withdrawal_screening_matches_batch(screener: Screener, audit_run: tuple[Settings, RunResult],
                                            wh: duckdb.DuckDBPyConnection) -> None:
    settings, _ = audit_run
    rows = _sample(wh, settings, f"SELECT w.tqsqh AS k, {WITHDRAWAL_COLS} FROM marts.withdrawal w "
                   "JOIN staging.stg_core__withdrawals s USING (tqsqh)",
                   ["TQ-01", "TQ-03", "TQ-04", "TQ-07", "TQ-09", "TQ-15", "TQ-18", "TQ-22", "TQ-24"], 12)
    assert len(rows) > 40
    differ = []
    for row in rows:
        payload = {k: v for k, v in row.items() if k != "k"}
        decision = screener.screen("withdrawal", payload)
        online = {(h.rule_id, h.record_key) for h in decision.hits}
        batch = _batch_hits(settings, "withdrawal", decision.record_keys)
        if online != batch:
            differ.append((row["k"], sorted(online ^ batch)))
    assert not differ, differ[:5]


def test_loan_screening_matches_batch(screener: Screener, audit_run: tuple[Settings, RunResult],
                                      wh: duckdb.DuckDBPyConnection) -> None:
    settings, _ = audit_run
    rows = _sample(wh, settings, "SELECT c.jkhtbh AS k, c.* EXCLUDE (_ingested_at) FROM staging.stg_core__loan_contracts c",
                   ["DK-03", "DK-04", "DK-05", "DK-09"], 10)
    differ = []
    for row in rows:
        decision = screener.screen("loan", {k: v for k, v in row.items() if k != "k"})
        online = {(h.rule_id, h.record_key) for h in decision.hits}
        batch = _batch_hits(settings, "loan", decision.record_keys)
        if online != batch:
            differ.append((row["k"], sorted(online ^ batch)))
    assert not differ, differ[:5]


def test_graded_decisions(screener: Screener, wh: duckdb.DuckDBPyConnection) -> None:
    grzh, bal = wh.execute("SELECT grzh, grzhye FROM marts.member_account WHERE grzhzt = '01' AND grzhye > 5000 "
                           "AND dkye = 0 ORDER BY grzh LIMIT 1").fetchone()  # type: ignore[misc]
    over = screener.screen("withdrawal", {"grzh": grzh, "tqyy": "06", "tqje": float(bal) + 1000})
    assert over.decision == "stop_payment" and {"TQ-01", "TQ-18"} <= {h.rule_id for h in over.hits}
    phone = screener.screen("account_change", {"grzh": grzh, "sjhm": "12345"})
    assert phone.decision == "manual_review" and [h.rule_id for h in phone.hits] == ["JC-09"]
    fine = screener.screen("account_change", {"grzh": grzh, "sjhm": "13912345678"})
    assert fine.decision == "pass" and fine.decision_zh == "通过" and not fine.hits


def test_unknown_member_is_refused(screener: Screener) -> None:
    from audit.screening import ScreeningError

    with pytest.raises(ScreeningError) as err:
        screener.screen("withdrawal", {"grzh": "999999999999", "tqyy": "07", "tqje": 100})
    assert err.value.field == "grzh"


def test_screening_endpoint(client: TestClient, wh: duckdb.DuckDBPyConnection) -> None:
    grzh, bal = wh.execute("SELECT grzh, grzhye FROM marts.member_account WHERE grzhzt = '01' AND grzhye > 5000 "
                           "AND dkye = 0 ORDER BY grzh LIMIT 1").fetchone()  # type: ignore[misc]
    r = client.post("/v1/screening/withdrawal", json={"grzh": grzh, "tqyy": "06", "tqje": str(bal + 1000)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] == "stop_payment" and body["decision_zh"] == "止付"
    assert {"TQ-01", "TQ-18"} <= {h["rule_id"] for h in body["reasons"]}
    assert all(h["evidence"] for h in body["reasons"])
    ok = client.post("/v1/screening/account_change", json={"grzh": grzh, "sjhm": "13912345678"})
    assert ok.status_code == 200 and ok.json()["decision"] == "pass"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/screening/withdrawal", {"grzh": "12", "tqyy": "07", "tqje": 100}, "grzh"),
        ("/v1/screening/withdrawal", {"grzh": "411200000001", "tqyy": "7", "tqje": 100}, "tqyy"),
        ("/v1/screening/withdrawal", {"grzh": "411200000001", "tqyy": "07"}, "tqje"),
        ("/v1/screening/withdrawal", {"grzh": "411200000001", "tqyy": "07", "tqje": 1, "colour": "red"}, "colour"),
        ("/v1/screening/loan", {"jkrgjjzh": "411200000001", "htdkje": 1, "dkqs": 0, "jkhtll": 0.03, "fwzj": 1, "gfsfk": 0}, "dkqs"),
        ("/v1/screening/remittance", {"dwzh": "411200000001", "hbjny": "2026-13", "fse": 1, "persons": []}, "hbjny"),
        ("/v1/screening/withdrawal", {"grzh": "999999999999", "tqyy": "07", "tqje": 100}, "grzh"),
        ("/v1/screening/transfer", {"grzh": "411200000001"}, "kind"),
    ],
)
def test_malformed_request_gets_422_naming_the_field(client: TestClient, path: str, body: dict[str, Any], field: str) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert field in r.text
