"""Leadership big-screen load time: from navigation until every chart has rendered, in headless Chromium.

Cold: the first load after Superset starts (empty chart-data cache, empty browser cache) — DuckDB runs
every chart query on the snapshot. Warm: the following loads (cached chart data and static files), the
case of a wall screen refreshing. The other dashboards' warm loads are recorded too.

Uses a published lakehouse of the given scale: `bench-pipeline-<scale>` under the lakehouse root when
`gjj bench pipeline` left one, else `bench-dashboards-<scale>`, generated and run through the pipeline.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.api import _free_port
from bench.machine import write_result
from dashboards.browser import DashboardBrowser
from dashboards.database import snapshot_database_path
from dashboards.deploy import deploy
from dashboards.server import SCREEN_USER, SupersetHome, stop
from dashboards.spec import load_assets
from gjj.settings import Settings, get_settings
from publish.snapshot import read_current

TARGET_SECONDS = 3.0  # issue #7: the leadership screen on scale 1.0 data


def _gjj(root: Path, *args: str) -> None:
    gjj = str(Path(sys.executable).with_name("gjj"))
    subprocess.run([gjj, *args], check=True, env={**os.environ, "GJJ_LAKEHOUSE_ROOT": str(root)})


def _lakehouse(settings: Settings, scale: float) -> Settings:
    for name in (f"bench-pipeline-{scale}", f"bench-dashboards-{scale}"):
        candidate = Settings(lakehouse_root=settings.root / name)
        if read_current(candidate.snapshots_dir) is not None:
            return candidate
    root = settings.root / f"bench-dashboards-{scale}"
    _gjj(root, "generate", "--scale", str(scale))
    _gjj(root, "pipeline", "run")
    return Settings(lakehouse_root=root)


def run(scale: float, runs: int = 3, lakehouse: Path | None = None, screenshots: Path | None = None) -> str:
    """``lakehouse``: a published lakehouse of that scale to use as it is; ``screenshots``: a folder that gets
    one PNG per dashboard (its own viewport, whole page) after the timed loads."""
    bench = Settings(lakehouse_root=lakehouse) if lakehouse else _lakehouse(get_settings(), scale)
    assets = load_assets()
    home = SupersetHome(bench)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = home.start(port)
    start_seconds = time.perf_counter() - started
    metrics: dict[str, float | int | str] = {}
    try:
        t = time.perf_counter()
        deploy(bench, url)
        deploy_seconds = time.perf_counter() - t
        leadership = assets.dashboards["leadership"]
        with DashboardBrowser(url, SCREEN_USER, home.screen_password) as browser:
            cold = browser.load("leadership", leadership.viewport)
            if cold.problems:
                raise RuntimeError("leadership screen did not render: " + "; ".join(cold.problems))
            warm_loads = [browser.load("leadership", leadership.viewport) for _ in range(runs)]
            warm = [w.seconds for w in warm_loads]
            others = {slug: browser.load(slug, spec.viewport).seconds
                      for slug, spec in assets.dashboards.items() if slug != "leadership"}
            if screenshots is not None:
                for slug, spec in assets.dashboards.items():
                    shot = browser.load(slug, spec.viewport, screenshot=screenshots / f"{slug}.png")
                    if shot.problems:
                        raise RuntimeError(f"{slug}: " + "; ".join(shot.problems))
        database = snapshot_database_path(bench)
        metrics = {
            "lakehouse": str(bench.root),
            "snapshot_mib": round(database.stat().st_size / 2**20, 1),
            "leadership_charts": len(cold.charts),
            "leadership_chart_rows": sum(int(d.get("rowcount", 0)) for d in cold.chart_data),
            "leadership_cold_seconds": round(cold.seconds, 2),
            "leadership_warm_median_seconds": round(statistics.median(warm), 2),
            "leadership_warm_max_seconds": round(max(warm), 2),
            # where a load goes: front-end boot and dashboard metadata, chart data, drawing
            "leadership_cold_first_data_request_seconds": round(cold.first_data_request_seconds, 2),
            "leadership_cold_last_data_response_seconds": round(cold.last_data_response_seconds, 2),
            "leadership_warm_first_data_request_seconds": round(
                statistics.median(w.first_data_request_seconds for w in warm_loads), 2),
            "leadership_warm_last_data_response_seconds": round(
                statistics.median(w.last_data_response_seconds for w in warm_loads), 2),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "leadership_target_seconds": TARGET_SECONDS,
            **{f"{slug}_warm_seconds": round(s, 2) for slug, s in others.items()},
            "superset_start_seconds": round(start_seconds, 2),
            "deploy_seconds": round(deploy_seconds, 2),
        }
    finally:
        stop(proc)
    path = write_result("dashboards", scale, metrics)
    lines = [f"{k}: {v}" for k, v in metrics.items()]
    return "\n".join([*lines, f"→ {path}"])
