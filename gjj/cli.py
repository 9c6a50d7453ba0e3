"""`gjj` — the platform's command line, one sub-command group per concern."""

from __future__ import annotations

from datetime import datetime, timedelta

import typer

from analytics import cli as analytics_cli
from audit import cli as audit_cli
from dashboards import cli as dashboards_cli
from gjj.settings import Settings, get_settings
from masking import cli as masking_cli
from quality import cli as quality_cli

app = typer.Typer(help="住房公积金数据平台 / housing provident fund data platform", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (results under bench/results/)", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
pipeline_app = typer.Typer(help="The Dagster asset graph: prepare and run", no_args_is_help=True)
app.add_typer(pipeline_app, name="pipeline")


@app.command()
def generate(
    scale: float = typer.Option(None, help="1.0 = 三门峡 profile (≈200k active depositors); default from settings"),
    seed: int = typer.Option(None, help="Random seed (deterministic output)"),
    core_db_url: str = typer.Option(None, help="SQLAlchemy URL of the core system (default: embedded SQLite)"),
    advance_days: int = typer.Option(0, help="Move an existing simulated center forward by N days instead"),
) -> None:
    """Generate the simulated core system and partner feeds (or advance them by N days)."""
    from ingestion.simulator import generate as sim

    settings = get_settings()
    url = core_db_url or settings.core_url
    if advance_days:
        result = sim.advance(settings, url, advance_days)
    else:
        result = sim.generate(settings, url, scale or settings.scale, settings.seed if seed is None else seed)
    typer.echo(result.summary())


@app.command()
def ingest(
    core_db_url: str = typer.Option(None, help="SQLAlchemy URL of the core system (default: embedded SQLite)"),
    core: bool = typer.Option(True, help="Extract the core system"),
    feeds: bool = typer.Option(True, help="Load the partner feeds in landing/"),
) -> None:
    """Ingest the core system (incremental) and the partner feeds into bronze."""
    from ingestion import core_extract, feed_loader

    settings = get_settings()
    failed = False
    if core:
        report = core_extract.extract_core(settings, core_db_url or settings.core_url)
        typer.echo(report.summary())
        failed |= not report.ok
    if feeds:
        freport = feed_loader.load_feeds(settings)
        typer.echo(freport.summary())
        failed |= not freport.ok
    if failed:
        raise typer.Exit(code=1)


@pipeline_app.command("prepare")
def pipeline_prepare() -> None:
    """Parse the dbt project (the manifest the Dagster code location loads)."""
    from orchestration.pipeline import prepare

    typer.echo(f"dbt manifest: {prepare(get_settings())}")


@pipeline_app.command("run")
def pipeline_run() -> None:
    """Materialize the whole asset graph (extract → bronze → dbt build + checks → publish) and summarize."""
    from orchestration.pipeline import prepare, run_all

    settings = get_settings()
    prepare(settings)
    result = run_all(settings)
    typer.echo(result.summary(settings))
    if not result.success:
        raise typer.Exit(code=1)


@app.command()
def freshness(
    as_of: str = typer.Option(None, help="China time YYYY-MM-DDTHH:MM (default: the simulated business date, 09:00)"),
) -> None:
    """及时性: each partner feed's latest file against its contract's SLA (late files, missing days)."""
    from ingestion.feed_loader import check_freshness

    settings = get_settings()
    when = datetime.fromisoformat(as_of) if as_of else _business_morning(settings)
    for f in check_freshness(settings, when):
        late = ", ".join(f"{x.file}" for x in f.late_files) or "-"
        missing = ", ".join(d.isoformat() for d in f.missing_dates) or "-"
        typer.echo(f"{f.feed:<5} {f.status:<8} expected {f.expected_date} latest {f.latest_file_date}  "
                   f"missing days: {missing}  late files: {late}")


def _business_morning(settings: Settings) -> datetime:
    """09:00 China time the day after the simulated business date (when the night's feeds are due)."""
    import sqlalchemy as sa

    engine = sa.create_engine(settings.core_url)
    with engine.connect() as db:
        biz = db.execute(sa.text("SELECT ctl_val FROM sys_ctl WHERE ctl_key = 'BIZ_DATE'")).scalar_one()
    engine.dispose()
    return datetime.strptime(biz, "%Y%m%d") + timedelta(days=1, hours=9)


@bench_app.command("ingest")
def bench_ingest(scale: float = typer.Option(1.0, help="Scale to benchmark")) -> None:
    """Generate scale S if absent, time generation and ingestion, write bench/results/ingest.json."""
    from bench import ingest as bench

    typer.echo(bench.run(get_settings(), scale))


@bench_app.command("pipeline")
def bench_pipeline(scale: float = typer.Option(1.0, help="Scale to benchmark")) -> None:
    """Full Dagster run, the same models by plain dbt, a daily incremental: write bench/results/pipeline.json."""
    from bench import pipeline as bench

    typer.echo(bench.run(get_settings(), scale))



@app.command()
def publish(
    rollback: bool = typer.Option(False, "--rollback", help="Switch CURRENT back to the previous (or --to) version"),
    to: int = typer.Option(None, "--to", help="Version to roll back to (with --rollback)"),
    list_: bool = typer.Option(False, "--list", help="List the kept snapshot versions"),
    full: bool = typer.Option(False, "--full", help="Build the new version from scratch, not on the current one"),
) -> None:
    """Publish the warehouse marts as a new immutable snapshot (or roll back, or list versions)."""
    from publish import PublishError, list_versions, publish_snapshot
    from publish import rollback as roll_back

    settings = get_settings()
    try:
        if list_:
            for info in list_versions(settings):
                typer.echo(info.summary())
        elif rollback:
            typer.echo(f"CURRENT → {roll_back(settings, to).summary()}")
        else:
            typer.echo(f"published {publish_snapshot(settings, full=full).summary()}")
    except PublishError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc


@app.command()
def serve(workers: int = typer.Option(2, help="uvicorn worker processes")) -> None:
    """Run the serving API (uvicorn) on settings.api_host:api_port over the current snapshot."""
    import uvicorn

    settings = get_settings()
    uvicorn.run("serving.app:app", host=settings.api_host, port=settings.api_port, workers=workers)


@bench_app.command("api")
def bench_api(scale: float = typer.Option(1.0, help="Scale to benchmark (synthetic data if no warehouse)")) -> None:
    """Load-test the serving API with hey (lookups at 1,000 req/s, max throughput vs a bare endpoint)."""
    from bench import api as bench

    typer.echo(bench.run(get_settings(), scale))

# Each concern owns its commands in <concern>/cli.py.
for _concern in (quality_cli, masking_cli, audit_cli, analytics_cli, dashboards_cli):
    _concern.register(app)

if __name__ == "__main__":
    app()
