"""`gjj dashboards …`: validate the dashboard YAML, run Superset, deploy, benchmark."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import typer

dashboards_app = typer.Typer(help="数字大屏 Superset dashboards as code (dashboards/assets/)", no_args_is_help=True)


@dashboards_app.command("validate")
def validate_command(
    assets: str = typer.Option(None, help="Assets folder (default: dashboards/assets)"),
    database: str = typer.Option(None, help="DuckDB file to check against (default: the current snapshot's)"),
) -> None:
    """Check every dataset, column and metric the YAML names against the published snapshot."""
    from dashboards.database import snapshot_database_path
    from dashboards.spec import ASSETS_DIR, SpecError, load_assets
    from dashboards.validate import validate
    from gjj.settings import get_settings
    from masking.edition import EditionUnavailable

    try:
        specs = load_assets(Path(assets) if assets else ASSETS_DIR)
        if database is None:
            from dashboards.risk_events import write_risk_event_summary

            write_risk_event_summary(get_settings())
        resolved = validate(specs, Path(database) if database else snapshot_database_path(get_settings()))
    except EditionUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    except SpecError as exc:
        typer.echo(f"看板定义有 {len(exc.problems)} 处错误 / invalid dashboard YAML:", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from exc
    charts = sum(len(d.charts) for d in specs.dashboards.values())
    typer.echo(f"通过 ok: {len(specs.dashboards)} 个看板 dashboards, {charts} 个图表 charts, {len(resolved)} 个数据集 datasets")


@dashboards_app.command("deploy")
def deploy_command(url: str = typer.Option(None, help="Superset URL (default: http://127.0.0.1:<superset_port>)")) -> None:
    """Validate, then import everything into Superset (matched by UUID: re-import updates, never duplicates)."""
    from dashboards.deploy import deploy
    from dashboards.spec import SpecError
    from gjj.settings import get_settings

    try:
        result = deploy(get_settings(), url)
    except SpecError as exc:
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(result.summary())


@dashboards_app.command("serve")
def serve_command(
    port: int = typer.Option(None, help="Port on 127.0.0.1 (default: settings superset_port)"),
    deploy_assets: bool = typer.Option(False, "--deploy", help="Deploy the dashboards once the server is up"),
) -> None:
    """Run Superset in the foreground (prepared once: metadata migrated, admin created, roles synced)."""
    from dashboards.database import NoSnapshotError
    from dashboards.deploy import deploy, superset_url
    from dashboards.server import ADMIN_USER, SupersetHome, stop
    from gjj.settings import get_settings

    settings = get_settings()
    home = SupersetHome(settings)
    port = port or settings.superset_port
    # SIGTERM (a service manager, `kill`) stops the server like Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    typer.echo("准备 Superset（首次约 1–3 分钟）/ preparing Superset …")
    proc = home.start(port, log=home.dir / "server.log")
    try:
        if deploy_assets:
            try:
                typer.echo(deploy(settings, superset_url(settings, port)).summary())
            except NoSnapshotError as exc:  # serve anyway; the asset after the next publish deploys
                typer.echo(f"未部署看板 / dashboards not deployed: {exc}", err=True)
        typer.echo(f"Superset: {superset_url(settings, port)}  用户 user: {ADMIN_USER}  "
                   f"密码 password: {home.dir / 'admin_password'}  日志 log: {home.dir / 'server.log'}")
        proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(proc)


@dashboards_app.command("bench")
def bench_command(
    scale: float = typer.Option(0.01, help="Scale of the simulated center to generate and build"),
    runs: int = typer.Option(3, help="Warm loads measured"),
    lakehouse: str = typer.Option(None, help="A published lakehouse of that scale to use as it is"),
    screenshots: str = typer.Option(None, help="Save one screenshot per dashboard into this folder"),
) -> None:
    """Leadership screen load time (all charts rendered), cold and warm → bench/results/dashboards.json."""
    from bench.dashboards import run

    typer.echo(run(scale, runs, Path(lakehouse) if lakehouse else None, Path(screenshots) if screenshots else None))


def register(app: typer.Typer) -> None:
    app.add_typer(dashboards_app, name="dashboards")
