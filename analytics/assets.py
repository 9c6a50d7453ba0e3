"""The Dagster asset of this concern (wired in orchestration/defs/applications.py): after every publish,
the analytics store of the new snapshot — forecasts with backtests, member profiles and tags, big-screen
payloads. It reads the snapshot read-only, so it takes no warehouse pool slot."""

import dagster as dg
import duckdb

from analytics.build import build_store
from orchestration.resources import OWNER, PlatformSettings


@dg.asset(
    key=dg.AssetKey(["analytics", "store"]),
    deps=[dg.AssetKey(["snapshot", "current"])],
    group_name="applications",
    owners=[OWNER],
    kinds={"duckdb", "statsmodels"},
    tags={"layer": "applications"},
    description="决策分析数据：资金预测(含回测MAPE)、用户画像标签、大屏数据 / forecasts, profiles, big-screen payloads "
                "of the current snapshot (analytics/v<N>.duckdb)",
)
def analytics_store(context: dg.AssetExecutionContext, platform: PlatformSettings) -> dg.MaterializeResult:
    result = build_store(platform.get())
    con = duckdb.connect(str(result.path), read_only=True)
    try:
        mape = {f"mape_{s}": float(m) for s, m in
                con.execute("SELECT series, mape FROM forecast_backtest WHERE chosen ORDER BY series").fetchall()}
    finally:
        con.close()
    context.log.info(f"analytics store for snapshot v{result.version}: {result.members} profiles")
    return dg.MaterializeResult(metadata={"snapshot_version": result.version, "path": str(result.path),
                                          "profiles": result.members, "themes": ", ".join(result.themes),
                                          **{f"{k}_seconds": round(v, 2) for k, v in result.seconds.items()}, **mape})
