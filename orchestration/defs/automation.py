"""When the pipeline runs: the daily incremental job and its schedule, and a sensor on the landing folders."""

import ctypes
import ctypes.util
import gc

import dagster as dg

from gjj.settings import Settings
from ingestion.feed_contracts import load_contracts


def _release_memory() -> None:
    """Hand freed memory back to the system between steps: a run executes in one process (``gjj pipeline run``),
    and what one step left in Python's, Arrow's and glibc's allocator caches would otherwise still count while the
    next step (the dbt subprocess, DuckDB) takes its own share of the 6 GiB budget. polars' own allocator returns
    its pages by itself (configured in ``gjj/__init__.py``)."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None  # glibc only
    if trim is not None:
        trim(0)


@dg.success_hook(name="release_memory_after_success")
def _after_success(_context: dg.HookContext) -> None:
    _release_memory()


@dg.failure_hook(name="release_memory_after_failure")
def _after_failure(_context: dg.HookContext) -> None:
    _release_memory()


everything = dg.define_asset_job(
    "daily_incremental",
    selection=dg.AssetSelection.all(),
    hooks={_after_success, _after_failure},
    description="每日增量：抽取核心系统与共享数据 → dbt 构建与检查 → 发布快照 / daily incremental run",
)

daily_schedule = dg.ScheduleDefinition(
    name="daily_0600",
    job=everything,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    description="每天 06:00（北京时间）运行每日增量，08:00 前完成 T+1 / daily at 06:00 China time",
)


def waiting_files(settings: Settings) -> dict[str, list[str]]:
    """Feed files waiting in landing/<feed>/ (processed/ and rejected/ are sub-folders, not counted)."""
    out: dict[str, list[str]] = {}
    for feed, contract in load_contracts().items():
        folder = settings.landing_dir / feed
        if folder.is_dir():
            names = sorted(p.name for p in folder.iterdir() if p.is_file() and contract.file_date(p.name))
            if names:
                out[feed] = names
    return out


feed_arrival = dg.define_asset_job(
    "feed_arrival",
    selection=dg.AssetSelection.groups("bronze_feeds").downstream(),
    description="共享数据文件到达：加载共享数据及其下游模型并发布 / load arrived feed files and rebuild downstream",
)


@dg.sensor(job=feed_arrival, minimum_interval_seconds=60, description="共享数据文件到达即触发运行 / new feed files trigger a run")
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    waiting = waiting_files(Settings())
    if not waiting:
        return dg.SkipReason("landing/ 无待处理文件 / no waiting feed files")
    key = "|".join(f"{feed}:{','.join(names)}" for feed, names in sorted(waiting.items()))
    if key == context.cursor:
        return dg.SkipReason("这些文件已触发过运行 / already requested for these files")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=key)], cursor=key)
