"""Screening decisions and risk events leave masked per role (issue #5): audit evidence fields are masked like the
mart columns of the same name; fields no mart column is named like (record_key, event_id, free notes) fail closed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from masking.operators import mask_value
from masking.policy import ROLES
from serving.core.access import Consumer
from serving.core.errors import ApiError
from serving.core.output import columns_by_name, policies, present, render_records
from serving.routers import risk_events, screening  # noqa: F401  (their registrations)
from serving.schemas.screening import ScreeningDecision, ScreeningHit

PERSON = {"zjhm": "411202198001011234", "xingming": "欧阳明华", "sjhm": "13912345678", "grzh": "411200000001",
          "grzhye": "12345.67", "unexplained_code": "X-7 张三 13800001111"}
EVENT = {"event_id": "TQ-01:411200000001", "rule_id": "TQ-01", "rule_name": "提取超余额", "severity": "高",
         "record_key": "411200000001", "grzh": "411200000001", "dwzh": "411200000099", "zjhm": "411202198001011234",
         "state": "triggered", "department": None, "evidence": json.dumps(PERSON, ensure_ascii=False),
         "history": [{"changed_at": "2026-11-27 01:00:00", "actor": "审计员甲", "action": "assign", "note": "借款人张三"}]}


def _consumer(role: str) -> Consumer:
    return Consumer(id=f"t-{role}", name=role, department="测试", role=role, scopes=("*",), rate_limit="1000/second",
                    key_id="k")


def _expected(role: str, field: str, value: Any) -> Any:
    p = policies()
    if field in columns_by_name():
        ds, col = columns_by_name()[field]
        op, entity = p.operator(role, ds, col), p.entity(ds, col)
    else:
        op, entity = p.levels[role]["sensitive"], "FREE_TEXT"
    from masking.operators import masking_key

    return op, mask_value(op, entity, value, masking_key() if op.name == "pseudonym" else None)


def _check_record(role: str, original: dict[str, Any], got: dict[str, Any], masked: dict[str, str], prefix: str) -> None:
    for field, value in original.items():
        op, want = _expected(role, field, value)
        assert got[field] == want, (role, field)
        if op.unmasked:
            assert f"{prefix}{field}" not in masked
        else:
            assert masked[f"{prefix}{field}"] == str(op) and got[field] != value, (role, field)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "public"])
def test_screening_evidence_is_masked_per_role(role: str) -> None:
    decision = ScreeningDecision(kind="withdrawal", decision="stop_payment", decision_zh="止付", rules_evaluated=3,
                                 elapsed_ms=1.0, reasons=[ScreeningHit(rule_id="TQ-01", rule_name="提取超余额",
                                                                       severity="高", record_key="411200000001",
                                                                       evidence=dict(PERSON))])
    body, masked, _ = present(decision, _consumer(role))
    hit = body["reasons"][0]
    assert (hit["rule_id"], hit["severity"], body["decision"]) == ("TQ-01", "高", "stop_payment")
    _check_record(role, {"record_key": "411200000001"}, hit, masked, "")
    _check_record(role, PERSON, hit["evidence"], masked, "evidence.")


def test_roles_below_auditor_never_see_identifiers_in_clear() -> None:
    for role in ("analyst", "business_officer", "leader"):
        decision = ScreeningDecision(kind="loan", decision="manual_review", decision_zh="人工复核", rules_evaluated=1,
                                     elapsed_ms=1.0, reasons=[ScreeningHit(rule_id="DK-05", rule_name="x", severity="中",
                                                                           record_key="r", evidence=dict(PERSON))])
        text = json.dumps(present(decision, _consumer(role))[0], ensure_ascii=False)
        assert PERSON["zjhm"] not in text and PERSON["sjhm"] not in text and "13800001111" not in text, role


@pytest.mark.parametrize("role", [r for r in ROLES if r != "public"])
def test_risk_events_are_masked_per_role(role: str) -> None:
    response = risk_events._masked([dict(EVENT)], _consumer(role))  # evidence JSON parsed, then masked
    row = json.loads(bytes(response.body))[0]
    masked = dict(kv.split("=", 1) for kv in response.headers["X-Masked-Fields"].split(",") if kv)
    assert (row["rule_id"], row["state"], row["severity"]) == ("TQ-01", "triggered", "高")
    _check_record(role, {k: EVENT[k] for k in ("event_id", "record_key", "grzh", "dwzh", "zjhm")}, row, masked, "")
    _check_record(role, PERSON, row["evidence"], masked, "evidence.")
    _check_record(role, {"actor": "审计员甲", "note": "借款人张三"}, row["history"][0], masked, "history.")
    assert response.headers["X-Rows-Returned"] == "1"


def test_public_gets_403_not_a_page_of_nulls() -> None:
    with pytest.raises(ApiError) as e:
        render_records([dict(EVENT)], _consumer("public"))
    assert e.value.status == 403
