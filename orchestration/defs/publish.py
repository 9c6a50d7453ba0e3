"""The published snapshot: after a successful build, an immutable version switched to "current"."""


import dagster as dg

from orchestration.defs.warehouse import WAREHOUSE_POOL, warehouse_models
from orchestration.resources import OWNER, PlatformSettings
from publish import publish_snapshot

MART_KEYS = sorted(
    (key for key in warehouse_models.keys if key.path[0] == "marts" or "marts" in key.path[:-1]),
    key=lambda k: k.to_user_string(),
)


@dg.asset(
    key=dg.AssetKey(["snapshot", "current"]),
    # the quality gate (issue #4): its blocking check stops publishing on high-severity failures
    deps=[*(MART_KEYS or list(warehouse_models.keys)), dg.AssetKey(["quality", "evaluation"])],
    group_name="publish",
    owners=[OWNER],
    kinds={"duckdb", "parquet", "sqlite"},
    tags={"layer": "publish"},
    pool=WAREHOUSE_POOL,
    description="只读发布快照（DuckDB + Parquet + 查询用 SQLite），原子切换 current；构建失败则不发布 / read-only published snapshot",
)
def published_snapshot(context: dg.AssetExecutionContext, platform: PlatformSettings) -> dg.MaterializeResult:
    info = publish_snapshot(platform.get())
    context.log.info(f"published snapshot v{info.version}")
    return dg.MaterializeResult(metadata={"version": info.version, "path": str(info.path),
                                          **{f"rows_{t}": n for t, n in info.tables.items()}})
