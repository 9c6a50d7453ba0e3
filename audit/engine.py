"""Batch audit engine (事后稽核): the whole catalog as set-based DuckDB SQL over the warehouse → risk events.

The warehouse is attached read-only; events go to the audit store. Each rule runs alone: a rule that fails
is recorded with its id and error, and the others go on. Modes:

- full: every enabled rule is evaluated; events a rule no longer produces are marked cleared;
- incremental: a rule runs only when one of the tables it reads changed since its last successful run
  (fingerprint: a staging view by its definition + the commit versions of the bronze Delta tables it scans;
  a table by row count + change stamp ``_dbt_loaded_at`` / ``_ingested_at``, else a hash of the rows) or
  its version changed; the others keep their events untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from audit.catalog import (
    FAR_FUTURE,
    PARAMS_TABLE,
    REF_COLUMNS,
    Catalog,
    Rule,
    input_tables,
    load_catalog,
    render,
    used_columns,
    warehouse_schema,
)
from audit.store import connect_store
from gjj.settings import Settings

STAMPS = ("_dbt_loaded_at", "_ingested_at")


@dataclass
class RuleOutcome:
    rule_id: str
    version: int
    status: str  # ok | error | skipped
    hits: int = 0
    new_events: int = 0
    cleared_events: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class RunResult:
    run_id: str
    mode: str
    asof: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    outcomes: list[RuleOutcome] = field(default_factory=list)

    @property
    def ran(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.status == "ok"]

    @property
    def failed(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.status == "error"]

    @property
    def skipped(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.status == "skipped"]

    @property
    def seconds(self) -> float:
        return ((self.finished_at or self.started_at) - self.started_at).total_seconds()

    def summary(self) -> str:
        hits = sum(o.hits for o in self.ran)
        lines = [
            f"稽核运行 audit run {self.run_id} ({self.mode}, 业务日期 {self.asof}): "
            f"{len(self.ran)} 条规则已运行 rules ran, {len(self.failed)} 失败 failed, {len(self.skipped)} 未变化跳过 skipped; "
            f"{hits} hits, {sum(o.new_events for o in self.ran)} 新风险事件 new events, "
            f"{sum(o.cleared_events for o in self.ran)} 已消除 cleared; {self.seconds:.1f} s"
        ]
        lines += [f"  规则失败 rule failed: {o.rule_id}: {o.error}" for o in self.failed]
        return "\n".join(lines)


def business_date(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The data's business date (core system BIZ_DATE), else today."""
    try:
        row = con.execute(
            "SELECT max(ctl_date) FROM staging.stg_core__system_controls WHERE ctl_key = 'BIZ_DATE'"
        ).fetchone()
    except duckdb.Error:
        row = None
    return row[0] if row and row[0] else dt.date.today()


def load_params(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    """Temp table of every parameter version: policy parameters (rule_id '*') + the rules' own ones."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {PARAMS_TABLE} AS
        SELECT '*' AS rule_id, csdm, CAST(csz AS DOUBLE) AS csz, valid_from,
               coalesce(valid_to, DATE '{FAR_FUTURE}') AS valid_to
        FROM intermediate.int_policy_parameters""")
    rows = [(r, n, v, f, t or FAR_FUTURE) for r, n, v, f, t in catalog.parameter_rows()]
    if rows:
        con.executemany(f"INSERT INTO {PARAMS_TABLE} VALUES (?, ?, ?, ?, ?)", rows)


def open_warehouse(con: duckdb.DuckDBPyConnection, path: Path, alias: str = "warehouse") -> None:
    # the staging views name their catalog "warehouse" (the file stem dbt attached them under)
    con.execute(f"ATTACH '{path}' AS {alias} (READ_ONLY)")
    con.execute(f"USE {alias}")


_DELTA_SCAN = re.compile(r"delta_scan\('([^']+)'\)")
_SEED = re.compile(r"\bseeds\.(\w+)")


def _delta_version(path: str) -> str:
    """The latest commit of a Delta table (its _delta_log), without reading any data."""
    log = Path(path) / "_delta_log"
    versions = [int(f.name.split(".")[0]) for f in log.glob("*.json")] if log.is_dir() else []
    return str(max(versions, default=-1))


