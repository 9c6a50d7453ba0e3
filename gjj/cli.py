"""`gjj` — the platform's command line, one sub-command group per concern."""

from __future__ import annotations

import typer

from gjj.settings import get_settings

app = typer.Typer(help="住房公积金数据平台 / housing provident fund data platform", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (results under bench/results/)", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


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


@bench_app.command("ingest")
def bench_ingest(scale: float = typer.Option(1.0, help="Scale to benchmark")) -> None:
    """Generate scale S if absent, time generation and ingestion, write bench/results/ingest.json."""
    from bench import ingest as bench

    typer.echo(bench.run(get_settings(), scale))


if __name__ == "__main__":
    app()
