"""The audit side of the simulator's ground truth, and the risk events measured against it (recall tests, bench)."""

from __future__ import annotations

import duckdb
import polars as pl

from audit.store import audit_db_path
from gjj.settings import Settings


def planted_violations(settings: Settings) -> pl.DataFrame:
    """The planted audit violations (``rule_id``, ``record_key`` …) of ``<root>/ground_truth/*.csv``."""
    truth = pl.read_csv(str(settings.ground_truth_dir / "*.csv"), infer_schema_length=0)
    return truth.filter(pl.col("kind") == "audit")


def open_risk_events(settings: Settings) -> pl.DataFrame:
    """``rule_id``, ``record_key`` of the risk events not cleared, from the audit store."""
    con = duckdb.connect(str(audit_db_path(settings)), read_only=True)
    try:
        return con.execute("SELECT rule_id, record_key FROM risk_event WHERE cleared_at IS NULL").pl()
    finally:
        con.close()