def fingerprint(con: duckdb.DuckDBPyConnection, table: str, columns: Iterable[str]) -> str:
    schema, name = table.split(".")
    view = con.execute("SELECT sql FROM duckdb_views() WHERE database_name = current_database() AND schema_name = ? "
                       "AND view_name = ?", [schema, name]).fetchone()
    if view:  # a staging view over bronze Delta tables: its definition + their commit versions + the seeds it maps with
        sql = str(view[0])
        parts = [hashlib.sha256(sql.encode()).hexdigest()[:16]]
        parts += [f"{p}@{_delta_version(p)}" for p in sorted(set(_DELTA_SCAN.findall(sql)))]
        for seed in sorted(set(_SEED.findall(sql))):
            n, h = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM seeds.{seed} t").fetchone()  # type: ignore[misc]
            parts.append(f"{seed}:{n}|{h}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()
    cols = set(columns)
    stamp = next((s for s in STAMPS if s in cols), None)
    if stamp:
        n, last = con.execute(f"SELECT count(*), max({stamp}) FROM {table}").fetchone()  # type: ignore[misc]
        return f"{n}|{last}"
    n, h = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {table} t").fetchone()  # type: ignore[misc]
    return f"{n}|{h}"


def _evidence_sql(rule: Rule, columns: list[str]) -> tuple[str, str]:
    ev = [c for c in rule.evidence if c in columns]
    params = [c for c in columns if c.startswith("p_")]
    ev_sql = "to_json(struct_pack(" + ", ".join(f'"{c}" := h."{c}"' for c in ev) + "))" if ev else "NULL"
    p_sql = "to_json(struct_pack(" + ", ".join(f'"{c[2:].upper()}" := h."{c}"' for c in params) + "))" if params else "NULL"
    return ev_sql, p_sql


class ViewCache:
    """Staging views (bronze Delta scans with dedupe and code mapping: expensive) that several rules of a run
    read are materialised once per run, with the columns those rules use, as temp tables."""

    def __init__(self, con: duckdb.DuckDBPyConnection, rules: list[Rule], asof: dt.date,
                 schema: dict[str, dict[str, dict[str, str]]]) -> None:
        self.con = con
        views = {f"{s}.{n}" for s, n in con.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = current_database() "
            "AND NOT internal").fetchall()}
        readers: dict[str, list[Rule]] = {}
        for rule in rules:
            for t in input_tables(rule, asof):
                if t in views:
                    readers.setdefault(t, []).append(rule)
        self.columns: dict[str, set[str]] = {}
        for view, rs in readers.items():
            if len(rs) < 2:
                continue
            try:
                self.columns[view] = set().union(*(used_columns(r, schema, asof).get(view, set()) for r in rs))
            except Exception:  # a rule that does not qualify runs (and fails) on its own, over the view
                continue
        self.made: dict[str, str] = {}

    def materialise(self, tables: Iterable[str]) -> None:
        """Create the cached copies these tables need (outside a rule's transaction)."""
        for view in (t for t in tables if t in self.columns and t not in self.made):
            name = "_view_cache__" + view.replace(".", "__")
            cols = ", ".join(f'"{c}"' for c in sorted(self.columns[view]))
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM {view}")
            self.made[view] = f"temp.main.{name}"

    def rewrite(self, sql: str, tables: Iterable[str]) -> str:
        for view in (t for t in tables if t in self.made):
            sql = re.sub(rf"\b{re.escape(view)}\b", self.made[view], sql)
        return sql


