"""The `gjj` sub-commands of this concern (个人信息保护 PII detection and masking); heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

pii_app = typer.Typer(help="个人信息识别与脱敏 / personal data: detection, classification, masking", no_args_is_help=True)


@pii_app.command("detect")
def pii_detect(
    src: Annotated[Path, typer.Option("--in", help='JSONL input, one {"id", "text"} a line')],
    dst: Annotated[Path, typer.Option("--out", help='JSONL output, one {"id", "spans": [...]} a line')],
) -> None:
    """Detect personal data in texts: spans {start, end (exclusive), label, score} per line."""
    from masking.detect import DetectInputError, detect_jsonl

    try:
        n = detect_jsonl(src, dst)
    except (DetectInputError, FileNotFoundError, UnicodeDecodeError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"{n} texts → {dst}")


@pii_app.command("classify")
def pii_classify(
    out: Annotated[Path | None, typer.Option("--out", help="Where to write (default masking/classification.yaml)")] = None,
) -> None:
    """Propose the classification of every mart column by sampling the warehouse through the analyzer; entries
    marked `reviewed` keep their entity and level."""
    import duckdb

    from gjj.settings import get_settings
    from masking.classify import CLASSIFICATION_FILE, propose, write_classification

    settings = get_settings()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        proposal = propose(con)
    finally:
        con.close()
    target = out or CLASSIFICATION_FILE
    write_classification(proposal, target)
    typer.echo(f"{sum(len(c) for c in proposal.values())} columns of {len(proposal)} marts → {target}")


def register(app: typer.Typer) -> None:
    """Add this concern's commands (or command groups) to the platform's `gjj` app."""
    app.add_typer(pii_app, name="pii")
