"""The analytics endpoints over the scale-0.01 snapshot: big screens, profiles, forecasts, what-if."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from analytics.bigscreen import load_themes
from analytics.build import BuildResult
from analytics.snapshot import snapshot_database
from gjj.settings import Settings
from publish import publish_snapshot
from publish.synthetic import build_synthetic_warehouse
from serving.app import create_app
from serving.core.access import issue_test_key


def test_every_theme_is_served_with_its_configured_sections(client: TestClient) -> None:
    themes = load_themes()
    listed = client.get("/v1/bigscreen")
    assert listed.status_code == 200
    assert listed.json()["themes"] == {k: t.title for k, t in themes.items()}
    for name, theme in themes.items():
        r = client.get(f"/v1/bigscreen/{name}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["title"] == theme.title and "X-Snapshot-Version" in r.headers
        assert [k["code"] for k in body["kpis"]] == theme.kpis
        assert [t["code"] for t in body["trends"]] == theme.trends
        assert all(len(t["months"]) == theme.months == len(t["values"]) for t in body["trends"])
        assert [s["tag"] for s in body["segments"]] == theme.segments
        assert [f["series"] for f in body["forecasts"]] == theme.forecasts
        assert all(len(f["points"]) == 12 for f in body["forecasts"])
        assert all(b["items"] for b in body["breakdowns"])


def test_bigscreen_numbers_equal_the_snapshot(client: TestClient, analytics_settings: Settings) -> None:
    body = client.get("/v1/bigscreen/leadership").json()
    con = duckdb.connect(str(snapshot_database(analytics_settings)), read_only=True)
    try:
        month, jce, jce_yoy, gdl = con.execute("SELECT tjny, jce::DOUBLE, jce_yoy::DOUBLE, gdl::DOUBLE "
                                               "FROM marts.indicator_trend ORDER BY tjny DESC LIMIT 1").fetchone()
        by_dwlb = con.execute("SELECT sum(jce)::DOUBLE FROM marts.indicator_monthly WHERE tjny >= "
                              "strftime(strptime(?, '%Y-%m') - INTERVAL 11 MONTH, '%Y-%m')", [month]).fetchone()[0]
        members = con.execute("SELECT count(*) FROM marts.member_account").fetchone()[0]
    finally:
        con.close()
    kpi = {k["code"]: k for k in body["kpis"]}
    assert body["as_of"] == month == kpi["JC01"]["month"]
    assert kpi["JC01"]["value"] == pytest.approx(jce) and kpi["ZJ01"]["value"] == pytest.approx(gdl)
    assert kpi["JC01"]["yoy"] == (pytest.approx(jce_yoy) if jce_yoy is not None else None)
    dwlb = next(b for b in body["breakdowns"] if b["by"] == "dwlb" and b["column"] == "jce")
    assert sum(i["value"] for i in dwlb["items"]) == pytest.approx(by_dwlb)
    assert all(i["name"] != i["code"] for i in dwlb["items"])  # names from the code table
    life = next(s for s in body["segments"] if s["tag"] == "life_stage")
    assert sum(i["members"] for i in life["items"]) == members


def test_unknown_theme_is_404_and_bad_theme_422(client: TestClient) -> None:
    r = client.get("/v1/bigscreen/nosuchtheme")
    assert r.status_code == 404 and "nosuchtheme" in r.json()["message"]
    assert client.get("/v1/bigscreen/Bad-Theme!").status_code == 422


def test_profile_endpoint_returns_the_members_tags(client: TestClient, analytics_store: BuildResult) -> None:
    con = duckdb.connect(str(analytics_store.path), read_only=True)
    try:
        grzh, n_tags, nl = con.execute("SELECT p.grzh, count(t.tag), any_value(p.nl) FROM member_profile AS p "
                                       "JOIN member_tag AS t USING (grzh) GROUP BY p.grzh ORDER BY count(t.tag) DESC, "
                                       "p.grzh LIMIT 1").fetchone()
        eligible = con.execute("SELECT value FROM member_tag WHERE grzh = ? AND tag = 'loan_eligible'",
                               [grzh]).fetchone()[0]
    finally:
        con.close()
    for url in (f"/v1/profiles/{grzh}", f"/v1/members/{grzh}/profile"):
        r = client.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["grzh"] == grzh and len(body["tags"]) == n_tags and body["features"]["nl"] == nl
        assert {t["tag"]: t["value"] for t in body["tags"]}["loan_eligible"] == eligible
        assert all(t["label"] and t["name"] for t in body["tags"])
    assert client.get("/v1/profiles/999999999999").status_code == 404
    bad = client.get("/v1/profiles/12ab")
    assert bad.status_code == 422 and "grzh" in bad.json()["message"]


def test_forecasts_endpoint_lists_every_series_with_mape(client: TestClient) -> None:
    body = client.get("/v1/forecasts").json()
    series = {s["series"]: s for s in body["series"]}
    assert set(series) == {"jce", "tqe", "dkffe", "dkhse", "gdl"}
    assert all(series[s]["mape"] is not None and series[s]["model"] in {"ets", "sarima"}
               for s in ("jce", "tqe", "dkffe", "dkhse"))
    assert all(p["lower"] <= p["value"] <= p["upper"] for s in series.values() for p in s["points"])


def test_what_if_endpoint(client: TestClient) -> None:
    low = client.post("/v1/forecasts/what-if", json={"loan_cap": 300_000}).json()
    high = client.post("/v1/forecasts/what-if", json={"loan_cap": 1_200_000}).json()
    assert low["loan_factor"] < high["loan_factor"]
    assert low["months"][-1]["gdl"] < high["months"][-1]["gdl"]
    assert low["months"][-1]["gdl_baseline"] == high["months"][-1]["gdl_baseline"]
    assert len(low["months"]) == 12 and low["notes"] and low["gdl_warn"] == 0.85
    bad = client.post("/v1/forecasts/what-if", json={"withdrawal_change": -3})
    assert bad.status_code == 422
    assert client.post("/v1/forecasts/what-if", json={"withdrawal_reason": "xx"}).status_code == 422


def test_without_an_analytics_build_the_api_says_so(tmp_path: Path) -> None:
    s = Settings(lakehouse_root=tmp_path / "lh")
    build_synthetic_warehouse(s.warehouse_path, accounts=5, txns_per_account=2, units=1, months=2)
    publish_snapshot(s)
    key = issue_test_key(s, "privileged")
    with TestClient(create_app(s, reload_interval_s=0), headers={"X-API-Key": key}) as c:
        r = c.get("/v1/bigscreen/leadership")
        assert r.status_code == 503 and "gjj analytics build" in r.json()["message"]
        assert c.get("/v1/profiles/000000000001").status_code == 503


def test_an_analyst_sees_the_big_screen_but_not_member_profiles(analytics_settings: Settings,
                                                                 analytics_store: BuildResult) -> None:
    key = issue_test_key(analytics_settings, "analyst", ["bigscreen", "profiles"])
    with TestClient(create_app(analytics_settings, reload_interval_s=0), headers={"X-API-Key": key}) as c:
        assert c.get("/v1/bigscreen/leadership").status_code == 200
        grzh = c.app.state.snapshots.current().duckdb().execute(
            "SELECT grzh FROM marts.member_account LIMIT 1").fetchone()[0]
        assert c.get(f"/v1/profiles/{grzh}").status_code == 403
