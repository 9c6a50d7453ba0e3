"""数据应用 applications: indicators, forecasts, profiles, dashboards (issue #7) — this concern's assets, checks and jobs, merged into the code location."""

import dagster as dg

from analytics.assets import analytics_store
from orchestration.resources import OWNER, PlatformSettings


@dg.asset(
    key=dg.AssetKey(["dashboards", "superset"]),
    deps=[dg.AssetKey(["snapshot", "current"])],
    group_name="applications",
    owners=[OWNER],
    kinds={"superset", "yaml"},
    description="数字大屏：看板 YAML 按当前快照校验、打包并导入 Superset（服务运行时）/ dashboards validated, bundled, imported",
)
def superset_dashboards(context: dg.AssetExecutionContext, platform: PlatformSettings) -> dg.MaterializeResult:
    from dashboards.deploy import deploy_after_publish

    result = deploy_after_publish(platform.get())
    if not result["deployed"]:
        context.log.info(f"Superset not running at {result['superset_url']}: bundle kept at {result['bundle']}")
    return dg.MaterializeResult(metadata=result)


defs = dg.Definitions(assets=[analytics_store, superset_dashboards])
