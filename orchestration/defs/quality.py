"""数据质量 quality: rule checks, scores, report, remediation (issue #4) — this concern's assets, checks and jobs, merged into the code location.

- ``quality/evaluation`` runs every rule on the warehouse (GE SQL pushdown + set-based SQL), stores scores,
  failing records and remediation items in ``<root>/quality/quality.duckdb``; its blocking check
  ``no_blocking_failures`` fails when a high-severity rule on a published mart falls below the gate's pass
  rate, which stops ``snapshot/current`` (publish depends on this asset). Planted defects of the simulated
  center are rare records and do not block (docs/decisions/0011-quality-gate.md).
- each warehouse table gets the asset check ``quality_rules`` (its rule group: pass rate, failing records).
- ``quality/report`` writes the HTML 数据质量评价报告 and attaches it as metadata."""

from collections.abc import Iterator

import dagster as dg

from orchestration.defs.warehouse import WAREHOUSE_POOL, warehouse_models
from orchestration.resources import OWNER, PlatformSettings
from quality.rules import load_rules, tables

EVALUATION = dg.AssetKey(["quality", "evaluation"])
REPORT = dg.AssetKey(["quality", "report"])
GATE = "no_blocking_failures"
TABLE_CHECK = "quality_rules"


def _table_keys() -> dict[str, dg.AssetKey]:
    """Rule table → the dbt asset key of that table (tables outside dbt, e.g. the feed quarantine, have none)."""
    by_name = {key.path[-1]: key for key in warehouse_models.keys}
    used = {r.table for r in load_rules()}
    return {
        name: by_name[name] for name in sorted(used) if name in by_name and tables()[name].schema_ != "bronze"
    }


TABLE_KEYS = _table_keys()
WAREHOUSE_KEYS: list[dg.AssetKey] = sorted(warehouse_models.keys, key=lambda k: k.to_user_string())


@dg.asset(
    key=EVALUATION,
    deps=WAREHOUSE_KEYS,
    group_name="quality",
    owners=[OWNER],
    kinds={"duckdb", "great_expectations"},
    tags={"layer": "governance"},
    pool=WAREHOUSE_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            GATE,
            asset=EVALUATION,
            blocking=True,
            description="高等级规则在发布表上的通过率低于门槛时阻断发布 / high-severity failures block publishing",
        )
    ],
    description="数据质量检查：五维规则（完整性、准确性、一致性、规范性、及时性）在仓库上执行，记录评分、失败记录与整改项",
)
def quality_evaluation(context: dg.AssetExecutionContext, platform: PlatformSettings) -> Iterator[object]:
    from quality.history import closure, connect
    from quality.suite import run_suite

    s = platform.get()
    res = run_suite(s.root, s.warehouse_path, s.bronze_dir, s.duckdb_memory_limit)
    con = connect(s.root, read_only=True)
    try:
        counts, rate = closure(con)
    finally:
        con.close()
    meta: dict[str, float | int | str] = {
        "run_id": res.run_id,
        "overall_score": round(res.overall.score, 2),
        "grade": res.overall.grade,
        "rules": len(res.outcome.results),
        "failing_records": res.outcome.failures.height,
        "seconds": round(res.outcome.seconds, 1),
        "closure_rate": round(rate, 4),
        **{
            f"score_{sc.level}_{sc.name}": round(sc.score, 2)
            for sc in res.scores
            if sc.level in ("dimension", "domain")
        },
    }
    context.log.info(
        f"quality run {res.run_id}: {res.overall.score:.2f} {res.overall.grade}; open items {counts['open']}"
    )
    yield dg.MaterializeResult(metadata=meta)
    yield dg.AssetCheckResult(
        asset_key=EVALUATION,
        check_name=GATE,
        passed=not res.blocking,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "blocking_rules": ", ".join(f"{r.rule.id}({r.failed})" for r in res.blocking) or "-",
            "blocking_count": len(res.blocking),
        },
    )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            TABLE_CHECK,
            asset=key,
            additional_deps=[EVALUATION],
            description=f"数据质量规则组（{name}）：通过率与失败记录数",
        )
        for name, key in TABLE_KEYS.items()
    ],
    can_subset=True,
    description="各表的质量规则组结果（读取 quality/evaluation 本次检查的记录）",
)
def quality_table_checks(
    context: dg.AssetCheckExecutionContext, platform: PlatformSettings
) -> Iterator[dg.AssetCheckResult]:
    from quality.history import connect

    s = platform.get()
    con = connect(s.root, read_only=True)
    try:
        rows = con.execute(
            """SELECT table_name, count(*), sum(failed), min(pass_rate), sum(checked),
                   string_agg(CASE WHEN failed > 0 THEN rule_id || '(' || failed || ')' END, ', ' ORDER BY rule_id)
            FROM rule_results WHERE run_id = (SELECT max(run_id) FROM runs) GROUP BY table_name"""
        ).fetchall()
    finally:
        con.close()
    got = {r[0]: r for r in rows}
    selected = context.selected_asset_check_keys
    for name, key in TABLE_KEYS.items():
        if dg.AssetCheckKey(key, TABLE_CHECK) not in selected or name not in got:
            continue
        _, n, failed, worst, checked, failing = got[name]
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=TABLE_CHECK,
            passed=int(failed) == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rules": int(n),
                "failing_records": int(failed),
                "lowest_pass_rate": float(worst),
                "records_checked": int(checked),
                "failing_rules": failing or "-",
            },
        )


@dg.asset(
    key=REPORT,
    deps=[EVALUATION],
    group_name="quality",
    owners=[OWNER],
    kinds={"html"},
    tags={"layer": "governance"},
    description="数据质量评价报告（HTML：评分卡、趋势图、问题清单与脱敏样例、整改跟踪）",
)
def quality_report(context: dg.AssetExecutionContext, platform: PlatformSettings) -> dg.MaterializeResult:
    from quality import report

    s = platform.get()
    path = report.write(s.root, s.warehouse_path, s.root / "quality" / "report.html")
    context.log.info(f"quality report: {path}")
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(str(path)),
            "report_url": dg.MetadataValue.url(path.resolve().as_uri()),
            "bytes": path.stat().st_size,
        }
    )


defs = dg.Definitions(assets=[quality_evaluation, quality_report], asset_checks=[quality_table_checks])
