"""The `gjj` sub-commands of this concern (稽核审计 audit rules and risk events); heavy imports stay inside the commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

audit_app = typer.Typer(help="稽核审计 audit: rule catalog, batch runs, risk events, screening, graph", no_args_is_help=True)


@audit_app.command("run")
def run(
    full: bool = typer.Option(False, "--full", help="Evaluate every rule (default: only rules whose input tables changed)"),
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only these rule ids (repeatable)")] = None,
    category: Annotated[list[str] | None, typer.Option("--category", help="Only these categories, e.g. 提取")] = None,
) -> None:
    """Run the audit rule catalog over the warehouse and record risk events (lakehouse/audit/audit.duckdb)."""
    from audit.engine import run_audit
    from gjj.settings import get_settings

    result = run_audit(get_settings(), full=full, rule_ids=rule or None, categories=category or None)
    typer.echo(result.summary())
    if result.failed:
        raise typer.Exit(1)


@audit_app.command("catalog")
def catalog(
    out: Annotated[Path, typer.Option(help="Where to write the catalog page")] = Path("docs/examples/audit-rule-catalog.md"),
    validate: bool = typer.Option(True, help="Validate every condition against the warehouse schema"),
) -> None:
    """Validate the rule catalog and write its Markdown page."""
    from audit.catalog_page import write_catalog_page
    from gjj.settings import get_settings

    n = write_catalog_page(out, get_settings() if validate else None)
    typer.echo(f"{n} rules → {out}")


@audit_app.command("graph")
def graph(
    out: Annotated[Path, typer.Option(help="JSON nodes/edges/communities")] = Path("lakehouse/audit/risk_graph.json"),
) -> None:
    """Build the relationship graph (风险关系图谱): hubs, shared flats, serial marriages, scored communities."""
    from audit.graph import graph_from_warehouse
    from audit.store import audit_db_path
    from gjj.settings import get_settings

    settings = get_settings()
    g = graph_from_warehouse(settings.warehouse_path, audit_db_path(settings))
    g.write(out)
    typer.echo(f"{g.graph.number_of_nodes()} nodes, {g.graph.number_of_edges()} edges, {len(g.hubs)} hubs, "
               f"{len(g.shared_properties)} shared flats, {len(g.serial_marriages)} serial marriages, "
               f"{len(g.communities)} communities → {out}")


@audit_app.command("report")
def report(
    out: Annotated[Path, typer.Option(help="Markdown report")] = Path("docs/examples/audit-risk-event-report.md"),
) -> None:
    """Write the risk-event report (per-rule counts and masked sample events) from the audit store."""
    from audit.report import simulator_scale, write_event_report
    from audit.store import audit_db_path
    from gjj.settings import get_settings

    settings = get_settings()
    typer.echo(write_event_report(audit_db_path(settings), out, scale=simulator_scale(settings.warehouse_path)))


@audit_app.command("bench")
def bench(
    scale: Annotated[float | None, typer.Option(help="Generate a fresh center at this scale first (else use the lakehouse as is)")] = None,
    records: Annotated[int, typer.Option(help="Records for the per-record Python comparison")] = 100_000,
    rate: Annotated[int, typer.Option(help="Offered screening load per second (open loop)")] = 200,
    seconds: Annotated[float, typer.Option(help="Duration of the screening load")] = 10.0,
) -> None:
    """Audit benchmark → bench/results/audit.json (catalog full + incremental, recall/precision, screening p99)."""
    from bench.audit import run_bench

    result = run_bench(scale=scale, records=records, rate=rate, seconds=seconds)
    typer.echo(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict)}, ensure_ascii=False, indent=1))


def register(app: typer.Typer) -> None:
    """Add this concern's commands (or command groups) to the platform's `gjj` app."""
    app.add_typer(audit_app, name="audit")
