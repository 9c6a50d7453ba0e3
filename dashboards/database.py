"""Which published DuckDB file Superset reads."""

from __future__ import annotations

from pathlib import Path

from gjj.settings import Settings
from publish.snapshot import read_current

ANALYST_EDITION = "analyst.duckdb"  # the masked analyst edition (issue #5): the only file Superset may read


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
    """The current snapshot's masked analyst edition. Fails closed: a snapshot published without
    GJJ_MASKING_KEY has none, and the unmasked snapshot.duckdb is never offered in its place
    (raises :class:`masking.edition.EditionUnavailable`)."""
    from masking.edition import analyst_edition_path

    return analyst_edition_path(current_snapshot_dir(settings))


def sqlalchemy_uri(path: Path) -> str:
    """duckdb-engine URI of a DuckDB file (opened read-only through connect_args, see the bundle)."""
    return f"duckdb:///{path.resolve()}"
