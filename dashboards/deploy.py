"""`gjj dashboards deploy`: validate the YAML against the current snapshot, then import it into Superset."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from dashboards.bundle import build_configs, zip_bundle
from dashboards.client import SupersetClient
from dashboards.database import snapshot_database_path
from dashboards.risk_events import write_risk_event_summary
from dashboards.server import ADMIN_USER, SupersetHome
from dashboards.spec import ASSETS_DIR, load_assets
from dashboards.validate import validate
from gjj.settings import Settings

DARK_THEME_NAME = "公积金大屏深色 big-screen dark"
# Ant Design tokens of the big screens' dark theme (system fonts only, no font URLs).
DARK_THEME = {
    "algorithm": "dark",
    "token": {
        "colorPrimary": "#3ba0ff",
        "colorBgBase": "#0b1a33",
        "colorBgContainer": "#10264a",
        "colorBgLayout": "#0b1a33",
        "colorTextBase": "#e6f0ff",
        "fontFamily": "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif",
        "fontUrls": [],
    },
}


@dataclass
class Deployment:
    database: Path
    datasets: int
    charts: int
    dashboards: list[str]

    def summary(self) -> str:
        return (f"已部署 deployed: {len(self.dashboards)} 个看板 dashboards ({', '.join(self.dashboards)}), "
                f"{self.charts} 个图表 charts, {self.datasets} 个数据集 datasets → {self.database}")


def superset_url(settings: Settings, port: int | None = None) -> str:
    return f"http://127.0.0.1:{port or settings.superset_port}"


def deploy(settings: Settings, url: str | None = None, assets_dir: Path = ASSETS_DIR) -> Deployment:
    """Validate, then import the bundle (matched by UUID: a re-import updates, never duplicates)."""
    assets = load_assets(assets_dir)
    database = snapshot_database_path(settings)
    home = SupersetHome(settings)
    write_risk_event_summary(settings)
    datasets = validate(assets, database, home.dir)
    with SupersetClient(url or superset_url(settings), ADMIN_USER, home.admin_password) as client:
        theme_id = client.ensure_theme(DARK_THEME_NAME, DARK_THEME)
        files = build_configs(assets, datasets, database, dark_theme_id=theme_id)
        client.import_assets(zip_bundle(files))
    home.ensure_screen_account(str(assets.database.uuid))
    return Deployment(
        database=database,
        datasets=len(datasets),
        charts=sum(len(d.charts) for d in assets.dashboards.values()),
        dashboards=list(assets.dashboards),
    )


def superset_running(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def deploy_after_publish(settings: Settings) -> dict[str, str | int | bool]:
    """After a publish: validate against the new snapshot, keep the bundle beside Superset's state, and
    import it when the server runs (`make superset`); a stopped server gets it at its next start."""
    assets = load_assets()
    database = snapshot_database_path(settings)
    write_risk_event_summary(settings)
    datasets = validate(assets, database, SupersetHome(settings).dir)
    bundle = SupersetHome(settings).dir / "bundle" / f"gjj_dashboards-{database.parent.name}.zip"
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_bytes(zip_bundle(build_configs(assets, datasets, database)))
    url = superset_url(settings)
    running = superset_running(url)
    if running:
        deploy(settings, url)
    return {"database": str(database), "bundle": str(bundle), "deployed": running, "superset_url": url,
            "dashboards": len(assets.dashboards), "datasets": len(datasets)}
