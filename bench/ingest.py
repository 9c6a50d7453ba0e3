"""Ingestion benchmark: generate scale S if absent, then time a full ingestion into an empty bronze
(core system and partner feeds separately, each its own process with its own peak RSS), the
per-table extraction times from the ingestion log, and a daily incremental run after one
simulated day. Targets at scale 1.0 on 2 cores: full ingestion from SQLite ≤ 90 s, peak ≤ 4 GiB.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import duckdb
from deltalake import DeltaTable

from bench.machine import Measured, run_measured, write_result
from gjj.settings import Settings
from ingestion.bronze import meta_path
from ingestion.core_source import load_extension


def _gjj(*args: str) -> list[str]:
    return [sys.executable, "-m", "gjj.cli", *args]


def _check(step: str, m: Measured) -> Measured:
    if m.returncode != 0:
        raise RuntimeError(f"benchmark step '{step}' failed with exit code {m.returncode}")
    return m


def run(settings: Settings, scale: float) -> str:
    root = settings.root / f"bench-scale-{scale}"
    env = {"GJJ_LAKEHOUSE_ROOT": str(root)}
    bench = Settings(lakehouse_root=root)
    marker = root / "generation.json"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        gen = _check("generate", run_measured(_gjj("generate", "--scale", str(scale)), env))
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"generate_seconds": gen.seconds, "generate_peak_rss_mib": gen.peak_rss_mib}))
    generation = json.loads(marker.read_text())
    shutil.rmtree(bench.bronze_dir, ignore_errors=True)
    shutil.rmtree(bench.state_dir, ignore_errors=True)
    _restore_landing(bench)
    core = _check("ingest core", run_measured(_gjj("ingest", "--no-feeds"), env))
    feeds = _check("ingest feeds", run_measured(_gjj("ingest", "--no-core"), env))
    per_table = _per_object_seconds(bench)
    _check("advance", run_measured(_gjj("generate", "--advance-days", "1"), env))
    daily = _check("ingest daily", run_measured(_gjj("ingest"), env))
    rows = _rows(bench)
    total = core.seconds + feeds.seconds
    metrics: dict[str, float | int | str] = {
        **{k: round(v, 2) for k, v in generation.items()},
        "ingest_core_seconds": round(core.seconds, 2),
        "ingest_core_peak_rss_mib": round(core.peak_rss_mib),
        "ingest_feeds_seconds": round(feeds.seconds, 2),
        "ingest_feeds_peak_rss_mib": round(feeds.peak_rss_mib),
        "ingest_total_seconds": round(total, 2),
        "ingest_peak_rss_mib": round(max(core.peak_rss_mib, feeds.peak_rss_mib)),
        "ingest_rows_per_s": round(rows / total),
        "bronze_rows": rows,
        "ingest_daily_incremental_seconds": round(daily.seconds, 2),
        "daily_to_full_ratio": round(daily.seconds / total, 3),
        "target_ingest_total_seconds": 90,
        "target_peak_rss_mib": 4096,
        **{f"extract_{name}_seconds": round(sec, 2) for name, sec in per_table.items()},
    }
    path = write_result("ingest", scale, metrics)
    return f"{path}\n" + json.dumps(metrics, ensure_ascii=False, indent=2)


def _restore_landing(settings: Settings) -> None:
    """Put processed feed files back into landing/, so every run loads the same files."""
    for processed in settings.landing_dir.glob("*/processed/*"):
        if processed.is_file() and not processed.name.endswith(".json"):
            processed.replace(processed.parent.parent / processed.name)


def _per_object_seconds(settings: Settings) -> dict[str, float]:
    """Seconds per core table from the ingestion log (read with DuckDB: deltalake's pyarrow path can abort
    the interpreter at exit, delta-io/delta-rs#2184)."""
    con = duckdb.connect()
    load_extension(con, "delta")
    rows = con.execute(
        "SELECT source_object, sum(epoch(finished_at) - epoch(started_at)) FROM delta_scan(?) "
        "WHERE source_system = 'core' AND finished_at IS NOT NULL GROUP BY 1 ORDER BY 1",
        [str(meta_path(settings.bronze_dir, "ingestion_log"))],
    ).fetchall()
    con.close()
    return {name: float(seconds) for name, seconds in rows}


def _rows(settings: Settings) -> int:
    return sum(DeltaTable(str(p)).count() for p in Path(settings.bronze_dir).glob("*/*") if DeltaTable.is_deltatable(str(p)))
