"""The `gjj` sub-commands of this concern (稽核审计 audit rules and risk events); heavy imports stay inside the commands."""

from __future__ import annotations

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


def register(app: typer.Typer) -> None:
    """Add this concern's commands (or command groups) to the platform's `gjj` app."""
    app.add_typer(audit_app, name="audit")
