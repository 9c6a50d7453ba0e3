"""Which published DuckDB file Superset reads."""

from __future__ import annotations

from pathlib import Path

from gjj.settings import Settings
from publish.snapshot import read_current

ANALYST_EDITION = "analyst.duckdb"  # the masked analyst edition (issue #5), when the snapshot has it
FULL_EDITION = "snapshot.duckdb"


class NoSnapshotError(RuntimeError):
    """Nothing has been published yet."""


def current_snapshot_dir(settings: Settings) -> Path:
    version = read_current(settings.snapshots_dir)
    if version is None:
        raise NoSnapshotError(
            f"尚未发布快照 / no published snapshot under {settings.snapshots_dir}: run `gjj publish` first"
        )
    return settings.snapshots_dir / f"v{version}"


def snapshot_database_path(settings: Settings) -> Path:
    """The current snapshot's masked analyst edition if it exists, else its full DuckDB file."""
    snapshot = current_snapshot_dir(settings)
    analyst = snapshot / ANALYST_EDITION
    return analyst if analyst.exists() else snapshot / FULL_EDITION


def sqlalchemy_uri(path: Path) -> str:
    """duckdb-engine URI of a DuckDB file (opened read-only through connect_args, see the bundle)."""
    return f"duckdb:///{path.resolve()}"
