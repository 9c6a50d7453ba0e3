"""稽核审计 audit: the rule catalog in batch, one asset per rule category, with asset checks (issue #6).

Wiring only: the logic is `audit.engine.run_audit`. Each asset reads the warehouse (never the snapshot) and
writes the audit store, so it runs in the single-writer warehouse pool, after the models its rules read.
"""


import datetime as dt
from collections.abc import Iterator

import dagster as dg

from audit.catalog import input_tables, load_catalog
from audit.engine import run_audit
from orchestration.defs.warehouse import WAREHOUSE_POOL, warehouse_models
from orchestration.resources import OWNER, PlatformSettings

CATEGORIES = {"基础数据": "basic_data", "归集": "collection", "提取": "withdrawal", "贷款": "loan",
              "资金": "funds", "财务": "finance"}
_CATALOG = load_catalog()
_MODEL_KEYS = {tuple(k.path[-2:]): k for k in warehouse_models.keys}


def _deps(category: str) -> list[dg.AssetKey]:
    tables = {t for r in _CATALOG.categories.get(category, []) for t in input_tables(r, dt.date(2026, 1, 1))}
    return sorted({_MODEL_KEYS[tuple(t.split("."))] for t in tables if tuple(t.split(".")) in _MODEL_KEYS},
                  key=lambda k: k.to_user_string())


def _category_asset(category: str, name: str) -> dg.AssetsDefinition:
    key = dg.AssetKey(["audit", name])

    @dg.asset(
        key=key,
        deps=_deps(category),
        group_name="audit",
        owners=[OWNER],
        kinds={"duckdb"},
        tags={"layer": "audit"},
        pool=WAREHOUSE_POOL,
        description=f"稽核规则（{category}，{len(_CATALOG.categories.get(category, []))} 条）批量运行，写入风险事件 / audit rules of category {category} → risk events",
        check_specs=[
            dg.AssetCheckSpec("rules_ran", asset=key, description="该类别每条规则都运行成功（失败的规则按编号列出）"),
            dg.AssetCheckSpec("no_new_high_severity_events", asset=key,
                              description="本次运行没有新增高风险事件（有则警告，需人工处置）"),
        ],
    )
    def _asset(context: dg.AssetExecutionContext, platform: PlatformSettings) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        result = run_audit(platform.get(), full=False, categories=[category], publish_screening=False)
        context.log.info(result.summary())
        high = sum(o.new_events for o in result.ran if _CATALOG.by_id[o.rule_id].severity == "高")
        yield dg.MaterializeResult(metadata={
            "rules_ran": len(result.ran), "rules_failed": len(result.failed), "rules_skipped": len(result.skipped),
            "hits": sum(o.hits for o in result.ran), "new_events": sum(o.new_events for o in result.ran),
            "seconds": round(result.seconds, 2), "run_id": result.run_id,
        })
        yield dg.AssetCheckResult(
            check_name="rules_ran", passed=not result.failed,
            metadata={"failed": ", ".join(f"{o.rule_id}: {o.error[:80]}" for o in result.failed) or "-"},
        )
        yield dg.AssetCheckResult(
            check_name="no_new_high_severity_events", passed=high == 0, severity=dg.AssetCheckSeverity.WARN,
            metadata={"new_high_severity_events": high},
        )

    return _asset


audit_assets = [_category_asset(c, n) for c, n in CATEGORIES.items()]


@dg.asset(
    key=dg.AssetKey(["audit", "screening_reference"]),
    deps=[a.key for a in audit_assets],
    group_name="audit",
    owners=[OWNER],
    kinds={"duckdb"},
    tags={"layer": "audit"},
    pool=WAREHOUSE_POOL,
    description="事中风控参照数据：屏幕规则读取的 staging/intermediate 表复制为只读文件并原子切换 / reference tables for real-time screening",
)
def screening_reference(context: dg.AssetExecutionContext, platform: PlatformSettings) -> dg.MaterializeResult:
    from audit.engine import open_warehouse
    from audit.screening_store import publish_screening_store
    from audit.store import batch_connection

    settings = platform.get()
    con = batch_connection(settings)
    try:
        open_warehouse(con, settings.warehouse_path)
        update = publish_screening_store(con, settings, _CATALOG)
    finally:
        con.close()
    return dg.MaterializeResult(metadata={
        "path": str(update.path), "bytes": update.path.stat().st_size,
        "tables_kept": len(update.kept), "tables_rebuilt": dg.MetadataValue.json(update.rebuilt),
        "rows_appended": dg.MetadataValue.json(update.appended),
        "keys_refreshed": dg.MetadataValue.json(update.refreshed)})


defs = dg.Definitions(assets=[*audit_assets, screening_reference])
