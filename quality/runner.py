"""Run the quality rules against the warehouse: GE expectations pushed down to DuckDB (SQL execution
engine), SQL rules as set-based DuckDB queries; failing-record keys collected set-based."""

from __future__ import annotations

import gc
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from quality import gx_duckdb
from quality.rules import Rule, Table, tables


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    checked: int
    failed: int
    engine: str  # "ge" (Great Expectations, SQL pushdown) or "sql"
    ge_success: bool | None = None

    @property
    def pass_rate(self) -> float:
        return 1.0 if self.checked == 0 else max(0.0, 1.0 - self.failed / self.checked)


@dataclass
class RunOutcome:
    results: list[RuleResult]
    failures: pl.DataFrame  # rule_id, record_key
    seconds: float
    ge_seconds: float
    sql_seconds: float


def _lit(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def failing_predicate(rule: Rule, relation: str) -> str:
    """The SQL condition selecting the records an expectation or predicate rule finds unexpected."""
    c = rule.check
    if c.predicate is not None:
        return f"NOT coalesce(({c.predicate}), FALSE)"
    k = c.kwargs
    col = k.get("column")
    match c.expectation:
        case "ExpectColumnValuesToNotBeNull":
            return f"{col} IS NULL"
        case "ExpectColumnValuesToBeNull":
            return f"{col} IS NOT NULL"
        case "ExpectColumnValuesToBeInSet":
            return f"{col} IS NOT NULL AND {col} NOT IN ({', '.join(_lit(v) for v in k['value_set'])})"
        case "ExpectColumnValuesToBeBetween":
            parts = []
            if k.get("min_value") is not None:
                parts.append(f"{col} {'<=' if k.get('strict_min') else '<'} {_lit(k['min_value'])}")
            if k.get("max_value") is not None:
                parts.append(f"{col} {'>=' if k.get('strict_max') else '>'} {_lit(k['max_value'])}")
            return f"{col} IS NOT NULL AND ({' OR '.join(parts)})"
        case "ExpectColumnValuesToBeUnique":
            return f"{col} IN (SELECT {col} FROM {relation} GROUP BY {col} HAVING count(*) > 1)"
        case "ExpectCompoundColumnsToBeUnique":
            cols = ", ".join(k["column_list"])
            return f"({cols}) IN (SELECT ({cols}) FROM {relation} GROUP BY {cols} HAVING count(*) > 1)"
        case "ExpectColumnValueLengthsToEqual":
            return f"{col} IS NOT NULL AND length({col}) <> {int(k['value'])}"
        case "ExpectColumnValueLengthsToBeBetween":
            return f"{col} IS NOT NULL AND length({col}) NOT BETWEEN {int(k['min_value'])} AND {int(k['max_value'])}"
        case "ExpectColumnValuesToMatchRegex":
            return f"{col} IS NOT NULL AND NOT regexp_matches({col}, {_lit(k['regex'])})"
        case "ExpectColumnValuesToNotMatchRegex":
            return f"{col} IS NOT NULL AND regexp_matches({col}, {_lit(k['regex'])})"
        case "ExpectColumnPairValuesToBeEqual":
            a, b = k["column_A"], k["column_B"]
            return f"NOT ({a} IS NULL AND {b} IS NULL) AND {a} IS DISTINCT FROM {b}"
        case "ExpectColumnPairValuesAToBeGreaterThanB":
            a, b = k["column_A"], k["column_B"]
            op = "<" if k.get("or_equal") else "<="
            return f"{a} IS NOT NULL AND {b} IS NOT NULL AND {a} {op} {b}"
    raise ValueError(f"规则 {rule.id}: 无法下推的 expectation {c.expectation}")


def _source(t: Table, bronze: Path) -> str:
    if t.schema_ == "bronze":
        return f"delta_scan('{(bronze / (t.path or t.name)).as_posix()}')"
    return t.relation


def failures_sql(rule: Rule, t: Table, bronze: Path) -> str:
    """One rule's failing record keys (used for query rules, and to time or debug a single rule)."""
    if rule.check.query is not None:
        return f"SELECT DISTINCT '{rule.id}' AS rule_id, CAST(record_key AS VARCHAR) AS record_key FROM ({rule.check.query})"
    src = _source(t, bronze)
    return (
        f"SELECT DISTINCT '{rule.id}' AS rule_id, CAST({t.key} AS VARCHAR) AS record_key FROM {src} "
        f"WHERE {failing_predicate(rule, src)}"
    )


def table_sql(t: Table, rules: list[Rule], bronze: Path) -> str:
    """All expectation and predicate rules of one table in ONE scan of it.

    Each rule's failing predicate becomes a boolean column; the rows where any rule fails are kept and
    unnested into (rule id, record key). Staging tables are views over the Delta bronze, so one scan per
    table instead of one per rule is what keeps the suite fast."""
    src = _source(t, bronze)
    flags = ", ".join(
        f"coalesce(({failing_predicate(r, src)}), FALSE) AS __q{i}" for i, r in enumerate(rules)
    )
    ids = ", ".join(f"CASE WHEN __q{i} THEN '{r.id}' END" for i, r in enumerate(rules))
    anyf = " OR ".join(f"__q{i}" for i in range(len(rules)))
    return (
        f"SELECT DISTINCT rid AS rule_id, k AS record_key FROM ("
        f"SELECT CAST({t.key} AS VARCHAR) AS k, unnest([{ids}]) AS rid FROM (SELECT *, {flags} FROM {src}) "
        f"WHERE {anyf}) WHERE rid IS NOT NULL"
    )


def connect(warehouse: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse), read_only=True)
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    try:
        con.execute("LOAD delta")
    except duckdb.Error:
        import duckdb_extensions

        duckdb_extensions.import_extension("delta", con=con)
        con.execute("LOAD delta")
    return con


