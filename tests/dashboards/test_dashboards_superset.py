"""Provisioning against a real Superset: the YAML imported through the assets API (re-import updates, never
duplicates), then every dashboard opened in headless Debian Chromium — every chart renders data, none
shows an error, nothing is fetched from outside — with a screenshot kept as a test artifact."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from dashboards.browser import CHROMIUM, DashboardBrowser
from dashboards.client import SupersetClient
from dashboards.database import snapshot_database_path
from dashboards.deploy import Deployment, deploy
from dashboards.server import ADMIN_USER, SupersetHome
from dashboards.spec import load_assets
from gjj.settings import Settings
from tests.warehouse import REPO

ARTIFACTS = Path(os.environ.get("GJJ_TEST_ARTIFACTS", REPO / "test-artifacts")) / "dashboards"
ASSETS = load_assets()


@pytest.fixture(scope="session")
def deployed(superset: str, published: Settings) -> Deployment:
    return deploy(published, superset)


@pytest.fixture
def client(superset: str, published: Settings):
    with SupersetClient(superset, ADMIN_USER, SupersetHome(published).admin_password) as c:
        yield c


def _counts(client: SupersetClient) -> dict[str, int]:
    return {r: len(client.list_all(r)) for r in ("database", "dataset", "chart", "dashboard")}


def test_deploy_imports_every_asset(deployed: Deployment, client: SupersetClient, published: Settings) -> None:
    charts = sum(len(d.charts) for d in ASSETS.dashboards.values())
    assert _counts(client) == {"database": 1, "dataset": len(ASSETS.datasets), "chart": charts, "dashboard": 4}
    (database,) = client.list_all("database", columns=["id", "database_name"])
    assert database["database_name"] == ASSETS.database.database_name
    connection = client.database_connection(database["id"])
    assert connection["sqlalchemy_uri"] == f"duckdb:///{snapshot_database_path(published)}"
    assert '"read_only": true' in connection["extra"]
    for slug, spec in ASSETS.dashboards.items():
        dashboard = client.dashboard(slug)
        assert dashboard["dashboard_title"] == spec.title
        assert {c["slice_name"] for c in client.dashboard_charts(slug)} == {c.title for c in spec.charts.values()}
    assert client.dashboard("leadership")["theme"] is not None  # the dark big-screen theme


def test_reimport_updates_and_never_duplicates(
    deployed: Deployment, client: SupersetClient, published: Settings, superset: str, assets_copy: Path
) -> None:
    before = _counts(client)
    path = assets_copy / "dashboards" / "leadership.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["charts"]["trend"]["title"] = "趋势（改名测试）"
    data["title"] = "领导驾驶舱（改名测试）"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        deploy(published, superset, assets_copy)
        assert _counts(client) == before
        assert client.dashboard("leadership")["dashboard_title"] == "领导驾驶舱（改名测试）"
        assert "趋势（改名测试）" in {c["slice_name"] for c in client.dashboard_charts("leadership")}
    finally:
        deploy(published, superset)
    assert _counts(client) == before
    assert client.dashboard("leadership")["dashboard_title"] == "领导驾驶舱"


@pytest.fixture(scope="module")
def browser(superset: str, published: Settings, deployed: Deployment):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} missing: `make chromium` installs Debian's chromium (make test does)")
    with DashboardBrowser(superset, ADMIN_USER, SupersetHome(published).admin_password) as b:
        yield b


@pytest.mark.integration
@pytest.mark.parametrize("slug", sorted(ASSETS.dashboards))
def test_dashboard_renders_every_chart(browser: DashboardBrowser, slug: str) -> None:
    spec = ASSETS.dashboards[slug]
    shot = ARTIFACTS / f"{slug}.png"
    load = browser.load(slug, spec.viewport, screenshot=shot)
    print(f"{slug}: {len(load.charts)} charts rendered in {load.seconds:.1f} s → {shot}")
    assert not load.problems, "\n".join(load.problems)
    assert len(load.charts) == len(spec.charts)
    assert {c.title for c in load.charts} == {c.title for c in spec.charts.values()}
    assert len(load.chart_data) >= len(spec.charts)
    assert shot.stat().st_size > 20_000


def test_asset_after_publish_bundles_and_deploys(deployed: Deployment, superset: str, published: Settings,
                                                 client: SupersetClient) -> None:
    from dashboards.deploy import deploy_after_publish

    before = _counts(client)
    port = int(superset.rsplit(":", 1)[1])
    result = deploy_after_publish(published.model_copy(update={"superset_port": port}))
    assert result["deployed"] is True and result["dashboards"] == 4
    assert Path(str(result["bundle"])).stat().st_size > 5_000
    assert _counts(client) == before
    stopped = deploy_after_publish(published.model_copy(update={"superset_port": 9}))
    assert stopped["deployed"] is False  # no server there: the bundle waits for the next `make superset`