def evaluate_rule(con: duckdb.DuckDBPyConnection, rule: Rule, asof: dt.date, target: str = "_hits",
                  cache: ViewCache | None = None) -> int:
    """Evaluate one rule's condition into temp table ``target`` (one row per record_key); returns the count."""
    sql = render(rule, asof)
    if cache is not None:
        sql = cache.rewrite(sql, input_tables(rule, asof))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {target} AS
        SELECT * FROM ({sql}) q QUALIFY row_number() OVER (PARTITION BY CAST(q.record_key AS VARCHAR)) = 1""")
    return int(con.execute(f"SELECT count(*) FROM {target}").fetchone()[0])  # type: ignore[index]


def _store_hits(con: duckdb.DuckDBPyConnection, rule: Rule, run_id: str, now: dt.datetime) -> tuple[int, int]:
    columns = [r[0] for r in con.execute("DESCRIBE _hits").fetchall()]
    ev_sql, p_sql = _evidence_sql(rule, columns)
    refs = ", ".join(f"CAST(h.{c} AS VARCHAR)" if c in columns else "NULL" for c in REF_COLUMNS)
    before = int(con.execute("SELECT count(*) FROM audit.main.risk_event WHERE rule_id = ?", [rule.id]).fetchone()[0])  # type: ignore[index]
    con.execute(
        f"""INSERT INTO audit.main.risk_event (event_id, rule_id, rule_version, rule_name, category, severity,
                subject_table, source_table, record_key, grzh, dwzh, zjhm, evidence, parameters,
                first_seen, last_seen, first_run_id, last_run_id, cleared_at, state, updated_at)
            SELECT ? || ':' || CAST(h.record_key AS VARCHAR), ?, ?, ?, ?, ?, ?, ?, CAST(h.record_key AS VARCHAR), {refs},
                   {ev_sql}, {p_sql}, ?, ?, ?, ?, NULL, 'triggered', ?
            FROM _hits h
            ON CONFLICT (event_id) DO UPDATE SET rule_version = excluded.rule_version, evidence = excluded.evidence,
                parameters = excluded.parameters, last_seen = excluded.last_seen, last_run_id = excluded.last_run_id,
                grzh = excluded.grzh, dwzh = excluded.dwzh, zjhm = excluded.zjhm, cleared_at = NULL""",
        [rule.id, rule.id, rule.version, rule.name, rule.category, rule.severity, rule.subject.table,
         rule.subject.source_table, now, now, run_id, run_id, now],
    )
    after = int(con.execute("SELECT count(*) FROM audit.main.risk_event WHERE rule_id = ?", [rule.id]).fetchone()[0])  # type: ignore[index]
    cleared = con.execute(
        """UPDATE audit.main.risk_event SET cleared_at = ?, updated_at = ?
           WHERE rule_id = ? AND cleared_at IS NULL AND last_run_id <> ?""",
        [now, now, rule.id, run_id],
    ).fetchone()
    return after - before, int(cleared[0]) if cleared else 0


def run_audit(
    settings: Settings,
    full: bool = False,
    rule_ids: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    catalog: Catalog | None = None,
    publish_screening: bool = True,
) -> RunResult:
    """Evaluate the catalog (or the selected rules / categories) and record the run and its risk events."""
    catalog = catalog or load_catalog()
    con = connect_store(settings)
    try:
        open_warehouse(con, settings.warehouse_path)
        asof = business_date(con)
        schema = warehouse_schema(con)
        load_params(con, catalog)
        wanted_ids = set(rule_ids or [])
        wanted_cats = set(categories or [])
        rules = [r for r in catalog.rules if r.enabled
                 and (not wanted_ids or r.id in wanted_ids) and (not wanted_cats or r.category in wanted_cats)]
        result = RunResult(run_id=uuid.uuid4().hex[:12], mode="full" if full else "incremental", asof=asof,
                           started_at=dt.datetime.now())
        fingerprints: dict[str, str] = {}
        state = {r[0]: (r[1], json.loads(r[2]) if r[2] else {}) for r in con.execute(
            "SELECT rule_id, rule_version, fingerprints FROM audit.main.rule_state").fetchall()}
        cache = ViewCache(con, rules, asof, schema)
        for rule in rules:
            outcome = _run_one(con, rule, asof, schema, full, state.get(rule.id), fingerprints, result.run_id, cache)
            result.outcomes.append(outcome)
        result.finished_at = dt.datetime.now()
        con.execute(
            "INSERT INTO audit.main.audit_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [result.run_id, result.mode, asof, result.started_at, result.finished_at, len(rules), len(result.ran),
             len(result.failed), len(result.skipped), sum(o.hits for o in result.ran),
             sum(o.new_events for o in result.ran), sum(o.cleared_events for o in result.ran)],
        )
        con.executemany(
            "INSERT INTO audit.main.rule_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(result.run_id, o.rule_id, o.version, o.status, o.hits, o.new_events, o.cleared_events, o.seconds,
              o.error or None) for o in result.outcomes],
        )
        if publish_screening:
            from audit.screening_store import publish_screening_store

            publish_screening_store(con, settings, catalog, full=full)
        return result
    finally:
        con.close()


def _run_one(
    con: duckdb.DuckDBPyConnection, rule: Rule, asof: dt.date, schema: dict[str, dict[str, dict[str, str]]],
    full: bool, prior: tuple[int, dict[str, str]] | None, fingerprints: dict[str, str], run_id: str,
    cache: ViewCache | None = None,
) -> RuleOutcome:
    started = time.perf_counter()
    try:
        tables = input_tables(rule, asof)
        current: dict[str, str] = {}
        for t in tables:
            if t not in fingerprints:
                s, n = t.split(".")
                fingerprints[t] = fingerprint(con, t, schema.get(s, {}).get(n, {}))
            current[t] = fingerprints[t]
        if not full and prior and prior[0] == rule.version and prior[1] == current:
            return RuleOutcome(rule.id, rule.version, "skipped", seconds=time.perf_counter() - started)
        if cache is not None:
            cache.materialise(tables)
        con.execute("BEGIN")
        try:
            hits = evaluate_rule(con, rule, asof, cache=cache)
            now = dt.datetime.now()
            new, cleared = _store_hits(con, rule, run_id, now)
            con.execute(
                """INSERT INTO audit.main.rule_state VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (rule_id) DO UPDATE SET rule_version = excluded.rule_version,
                   fingerprints = excluded.fingerprints, last_run_id = excluded.last_run_id, last_ok_at = excluded.last_ok_at""",
                [rule.id, rule.version, json.dumps(current, sort_keys=True), run_id, now],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return RuleOutcome(rule.id, rule.version, "ok", hits, new, cleared, time.perf_counter() - started)
    except Exception as e:  # a broken rule is reported with its id; the others go on
        return RuleOutcome(rule.id, rule.version, "error", seconds=time.perf_counter() - started,
                           error=str(e).splitlines()[0][:500])
