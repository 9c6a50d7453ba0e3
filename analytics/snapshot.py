"""Where analytics reads from and writes to.

Analysts' notebooks open the current published snapshot read-only: only its masked analyst edition
``<snapshot>/analyst.duckdb`` (issue #5); without one they refuse (never the unmasked ``snapshot.duckdb``). The analytics build reads the
full ``snapshot.duckdb`` (profiles are keyed by the real 个人账号; the API masks what leaves it).
What analytics computes (forecasts, backtests, profiles, tags, big-screen payloads) goes to its own
per-snapshot store ``<root>/analytics/v<N>.duckdb``, written under a temporary name and renamed into place,
so that the API of snapshot N always finds the store built from snapshot N (or none yet).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from gjj.settings import Settings
from publish.snapshot import read_current, version_dir

ANALYST_EDITION = "analyst.duckdb"
FULL_EDITION = "snapshot.duckdb"


class NoPublishedSnapshot(RuntimeError):
    """Nothing has been published yet: analytics has nothing to read."""


def current_version(settings: Settings) -> int:
    version = read_current(settings.snapshots_dir)
    if version is None:
        raise NoPublishedSnapshot(f"{settings.snapshots_dir}: 尚未发布数据快照 / no snapshot published (run `gjj publish`)")
    return version


def snapshot_database(settings: Settings, version: int | None = None) -> Path:
    """The DuckDB file analysts read: the masked analyst edition. Fails closed: a snapshot published without
    GJJ_MASKING_KEY has none, and this raises :class:`masking.edition.EditionUnavailable` (Chinese + English)
    instead of falling back to the unmasked ``snapshot.duckdb``."""
    from masking.edition import analyst_edition_path

    return analyst_edition_path(version_dir(settings.snapshots_dir,
                                            current_version(settings) if version is None else version))


def full_snapshot_database(settings: Settings, version: int) -> Path:
    """The unmasked snapshot: what the analytics build reads, because its results are keyed by the real
    个人账号 and served by the API, which masks per caller (issue #5)."""
    return version_dir(settings.snapshots_dir, version) / FULL_EDITION


def open_snapshot(settings: Settings, version: int | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection on the current (or given) snapshot; its tables are ``marts.<name>``."""
    return duckdb.connect(str(snapshot_database(settings, version)), read_only=True)


def store_path(settings: Settings, version: int) -> Path:
    """The analytics store built from snapshot ``version``."""
    return settings.root / "analytics" / f"v{version}.duckdb"


def replace_store(tmp: Path, final: Path) -> None:
    """Publish a finished store atomically (readers see the old file or the new one, never half)."""
    os.replace(tmp, final)
