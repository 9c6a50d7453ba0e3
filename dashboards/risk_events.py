"""风险事件汇总 for the big screens: counts of the audit engine's risk events by month, category, severity
and state — no record keys, no persons, no units — written beside Superset's state as a small Parquet file
that the snapshot's read-only DuckDB connection reads (`read_parquet`).

The audit store (lakehouse/audit/audit.duckdb) is the audit concern's and is only read here (read-only
attach). Risk events are not part of the published snapshot, so each deploy refreshes this summary; while
the audit engine holds its store open for writing, the previous summary stays.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from audit.store import audit_db_path
from gjj.settings import Settings

SUMMARY_FILE = "risk_event_summary.parquet"
PLACEHOLDER = "{superset_home}"  # in a dataset's sql: the lakehouse's superset/ folder

_SUMMARY_SQL = """
    SELECT strftime(first_seen, '%Y-%m') AS fxny, category AS fxlb, severity AS yzcd,
           CASE WHEN cleared_at IS NOT NULL THEN '已消除' WHEN state IN ('disposed', 'feedback', 'closed') THEN '已处置'
                ELSE '待处置' END AS clzt,
           count(*)::BIGINT AS events
    FROM audit.main.risk_event
    WHERE NOT coalesce(false_positive, false)
    GROUP BY ALL
"""
_EMPTY_SQL = ("SELECT NULL::VARCHAR AS fxny, NULL::VARCHAR AS fxlb, NULL::VARCHAR AS yzcd, NULL::VARCHAR AS clzt, "
              "NULL::BIGINT AS events WHERE false")


def summary_path(settings: Settings) -> Path:
    return settings.root / "superset" / SUMMARY_FILE


def write_risk_event_summary(settings: Settings) -> Path:
    """(Re)write the summary from the audit store; an empty table when no audit has run yet."""
    out = summary_path(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    audit = audit_db_path(settings)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    con = duckdb.connect()
    try:
        query = _EMPTY_SQL
        if audit.exists():
            try:
                con.execute(f"ATTACH '{str(audit).replace(chr(39), chr(39) * 2)}' AS audit (READ_ONLY)")
                query = _SUMMARY_SQL
            except duckdb.IOException:  # the audit engine is writing: keep the last summary
                if out.exists():
                    return out
        con.execute(f"COPY ({query}) TO '{str(tmp).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
    finally:
        con.close()
    os.replace(tmp, out)
    return out


def render_sql(sql: str, superset_home: Path) -> str:
    return sql.replace(PLACEHOLDER, str(superset_home.resolve()).replace("'", "''"))
