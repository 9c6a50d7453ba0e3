"""Quality benchmark: the whole rule suite (GE SQL pushdown + set-based SQL) on a built warehouse at scale S,
recall and false positives against the ground truth, and — in the same run — the largest table's GE suite
through GE's pandas execution on a 1M-row sample, so the SQL/pandas ratio is visible.

Uses the pipeline benchmark's lakehouse ``<root>/bench-pipeline-<scale>`` when it has a warehouse (the lead's
scale-1.0 run), otherwise builds ``<root>/bench-quality-<scale>`` (generate, ingest, dbt seed + build).
History goes to a temporary folder, so the lakehouse's own quality history is untouched.
Targets (issue #4): whole suite ≤ 60 s at scale 1.0 on 2 cores; recall ≥ 95 % per defect kind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import write_result
from gjj.settings import Settings, get_settings

REPO = Path(__file__).resolve().parents[1]
SAMPLE_ROWS = 1_000_000


def _built(settings: Settings, scale: float, root: Path | None = None) -> Path:
    if root is not None:  # a lakehouse built elsewhere at this scale (e.g. a copy of the lead's scale-1.0 run)
        if not (root / "warehouse" / "warehouse.duckdb").exists():
            raise SystemExit(f"{root}: 没有 warehouse/warehouse.duckdb (no built warehouse)")
        return root
    for name in (f"bench-pipeline-{scale}", f"bench-quality-{scale}"):
        root = settings.root / name
        if (root / "warehouse" / "warehouse.duckdb").exists():
            return root
    root = settings.root / f"bench-quality-{scale}"
    env = {**os.environ, "GJJ_LAKEHOUSE_ROOT": str(root)}
    gjj = str(Path(sys.executable).parent / "gjj")
    dbt = str(Path(sys.executable).parent / "dbt")
    subprocess.run([gjj, "generate", "--scale", str(scale)], check=True, env=env, cwd=REPO)
    subprocess.run([gjj, "ingest"], check=True, env=env, cwd=REPO)
    for step in ("seed", "build"):
        args = [dbt, step, "--project-dir", ".", "--profiles-dir", ".", "--quiet"]
        subprocess.run(args, check=step == "seed", env=env, cwd=REPO / "dbt_project")
    return root


def _pandas_suite(warehouse: Path, table: str) -> tuple[float, int]:
    """The GE rules of ``table`` on a pandas frame of up to 1M rows (GE's pandas execution engine)."""
    import duckdb
    import great_expectations as gx

    from quality.rules import load_rules, tables
    from quality.runner import _expectation

    rules = [r for r in load_rules() if r.table == table and r.check.kind == "ge"]
    t = tables()[table]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = con.execute(f"SELECT * FROM {t.relation} LIMIT {SAMPLE_ROWS}").df()
    finally:
        con.close()
    start = time.perf_counter()
    ctx = gx.get_context(mode="ephemeral")
    batch = (
        ctx.data_sources.add_pandas("sample")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    expectations = []
    for r in rules:
        if r.check.expectation in ("ExpectColumnValuesToMatchRegex", "ExpectColumnValuesToNotMatchRegex"):
            cls = getattr(gx.expectations, r.check.expectation)
            expectations.append(cls(**r.check.kwargs))  # pandas implements regex natively
        else:
            expectations.append(_expectation(r))
    batch.validate(gx.ExpectationSuite(name=f"pandas_{table}", expectations=expectations))
    return time.perf_counter() - start, len(frame)


def run(settings: Settings, scale: float, root: Path | None = None) -> str:
    from quality import truth
    from quality.rules import load_rules
    from quality.suite import run_suite

    root = _built(settings, scale, root)
    warehouse = root / "warehouse" / "warehouse.duckdb"
    rules = load_rules()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        res = run_suite(Path(tmp), warehouse, root / "bronze", settings.duckdb_memory_limit)
        suite_seconds = time.perf_counter() - start
    m = truth.measure(truth.load(root), rules, res.outcome.failures)
    checked = {r.rule.table: r.checked for r in res.outcome.results}
    largest = max(
        (t for t in checked if any(r.table == t and r.check.kind == "ge" for r in rules)),
        key=checked.__getitem__,
    )
    sql_largest = _sql_table_seconds(warehouse, root, largest)
    pandas_seconds, sample = _pandas_suite(warehouse, largest)
    metrics: dict[str, float | int | str] = {
        "rules": len(rules),
        "suite_seconds": round(suite_seconds, 2),
        "suite_ge_seconds": round(res.outcome.ge_seconds, 2),
        "suite_sql_seconds": round(res.outcome.sql_seconds, 2),
        "overall_score": round(res.overall.score, 2),
        "failing_records": res.outcome.failures.height,
        "false_positive_records": sum(len(v) for v in m.false_positives.values()),
        "knock_on_records": sum(m.knock_on.values()),
        "min_recall": round(min((m.recall_of(k) for k in m.recall), default=1.0), 4),
        **{f"{k.replace('-', '_').lower()}_recall": round(m.recall_of(k), 4) for k in m.recall},
        "largest_table": largest,
        "largest_table_rows": checked[largest],
        "largest_table_ge_sql_seconds": round(sql_largest, 2),
        "largest_table_pandas_sample_rows": sample,
        "largest_table_ge_pandas_seconds": round(pandas_seconds, 2),
        "pandas_to_sql_ratio": round(pandas_seconds / sql_largest, 2) if sql_largest else 0.0,
        "target_suite_seconds": 60,
        "target_min_recall": 0.95,
    }
    path = write_result("quality", scale, metrics)
    return f"{path}\n" + json.dumps(metrics, ensure_ascii=False, indent=2)


def _sql_table_seconds(warehouse: Path, root: Path, table: str) -> float:
    """The largest table's GE rules alone through the SQL execution engine (same rules as the pandas run)."""
    from quality.rules import load_rules
    from quality.runner import run_ge

    rules = [r for r in load_rules() if r.table == table and r.check.kind == "ge"]
    run_ge(warehouse, rules[:1])  # GE import and context outside the timing, as for pandas
    start = time.perf_counter()
    run_ge(warehouse, rules)
    return time.perf_counter() - start


def main(scale: float, root: Path | None = None) -> None:
    print(run(get_settings(), scale, root))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.01, Path(sys.argv[2]) if len(sys.argv) > 2 else None)
