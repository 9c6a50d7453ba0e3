"""Authentication, authorization, masking per role and the access log of the serving API (issue #5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from gjj.settings import Settings
from masking.anonymize import anonymize_text
from masking.operators import KEY_ENV
from masking.policy import ROLES
from serving.app import create_app
from serving.core.access import Registry, registry_path
from serving.core.output import _field_operator, policies

GRZH = "411200000001"
DWZH = "411200000001"
ENDPOINTS = {
    "members": [f"/v1/members/{GRZH}/summary", f"/v1/members/{GRZH}/transactions?limit=5"],
    "units": [f"/v1/units/{DWZH}/summary"],
    "indicators": ["/v1/indicators/monthly?group_by=month"],
}
MODELS = {f"/v1/members/{GRZH}/summary": "member_account", f"/v1/members/{GRZH}/transactions?limit=5":
          "member_transaction", f"/v1/units/{DWZH}/summary": "unit_summary",
          "/v1/indicators/monthly?group_by=month": "indicator_monthly"}


@pytest.fixture(autouse=True)
def _masking_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "test-only-masking-key-0123456789")


def _fields(body: dict[str, object]) -> list[tuple[str, object]]:
    """(field, value) of a response body, items flattened."""
    out: list[tuple[str, object]] = []
    for k, v in body.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                out += list(item.items())
        else:
            out.append((k, v))
    return out


@pytest.mark.parametrize("role", ROLES)
def test_role_endpoint_field_matrix(client: TestClient, api_key: Callable[..., str], role: str) -> None:
    """Every field of every endpoint, for every role: unmasked only where the policy says keep; otherwise masked
    (or null and named in X-Masked-Fields) — or the whole endpoint refused with 403."""
    key = api_key(role)
    raw = {url: client.get(url).json() for urls in ENDPOINTS.values() for url in urls}  # privileged default key
    p = policies()
    for url, dataset in MODELS.items():
        r = client.get(url, headers={"X-API-Key": key})
        if r.status_code == 403:
            assert "may not see" in r.json()["message_en"]
            continue
        assert r.status_code == 200, (role, url, r.text)
        masked = dict(f.split("=", 1) for f in r.headers["X-Masked-Fields"].split(",") if f)
        got, want = _fields(r.json()), _fields(raw[url])
        assert [f for f, _ in got] == [f for f, _ in want]
        for (field, value), (_, original) in zip(got, want, strict=True):
            op, _, is_data = _field_operator(p, role, dataset if field != "grzh" or "transactions" not in url
                                             else "member_transaction", field)
            if op.unmasked:
                assert value == original, (role, url, field)
            else:
                assert field in masked, (role, url, field, "masked field not declared")
                if op.name == "free_text":
                    assert original is None or value == anonymize_text(str(original)), (role, url, field)
                else:
                    assert original is None or value != original or op.name == "generalize", (role, url, field)
                if op.name == "redact":
                    assert value is None


def test_missing_malformed_unknown_expired_revoked_keys_are_401(shared_snapshot: Settings,
                                                                api_key: Callable[..., str]) -> None:
    url = f"/v1/members/{GRZH}/summary"
    reg = Registry(registry_path(shared_snapshot))
    good = api_key("analyst", consumer_id="neg-analyst")
    key_id = good.split("_")[1]
    expired = api_key("analyst", consumer_id="neg-expired", valid_days=-1)
    revoked = api_key("analyst", consumer_id="neg-revoked")
    assert reg.revoke(key_id=revoked.split("_")[1]) == 1
    with TestClient(create_app(shared_snapshot, reload_interval_s=0)) as c:
        assert c.get(url, headers={"X-API-Key": good}).status_code == 200
        assert c.get(url, headers={"Authorization": f"Bearer {good}"}).status_code == 200
        cases = {
            "missing": {}, "empty": {"X-API-Key": ""}, "malformed": {"X-API-Key": "not-a-key"},
            "unknown id": {"X-API-Key": "gjj_000000000000_" + good.split("_", 2)[2]},
            "tampered secret": {"X-API-Key": good[:-2] + ("AA" if not good.endswith("AA") else "BB")},
            "other key id": {"X-API-Key": f"gjj_{revoked.split('_')[1]}_{good.split('_', 2)[2]}"},
            "expired": {"X-API-Key": expired}, "revoked": {"X-API-Key": revoked},
            "sql injection": {"X-API-Key": f"gjj_{key_id}' OR '1'='1_x"},
        }
        for name, headers in cases.items():
            r = c.get(url, headers=headers)
            assert r.status_code == 401, (name, r.status_code, r.text)
            assert r.json()["code"] == "unauthenticated"
        assert "expired" in c.get(url, headers={"X-API-Key": expired}).json()["message_en"]
        assert "revoked" in c.get(url, headers={"X-API-Key": revoked}).json()["message_en"]


def test_out_of_scope_is_403_and_parameters_cannot_widen_it(client: TestClient, api_key: Callable[..., str]) -> None:
    key = api_key("privileged", ["indicators"], consumer_id="scoped-indicators")
    h = {"X-API-Key": key}
    assert client.get("/v1/indicators/monthly", headers=h).status_code == 200
    for url in [f"/v1/members/{GRZH}/summary", f"/v1/members/{GRZH}/summary?scope=members&role=privileged",
                f"/v1/units/{DWZH}/summary?consumer_id=test-privileged", "/v1/access-log",
                f"/v1/indicators/../members/{GRZH}/summary", f"/v1/members/{GRZH}/summary?X-API-Key=x"]:
        r = client.get(url, headers={**h, "X-Role": "privileged", "X-Scope": "members"})
        assert r.status_code in (403, 404), (url, r.status_code)
        if r.status_code == 403:
            assert "scope" in r.json()["message_en"] and "indicators" in r.json()["message_en"]
    analyst = api_key("analyst", consumer_id="analyst-log")
    r = client.get("/v1/access-log", headers={"X-API-Key": analyst})
    assert r.status_code == 403 and "auditor" in r.json()["message_en"]


@pytest.mark.parametrize("evil", ["' OR '1'='1", "1; DROP TABLE member_account; --", "411200000001' --",
                                  "\" OR 1=1 --", "%27%20OR%201%3D1"])
def test_sql_injection_strings_in_every_parameter_are_refused(client: TestClient, evil: str) -> None:
    urls = [f"/v1/members/{evil}/summary", f"/v1/members/{GRZH}/transactions?type={evil}",
            f"/v1/members/{GRZH}/transactions?cursor={evil}", f"/v1/members/{GRZH}/transactions?date_from={evil}",
            f"/v1/units/{evil}/summary", f"/v1/indicators/monthly?xzqh={evil}", f"/v1/indicators/monthly?dwlb={evil}",
            f"/v1/indicators/monthly?month_from={evil}", f"/v1/access-log?consumer_id={evil}"]
    for url in urls:
        r = client.get(url)
        assert r.status_code in (200, 404, 422), (url, r.status_code)
        if r.status_code == 200:  # dwlb / consumer_id are free strings: bound as parameters, match nothing
            assert r.json()["items"] == [], url
    assert client.get(f"/v1/members/{GRZH}/summary").status_code == 200  # nothing was dropped


def test_n_requests_make_n_log_rows(shared_snapshot: Settings, api_key: Callable[..., str]) -> None:
    key = api_key("analyst", consumer_id="log-counter")
    reg = Registry(registry_path(shared_snapshot))
    before = len(reg.read_log("log-counter", None, 500))
    since = datetime.now(UTC).isoformat()
    with TestClient(create_app(shared_snapshot, reload_interval_s=0)) as c:
        statuses = []
        for i in range(12):
            url = [f"/v1/members/{GRZH}/summary", f"/v1/members/{GRZH}/transactions?limit=3",
                   "/v1/members/x/summary", "/v1/access-log"][i % 4]
            statuses.append(c.get(url, headers={"X-API-Key": key, "X-Purpose": quote(f"测试{i}")}).status_code)
        c.get(f"/v1/members/{GRZH}/summary")  # unauthenticated: logged too
    rows = list(reversed(reg.read_log("log-counter", None, 500)))
    assert len(rows) - before == 12
    new = rows[before:]
    assert [r["status"] for r in new] == statuses
    assert [r["purpose"] for r in new] == [f"测试{i}" for i in range(12)]
    first = new[0]
    assert first["endpoint"] == f"/v1/members/{GRZH}/summary" and first["rows_returned"] == 1
    assert "zjhm" in json.loads(str(first["masked_fields"])) and "zjhm" not in json.loads(str(first["unmasked_fields"]))
    assert new[1]["rows_returned"] == 3 and json.loads(str(new[1]["params"]))["limit"] == "3"
    anon = [r for r in reg.read_log(None, since, 500) if r["consumer_id"] is None]
    assert anon and anon[0]["status"] == 401
    with pytest.raises(Exception, match="append-only"):
        reg._con().execute("DELETE FROM access_log")


def test_failed_log_write_fails_the_request(shared_snapshot: Settings, api_key: Callable[..., str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    key = api_key("analyst", consumer_id="log-broken")
    with TestClient(create_app(shared_snapshot, reload_interval_s=0)) as c:
        def broken(*a: object, **kw: object) -> None:
            raise OSError("disk full")
        monkeypatch.setattr(c.app.state.registry, "log", broken)  # type: ignore[attr-defined]
        r = c.get(f"/v1/members/{GRZH}/summary", headers={"X-API-Key": key})
        assert r.status_code == 503 and r.json()["code"] == "audit_log_unavailable"
        assert "zjhm" not in r.text


def test_rate_limit_per_consumer(shared_snapshot: Settings, api_key: Callable[..., str]) -> None:
    slow = api_key("analyst", consumer_id="rate-3", rate_limit="3/minute")
    other = api_key("analyst", consumer_id="rate-other")
    with TestClient(create_app(shared_snapshot, reload_interval_s=0)) as c:
        codes = [c.get("/v1/indicators/monthly", headers={"X-API-Key": slow}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = c.get("/v1/indicators/monthly", headers={"X-API-Key": slow})
        assert int(r.headers["Retry-After"]) >= 1 and r.json()["code"] == "rate_limited"
        assert c.get("/v1/indicators/monthly", headers={"X-API-Key": other}).status_code == 200


def test_auditors_read_the_log(client: TestClient, api_key: Callable[..., str]) -> None:
    auditor = api_key("auditor", consumer_id="auditor-1")
    client.get(f"/v1/members/{GRZH}/summary", headers={"X-Purpose": quote("核查")})
    r = client.get("/v1/access-log?consumer_id=test-privileged&limit=5", headers={"X-API-Key": auditor})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and all(i["consumer_id"] == "test-privileged" for i in items)
    assert any(i["purpose"] == "核查" for i in items)


def test_expired_key_registry_dates(shared_snapshot: Settings) -> None:
    reg = Registry(registry_path(shared_snapshot))
    reg.add_consumer("dates", "d", "d", "analyst", ["*"])
    key = reg.issue_key("dates", valid_days=1)
    consumer = reg.authenticate(key)
    assert not isinstance(consumer, str) and consumer.role == "analyst"
    stored = [k for k in reg.list_keys() if k[1] == "dates"][0]
    assert datetime.fromisoformat(str(stored[5])) > datetime.now(UTC) + timedelta(hours=23)
    assert key.split("_", 2)[2] not in json.dumps([list(map(str, k)) for k in reg.list_keys()])  # secret never stored


def test_access_report(shared_snapshot: Settings, api_key: Callable[..., str]) -> None:
    key = api_key("analyst", consumer_id="report-1")
    with TestClient(create_app(shared_snapshot, reload_interval_s=0)) as c:
        for _ in range(3):
            c.get(f"/v1/members/{GRZH}/summary", headers={"X-API-Key": key, "X-Purpose": quote("稽核")})
        c.get("/v1/access-log", headers={"X-API-Key": key})
    row = next(r for r in Registry(registry_path(shared_snapshot)).report() if r["consumer"] == "report-1")
    assert (row["requests"], row["refused"], row["rows_returned"]) == (4, 1, 3)
    assert row["purposes"] == "稽核" and "zjhm" not in row["unmasked_fields"] and "grzhye" in row["unmasked_fields"]


def test_unregistered_response_models_fail_closed() -> None:
    from pydantic import BaseModel

    from serving.core.access import Consumer
    from serving.core.errors import ApiError
    from serving.core.output import present, register_response_model

    class ScreenTile(BaseModel):
        dwmc: str
        dwzhye: str

    analyst = Consumer("t", "t", "t", "analyst", ("*",), "1/second", "k")
    with pytest.raises(ApiError) as refused:  # analyst: sensitive → redact, every field → 403
        present(ScreenTile(dwmc="三门峡市某公司", dwzhye="1.00"), analyst)
    assert refused.value.status == 403
    register_response_model(ScreenTile, "unit_summary")
    body, masked, unmasked = present(ScreenTile(dwmc="三门峡市某公司", dwzhye="1.00"), analyst)
    assert body == {"dwmc": "三门峡市某公司", "dwzhye": "1.00"} and not masked and unmasked == {"dwmc", "dwzhye"}
