"""Quality history in the lakehouse (``<root>/quality/quality.duckdb``): runs, rule results, scores,
failing records and remediation items (整改), so trends and closure rates can be shown.

Remediation lifecycle: open → assigned → fixed → verified. A run opens an item for each new failing
record; an open/assigned/fixed item whose record passes in a later run is verified (auto-closed); a
fixed item that still fails is reopened."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from quality.rules import tables
from quality.runner import RunOutcome
from quality.scores import Score

STATUSES = ("open", "assigned", "fixed", "verified")

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY, started_at TIMESTAMP, warehouse VARCHAR,
    rules INTEGER, seconds DOUBLE, overall DOUBLE, grade VARCHAR, blocking INTEGER);
CREATE TABLE IF NOT EXISTS rule_results (run_id INTEGER, rule_id VARCHAR, rule_name VARCHAR, table_name VARCHAR,
    domain VARCHAR, dimension VARCHAR, severity VARCHAR, owner VARCHAR, engine VARCHAR, checked BIGINT,
    failed BIGINT, pass_rate DOUBLE);
CREATE TABLE IF NOT EXISTS scores (run_id INTEGER, level VARCHAR, name VARCHAR, score DOUBLE, grade VARCHAR);
CREATE TABLE IF NOT EXISTS failures (run_id INTEGER, rule_id VARCHAR, record_key VARCHAR);
CREATE SEQUENCE IF NOT EXISTS remediation_seq;
CREATE TABLE IF NOT EXISTS remediation (item_id BIGINT PRIMARY KEY DEFAULT nextval('remediation_seq'),
    rule_id VARCHAR, record_key VARCHAR, owner VARCHAR, status VARCHAR, assignee VARCHAR,
    opened_at TIMESTAMP, assigned_at TIMESTAMP, fixed_at TIMESTAMP, verified_at TIMESTAMP,
    first_run INTEGER, last_seen_run INTEGER, updated_at TIMESTAMP);
"""


def path_for(root: Path) -> Path:
    return root / "quality" / "quality.duckdb"


def connect(root: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    p = path_for(root)
    p.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(p), read_only=read_only and p.exists())
    if not read_only:
        con.execute(SCHEMA)
    return con


def record(root: Path, warehouse: Path, outcome: RunOutcome, scores: list[Score], n_blocking: int) -> int:
    """Store one run and update the remediation items; returns the run id."""
    now = datetime.now(UTC).replace(tzinfo=None)
    overall = next(s for s in scores if s.level == "overall")
    known = tables()
    con = connect(root)
    try:
        con.execute("BEGIN")
        run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()[0])  # type: ignore[index]
        con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                now,
                str(warehouse),
                len(outcome.results),
                outcome.seconds,
                overall.score,
                overall.grade,
                n_blocking,
            ],
        )
        results = pl.DataFrame(
            [
                {
                    "run_id": run_id,
                    "rule_id": r.rule.id,
                    "rule_name": r.rule.name,
                    "table_name": r.rule.table,
                    "domain": known[r.rule.table].domain,
                    "dimension": r.rule.dimension,
                    "severity": r.rule.severity,
                    "owner": r.rule.owner,
                    "engine": r.engine,
                    "checked": r.checked,
                    "failed": r.failed,
                    "pass_rate": r.pass_rate,
                }
                for r in outcome.results
            ]
        )
        con.register("results", results)
        con.execute("INSERT INTO rule_results SELECT * FROM results")
        score_rows = pl.DataFrame(
            {
                "run_id": [run_id] * len(scores),
                "level": [s.level for s in scores],
                "name": [s.name for s in scores],
                "score": [s.score for s in scores],
                "grade": [s.grade for s in scores],
            }
        )
        con.register("score_rows", score_rows)
        con.execute("INSERT INTO scores SELECT * FROM score_rows")
        fails = outcome.failures.with_columns(run_id=pl.lit(run_id, pl.Int32)).select(
            "run_id", "rule_id", "record_key"
        )
        con.register("fails", fails)
        con.execute("INSERT INTO failures SELECT * FROM fails")
        owners = pl.DataFrame(
            {
                "rule_id": [r.rule.id for r in outcome.results],
                "owner": [r.rule.owner for r in outcome.results],
            }
        )
        con.register("owners", owners)
        # verified: live items whose record no longer fails (auto-close)
        con.execute(
            """UPDATE remediation SET status = 'verified', fixed_at = coalesce(fixed_at, ?), verified_at = ?, updated_at = ?
            WHERE status <> 'verified' AND (rule_id, record_key) NOT IN (SELECT rule_id, record_key FROM fails)""",
            [now, now, now],
        )
        # reopened: items marked fixed that still fail
        con.execute(
            """UPDATE remediation SET status = 'open', fixed_at = NULL, updated_at = ?
            WHERE status = 'fixed' AND (rule_id, record_key) IN (SELECT rule_id, record_key FROM fails)""",
            [now],
        )
        con.execute(
            "UPDATE remediation SET last_seen_run = ? WHERE status <> 'verified' AND (rule_id, record_key) IN "
            "(SELECT rule_id, record_key FROM fails)",
            [run_id],
        )
        # new items for failing records without a live item
        con.execute(
            """INSERT INTO remediation (rule_id, record_key, owner, status, opened_at, first_run, last_seen_run, updated_at)
            SELECT f.rule_id, f.record_key, o.owner, 'open', ?, ?, ?, ? FROM fails f JOIN owners o USING (rule_id)
            WHERE (f.rule_id, f.record_key) NOT IN (SELECT rule_id, record_key FROM remediation WHERE status <> 'verified')""",
            [now, run_id, run_id, now],
        )
        con.execute("COMMIT")
    finally:
        con.close()
    return run_id


def set_status(root: Path, item_ids: list[int], status: str, assignee: str | None = None) -> int:
    """Move remediation items to ``assigned`` or ``fixed`` (``verified`` is set only by a passing run)."""
    if status not in ("assigned", "fixed"):
        raise ValueError(f"状态 {status!r} 只能人工设为 assigned 或 fixed（verified 由复检自动设置）")
    now = datetime.now(UTC).replace(tzinfo=None)
    col = "assigned_at" if status == "assigned" else "fixed_at"
    con = connect(root)
    try:
        ids = pl.DataFrame({"item_id": item_ids})
        con.register("ids", ids)
        n = con.execute(
            f"""UPDATE remediation SET status = ?, {col} = ?, assignee = coalesce(?, assignee), updated_at = ?
            WHERE item_id IN (SELECT item_id FROM ids) AND status <> 'verified'""",
            [status, now, assignee, now],
        ).fetchone()
        return int(n[0]) if n else 0
    finally:
        con.close()


def closure(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], float]:
    """Items per status and the closure rate (verified ÷ all items)."""
    counts = dict(con.execute("SELECT status, count(*) FROM remediation GROUP BY status").fetchall())
    total = sum(counts.values())
    return {s: int(counts.get(s, 0)) for s in STATUSES}, (counts.get("verified", 0) / total if total else 1.0)