def _expectation(rule: Rule) -> Any:
    import great_expectations as gx

    c = rule.check
    meta = {"rule_id": rule.id}
    if c.expectation in ("ExpectColumnValuesToMatchRegex", "ExpectColumnValuesToNotMatchRegex"):
        query = gx_duckdb.regex_query(
            c.kwargs["column"], c.kwargs["regex"], negate=c.expectation == "ExpectColumnValuesToNotMatchRegex"
        )
        return gx.expectations.UnexpectedRowsExpectation(unexpected_rows_query=query, meta=meta)
    cls = getattr(gx.expectations, c.expectation or "")
    return cls(**c.kwargs, meta=meta)


def run_ge(warehouse: Path, rules: Iterable[Rule]) -> dict[str, tuple[int | None, int, bool]]:
    """Validate the GE rules table by table on the warehouse (SQL pushdown).

    Returns rule id → (element count or None, unexpected count, success)."""
    import great_expectations as gx

    by_table: dict[str, list[Rule]] = defaultdict(list)
    for r in rules:
        if r.check.kind == "ge":
            by_table[r.table].append(r)
    if not by_table:
        return {}
    ctx = gx_duckdb.context()
    ds = ctx.data_sources.add_sql(
        name="warehouse", connection_string=f"duckdb:///{warehouse.as_posix()}?access_mode=read_only"
    )
    known = tables()
    out: dict[str, tuple[int | None, int, bool]] = {}
    try:
        for name, group in by_table.items():
            t = known[name]
            asset = ds.add_table_asset(name=name, table_name=name, schema_name=t.schema_)
            batch = asset.add_batch_definition_whole_table("all").get_batch()
            suite = gx.ExpectationSuite(name=f"quality_{name}", expectations=[_expectation(r) for r in group])
            # BASIC without the unexpected-value list (LIMIT 0 — no scan): counts only; SUMMARY would add a value-count and an index query
            # per expectation (the failing keys come from the set-based query instead)
            result = batch.validate(
                suite, result_format={"result_format": "BASIC", "partial_unexpected_count": 0}
            )
            for er in result.results:
                rid = er.expectation_config.meta["rule_id"]
                if er.exception_info and er.exception_info.get("raised_exception"):
                    raise RuntimeError(
                        f"规则 {rid}: GE 执行失败 {er.exception_info.get('exception_message')}"
                    )
                res = er.result or {}
                if "unexpected_count" in res:
                    out[rid] = (res.get("element_count"), int(res["unexpected_count"] or 0), bool(er.success))
                else:  # UnexpectedRowsExpectation: observed_value = number of unexpected rows
                    out[rid] = (None, int(res.get("observed_value") or 0), bool(er.success))
    finally:
        engine = ds.get_execution_engine()
        if getattr(engine, "_connection", None) is not None:
            engine._connection.close()
            engine._connection = None
        engine.engine.dispose()
        ds.get_engine().dispose()
        ctx.data_sources.delete("warehouse")
        del engine, ds, ctx
        gc.collect()
    return out


def run(warehouse: Path, bronze: Path, rules: list[Rule], memory_limit: str | None = None) -> RunOutcome:
    """GE validates its rules first; then ONE set-based query collects the failing record keys of the SQL rules
    and of the GE rules GE found failing (a passing GE rule is not scanned twice), one scan per table."""
    t0 = time.perf_counter()
    known = tables()
    # GE's import costs 10-20 s of Python on this machine; it runs while DuckDB (which releases the GIL)
    # counts the rows of the checked tables
    ge_import = threading.Thread(target=gx_duckdb.preload, name="ge-import", daemon=True)
    ge_import.start()
    con = connect(warehouse, memory_limit)
    try:
        counts = {}
        for name in sorted({r.table for r in rules}):  # a marts table's count is metadata; a view's one scan
            q = f"SELECT count(*) FROM {_source(known[name], bronze)}"
            counts[name] = int(con.execute(q).fetchone()[0])  # type: ignore[index]
    finally:
        con.close()
    t1 = time.perf_counter()
    ge_import.join()
    ge = run_ge(warehouse, rules)
    t2 = time.perf_counter()
    keyed = [r for r in rules if r.check.kind != "ge" or ge[r.id][1] > 0]
    by_table: dict[str, list[Rule]] = defaultdict(list)
    for r in keyed:
        by_table[r.table].append(r)
    parts = [
        table_sql(known[name], scan, bronze)
        for name, group in sorted(by_table.items())
        if (scan := [r for r in group if r.check.query is None])
    ]
    parts += [failures_sql(r, known[r.table], bronze) for r in keyed if r.check.query is not None]
    con = connect(warehouse, memory_limit)
    try:
        failures = con.execute(
            f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY rule_id, record_key"
        ).pl()
    finally:
        con.close()
    t3 = time.perf_counter()
    nfail = dict(failures.group_by("rule_id").len().iter_rows()) if failures.height else {}
    results = []
    for r in rules:
        if r.check.kind == "ge":
            element, unexpected, ok = ge[r.id]
            checked = element if element is not None else counts[r.table]
            results.append(RuleResult(r, checked, unexpected, "ge", ok))
        else:
            results.append(RuleResult(r, counts[r.table], int(nfail.get(r.id, 0)), "sql"))
    return RunOutcome(
        results, failures, t3 - t0, t2 - t1, (t1 - t0) + (t3 - t2)
    )  # GE part: its import's rest + validation
