"""Risk-event lifecycle: legal steps only, false positives, departments, notes, history, per-rule stats, API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from audit.engine import RunResult
from audit.lifecycle import STATES, LifecycleError, RiskEvents
from audit.store import audit_db_path
from gjj.settings import Settings


@pytest.fixture
def events(audit_run: tuple[Settings, RunResult], tmp_path: Path) -> RiskEvents:
    """A private copy of the audit store (the lifecycle writes it)."""
    settings, _ = audit_run
    store = tmp_path / "audit.duckdb"
    shutil.copy(audit_db_path(settings), store)
    return RiskEvents(store)


def _first(events: RiskEvents, rule_id: str) -> str:
    return str(events.find(rule_id=rule_id, limit=1)[0]["event_id"])


def test_full_lifecycle_with_history(events: RiskEvents) -> None:
    eid = _first(events, "TQ-22")
    events.assign(eid, "稽核科", "张三", "中介代办嫌疑")
    for state in STATES[1:]:
        after = events.transition(eid, state, "张三", note=f"→ {state}")
    assert after["state"] == "closed" and after["confirmed"] and not after["false_positive"]
    assert after["department"] == "稽核科"
    assert [h["to_state"] for h in after["history"]] == ["triggered", *STATES[1:]]
    assert after["history"][0]["action"] == "assign"


@pytest.mark.parametrize(("path", "target"), [((), "assessed"), ((), "closed"), (STATES[1:], "identified")])
def test_illegal_transitions_are_refused(events: RiskEvents, path: tuple[str, ...], target: str) -> None:
    eid = _first(events, "JC-01")
    for state in path:
        events.transition(eid, state, "李四")
    with pytest.raises(LifecycleError) as err:
        events.transition(eid, target, "李四")
    assert err.value.code == "illegal_transition"
    assert events.get(eid)["state"] == (path[-1] if path else "triggered")


def test_false_positive_feeds_rule_stats(events: RiskEvents) -> None:
    ids = [e["event_id"] for e in events.find(rule_id="TQ-18", limit=3)]
    events.mark_false_positive(ids[0], "王五", "商业贷款还贷提取，材料齐全")
    events.transition(ids[1], "identified", "王五")
    events.transition(ids[1], "assessed", "王五")
    events.transition(ids[1], "reported", "王五")
    stats = {s["rule_id"]: s for s in events.rule_stats()}
    tq18 = stats["TQ-18"]
    assert tq18["false_positives"] == 1 and tq18["confirmed"] == 1
    assert float(tq18["confirmed_rate"]) == 0.5 and float(tq18["false_positive_rate"]) == 0.5
    with pytest.raises(LifecycleError, match="illegal"):
        events.mark_false_positive(ids[1], "王五", "已上报的不能再标误报")
    note = events.add_note(ids[2], "赵六", "待补充材料")
    assert note["history"][-1]["note"] == "待补充材料" and note["state"] == "triggered"


def test_unknown_event(events: RiskEvents) -> None:
    with pytest.raises(LifecycleError) as err:
        events.get("XX-00:nothing")
    assert err.value.code == "not_found"


def test_risk_event_api(client: TestClient) -> None:
    listing = client.get("/v1/risk-events", params={"rule_id": "DK-05", "limit": 5})
    assert listing.status_code == 200 and listing.json()
    eid = listing.json()[0]["event_id"]
    r = client.post(f"/v1/risk-events/{eid}/assign", json={"department": "贷款科", "actor": "审计员甲"})
    assert r.status_code == 200 and r.json()["department"] == "贷款科"
    bad = client.post(f"/v1/risk-events/{eid}/transition", json={"to_state": "reported", "actor": "审计员甲"})
    assert bad.status_code == 409 and "identified" in bad.json()["message"]
    ok = client.post(f"/v1/risk-events/{eid}/transition", json={"to_state": "identified", "actor": "审计员甲"})
    assert ok.status_code == 200 and ok.json()["state"] == "identified"
    detail = client.get(f"/v1/risk-events/{eid}").json()
    assert [h["action"] for h in detail["history"]] == ["assign", "transition"]
    assert client.get("/v1/risk-events/XX-00:none").status_code == 404
    assert client.post(f"/v1/risk-events/{eid}/transition", json={"to_state": "flying", "actor": "x"}).status_code == 422
    stats = client.get("/v1/risk-events/rule-stats")
    assert stats.status_code == 200 and any(s["rule_id"] == "DK-05" for s in stats.json())
