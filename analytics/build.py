"""Build the analytics store of the current snapshot: forecasts, profiles and big-screen payloads.

``<root>/analytics/v<N>.duckdb`` is written under a temporary name with the snapshot attached read-only,
then renamed into place; stores of snapshot versions that no longer exist are removed.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics.bigscreen import build_bigscreens
from analytics.forecast import build_forecasts
from analytics.indicators import load_indicators
from analytics.profiles import build_profiles
from analytics.snapshot import current_version, full_snapshot_database, replace_store, store_path
from gjj.settings import Settings
from publish.snapshot import version_dir


@dataclass
class BuildResult:
    version: int
    path: Path
    members: int
    themes: list[str]
    seconds: dict[str, float]


def build_store(settings: Settings, version: int | None = None) -> BuildResult:
    version = current_version(settings) if version is None else version
    final = store_path(settings, version)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    seconds: dict[str, float] = {}
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"SET memory_limit = '{settings.duckdb_memory_limit}'")
        source = str(full_snapshot_database(settings, version)).replace("'", "''")
        con.execute(f"ATTACH '{source}' AS snap (READ_ONLY)")
        t = time.perf_counter()
        build_forecasts(con)
        seconds["forecast"] = time.perf_counter() - t
        t = time.perf_counter()
        members = build_profiles(con)
        seconds["profiles"] = time.perf_counter() - t
        t = time.perf_counter()
        themes = build_bigscreens(con, version)
        seconds["bigscreen"] = time.perf_counter() - t
        flat = load_indicators()
        con.execute("CREATE OR REPLACE TABLE indicator_catalog (code VARCHAR PRIMARY KEY, name VARCHAR, "
                    "domain VARCHAR, parent VARCHAR, level INTEGER, formula VARCHAR, unit VARCHAR, "
                    "frequency VARCHAR, owner VARCHAR, mart VARCHAR, source_column VARCHAR)")
        con.executemany("INSERT INTO indicator_catalog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [list(i.model_dump().values()) for i in flat])
        con.execute("CREATE OR REPLACE TABLE store_info AS SELECT ?::INTEGER AS snapshot_version, "
                    "now()::TIMESTAMP AS built_at", [version])
        con.execute("DETACH snap")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    replace_store(tmp, final)
    _prune(settings)
    return BuildResult(version, final, members, themes, seconds)


def _prune(settings: Settings) -> None:
    """Drop the stores of snapshot versions the publisher has pruned."""
    for path in (settings.root / "analytics").glob("v*.duckdb"):
        m = re.fullmatch(r"v(\d+)\.duckdb", path.name)
        if m and not version_dir(settings.snapshots_dir, int(m.group(1))).is_dir():
            path.unlink(missing_ok=True)
