"""The `gjj` sub-commands of this concern (决策分析 indicators, forecasts and profiles); heavy imports stay inside the commands."""

from __future__ import annotations

import typer

analytics_app = typer.Typer(help="决策分析：指标体系、资金预测、用户画像、大屏数据 / decision analytics", no_args_is_help=True)


@analytics_app.command("build")
def build() -> None:
    """Build the analytics store of the current snapshot: forecasts, profiles, big-screen payloads."""
    from analytics.build import build_store
    from gjj.settings import get_settings

    r = build_store(get_settings())
    typer.echo(f"analytics v{r.version}: {r.path} — {r.members:,} profiles, themes {', '.join(r.themes)}; "
               + ", ".join(f"{k} {v:.1f} s" for k, v in r.seconds.items()))


@analytics_app.command("indicators")
def indicators() -> None:
    """Check analytics/indicators.yaml against the dbt marts and list the indicator tree."""
    from analytics.indicators import IndicatorError, load_indicators

    try:
        flat = load_indicators()
    except IndicatorError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    for i in flat:
        typer.echo(f"{'  ' * (i.level - 1)}{i.code:8} {i.name}  [{i.unit}, {i.frequency}, {i.owner}] "
                   f"← marts.{i.mart}.{i.column}")
    typer.echo(f"{len(flat)} indicators, every source resolved")


@analytics_app.command("validate")
def validate() -> None:
    """Check the indicator system, the tag library and the big-screen themes (no data needed)."""
    from analytics.bigscreen import ThemeError, load_themes
    from analytics.indicators import IndicatorError, load_indicators
    from analytics.profiles import ProfileError, load_tags

    try:
        n_ind, n_tags, n_themes = len(load_indicators()), len(load_tags()), len(load_themes())
    except (IndicatorError, ProfileError, ThemeError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ok: {n_ind} indicators, {n_tags} tags, {n_themes} big-screen themes")


@analytics_app.command("bench")
def bench(scale: float = typer.Option(1.0, help="Scale to benchmark")) -> None:
    """Time the analytics build and the analytics API (big-screen p99): write bench/results/analytics.json."""
    from bench import analytics as bench_analytics
    from gjj.settings import get_settings

    typer.echo(bench_analytics.run(get_settings(), scale))


def register(app: typer.Typer) -> None:
    """Add this concern's commands (or command groups) to the platform's `gjj` app."""
    app.add_typer(analytics_app, name="analytics")
