"""The `gjj` sub-commands of this concern (数据质量 quality rules, scores and reports); heavy imports stay inside the commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this concern's commands (or command groups) to the platform's `gjj` app."""
