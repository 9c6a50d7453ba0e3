from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from fastapi.testclient import TestClient

from gjj.settings import Settings
from publish import publish_snapshot, rollback
from publish.synthetic import build_synthetic_warehouse
from serving.app import create_app

TXNS = 30  # conftest.TXNS
GRZH = "411200000001"
DWZH = "411200000001"


def test_health_reports_snapshot_version(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["snapshot_version"] == 1 and r.headers["X-Snapshot-Version"] == "1"


def test_member_summary(client: TestClient, shared_snapshot: Settings) -> None:
    r = client.get(f"/v1/members/{GRZH}/summary")
    assert r.status_code == 200
    body = r.json()
    con = duckdb.connect(str(shared_snapshot.warehouse_path), read_only=True)
    bal, status = con.execute("SELECT grzhye, grzhzt FROM marts.member_account WHERE grzh = ?", [GRZH]).fetchone()
    con.close()
    assert Decimal(body["grzhye"]) == bal and body["grzhzt"] == status
    assert body["grzhzt_mc"] == {"01": "正常", "02": "封存", "05": "提取销户"}[status]
    assert body["jybs"] == TXNS and body["dwjcbl"] == "0.1200"


def test_transactions_cursor_pagination_walks_everything_once(client: TestClient) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        r = client.get(f"/v1/members/{GRZH}/transactions", params=params)
        assert r.status_code == 200
        body = r.json()
        seen += [(t["jzrq"], t["ywlsh"]) for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == TXNS and pages == 5
    assert seen == sorted(seen, reverse=True)  # newest first


def test_transactions_offset_and_filters(client: TestClient) -> None:
    full = client.get(f"/v1/members/{GRZH}/transactions", params={"limit": 500}).json()["items"]
    page = client.get(f"/v1/members/{GRZH}/transactions", params={"limit": 5, "offset": 5}).json()
    assert page["items"] == full[5:10] and page["offset"] == 5
    typed = client.get(f"/v1/members/{GRZH}/transactions", params={"type": "01", "limit": 500}).json()["items"]
    assert typed and all(t["gjhtqywlx"] == "01" for t in typed) and len(typed) < len(full)
    dated = client.get(f"/v1/members/{GRZH}/transactions",
                       params={"date_from": "2016-06-01", "date_to": "2016-12-31", "limit": 500}).json()["items"]
    assert dated and all("2016-06-01" <= t["jzrq"] <= "2016-12-31" for t in dated)
    withdrawal = next(t for t in full if t["gjhtqywlx"] in ("11", "12"))
    assert Decimal(withdrawal["fse"]) < 0


def test_unit_summary(client: TestClient) -> None:
    r = client.get(f"/v1/units/{DWZH}/summary")
    assert r.status_code == 200 and r.json()["dwzh"] == DWZH and r.json()["dwzhye"] == "100000.00"


def test_indicators_ratios_at_requested_grouping(client: TestClient) -> None:
    r = client.get("/v1/indicators/monthly", params={"month_from": "2024-02", "month_to": "2024-03", "group_by": "month"})
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["tjny"] for i in items] == ["2024-02", "2024-03"] and items[0]["xzqh"] is None
    for i in items:
        assert i["tql"] == pytest.approx(float(Decimal(i["tqe"]) / Decimal(i["jce"])), abs=1e-6)
        assert i["gdl"] == pytest.approx(float(Decimal(i["dkye"]) / Decimal(i["jcye"])), abs=1e-6)
    grain = client.get("/v1/indicators/monthly", params={"month_from": "2024-02", "month_to": "2024-02"}).json()["items"]
    assert len(grain) == 6 * 4 and sum(Decimal(g["jce"]) for g in grain) == Decimal(items[0]["jce"])
    one = client.get("/v1/indicators/monthly", params={"xzqh": "411202", "dwlb": "01", "group_by": "month_xzqh"}).json()
    assert len(one["items"]) == 6 and {i["xzqh"] for i in one["items"]} == {"411202"}


@pytest.mark.parametrize("url", [
    "/v1/members/411299999999/summary", "/v1/members/411299999999/transactions", "/v1/units/411299999999/summary",
])
def test_unknown_ids_are_404(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert "411299999999" in r.json()["message_zh"] and "not found" in r.json()["message_en"]


@pytest.mark.parametrize(("url", "field"), [
    ("/v1/members/41120000001/summary", "grzh"),
    ("/v1/members/4112000000011/transactions", "grzh"),
    ("/v1/units/41120000000a/summary", "dwzh"),
    (f"/v1/members/{GRZH}/transactions?date_from=2024-02-30", "date_from"),
    (f"/v1/members/{GRZH}/transactions?date_to=yesterday", "date_to"),
    (f"/v1/members/{GRZH}/transactions?limit=501", "limit"),
    (f"/v1/members/{GRZH}/transactions?limit=0", "limit"),
    (f"/v1/members/{GRZH}/transactions?offset=-1", "offset"),
    (f"/v1/members/{GRZH}/transactions?type=1", "type"),
    ("/v1/indicators/monthly?month_from=2024-13", "month_from"),
    ("/v1/indicators/monthly?month_to=2024-1", "month_to"),
    ("/v1/indicators/monthly?xzqh=4112", "xzqh"),
    ("/v1/indicators/monthly?group_by=year", "group_by"),
])
def test_bad_input_is_422_with_bilingual_message(client: TestClient, url: str, field: str) -> None:
    r = client.get(url)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid_input" and body["errors"][0]["field"] == field
    assert body["message_zh"] and body["message_en"] and " / " in body["message"]


def test_inconsistent_parameters_are_422(client: TestClient) -> None:
    base = f"/v1/members/{GRZH}/transactions"
    assert client.get(base, params={"date_from": "2020-01-02", "date_to": "2020-01-01"}).status_code == 422
    assert client.get(base, params={"cursor": "abc", "offset": 1}).status_code == 422
    assert client.get(base, params={"cursor": "not-a-cursor"}).status_code == 422
    assert client.get("/v1/indicators/monthly", params={"month_from": "2024-05", "month_to": "2024-01"}).status_code == 422


FUZZ = ["", " ", "0", "4112000000011", "41120000000１", "4112%00000001", "'; DROP TABLE member_account;--",
        "../../etc/passwd", "ＡＢＣ", "张三", "9" * 300, "-1", "1e12", "null", "%FF%FE", "4112 0000001"]


@pytest.mark.parametrize("value", FUZZ)
def test_fuzzed_values_never_500(client: TestClient, value: str) -> None:
    urls = [f"/v1/members/{value}/summary", f"/v1/members/{value}/transactions", f"/v1/units/{value}/summary",
            f"/v1/members/{GRZH}/transactions?date_from={value}", f"/v1/members/{GRZH}/transactions?cursor={value}",
            f"/v1/members/{GRZH}/transactions?type={value}", f"/v1/members/{GRZH}/transactions?limit={value}",
            f"/v1/indicators/monthly?month_from={value}", f"/v1/indicators/monthly?dwlb={value}",
            f"/v1/indicators/monthly?xzqh={value}"]
    for url in urls:
        r = client.get(url)
        assert r.status_code in (200, 404, 422), (url, r.status_code, r.text)
        assert r.json().get("code") in (None, "invalid_input", "not_found")


def test_no_snapshot_is_503(settings: Settings) -> None:
    with TestClient(create_app(settings, reload_interval_s=0)) as c:
        for url in ["/health", f"/v1/members/{GRZH}/summary", "/v1/indicators/monthly"]:
            r = c.get(url)
            assert r.status_code == 503 and r.json()["code"] == "no_snapshot" and "gjj publish" in r.json()["message"]
        publish_snapshot(settings)
        assert c.get("/health").status_code == 200  # first publish picked up without restart


def test_switches_to_new_snapshot_without_restart(fresh_client: TestClient, published: Settings) -> None:
    client = fresh_client
    assert client.get("/v1/members/411200000045/summary").status_code == 404
    client.get("/v1/indicators/monthly")  # open DuckDB on v1 too
    build_synthetic_warehouse(published.warehouse_path, accounts=50, txns_per_account=30, units=5, months=7)
    publish_snapshot(published)
    assert client.get("/health").json()["snapshot_version"] == 2
    assert client.get("/v1/members/411200000045/summary").status_code == 200
    assert len(client.get("/v1/indicators/monthly", params={"group_by": "month"}).json()["items"]) == 7
    rollback(published)
    assert client.get("/health").json()["snapshot_version"] == 1
    assert client.get("/v1/members/411200000045/summary").status_code == 404


def test_reload_is_rate_limited(published: Settings) -> None:
    with TestClient(create_app(published, reload_interval_s=3600)) as c:
        assert c.get("/health").json()["snapshot_version"] == 1
        publish_snapshot(published)
        assert c.get("/health").json()["snapshot_version"] == 1  # not re-checked within the interval


def test_openapi_documents_fields_and_operation_ids(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert ops == {"members_list_transactions", "members_get_summary", "units_get_summary",
                   "indicators_list_monthly", "health",
                   # analytics (issue #7)
                   "bigscreen_list_themes", "bigscreen_get", "profiles_get", "members_get_profile", "forecasts_list",
                   "forecasts_what_if"}
    props = spec["components"]["schemas"]["MemberSummary"]["properties"]
    assert props["grzh"]["description"] == "个人账号 (GRZH)"
    ok = spec["paths"]["/v1/members/{grzh}/summary"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"]["$ref"].endswith("/MemberSummary")
