"""Bronze assets: the core system's tables and the partner feeds, each with a reconciliation check."""


from collections.abc import Iterator

import dagster as dg

from ingestion import core_extract, feed_loader
from ingestion.feed_contracts import load_contracts
from ingestion.simulator.core_schema import TABLES, metadata
from orchestration.resources import OWNER, PlatformSettings

RECONCILED = "reconciled"


def _core_spec(name: str) -> dg.AssetSpec:
    table = metadata.tables[name]
    spec = TABLES[name]
    return dg.AssetSpec(
        key=dg.AssetKey(["core", name]),
        description=f"{table.comment}（核心业务系统 {name} → bronze/core/{name}，{'全量快照' if spec.full_snapshot else '按 upd_tm 增量'}）",
        group_name="bronze_core",
        owners=[OWNER],
        kinds={"delta", "sqlite"},
        tags={"layer": "bronze", "source": "core"},
        metadata={"keys": ", ".join(spec.keys), "extraction": "full snapshot" if spec.full_snapshot else "incremental (upd_tm)"},
    )


def _feed_spec(feed: str, description: str, owner_department: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=dg.AssetKey(["feeds", feed]),
        description=f"{description}（提供部门：{owner_department}；landing/{feed}/ → bronze/feeds/{feed}）",
        group_name="bronze_feeds",
        owners=[OWNER],
        kinds={"delta", "python"},
        tags={"layer": "bronze", "source": "feed"},
    )


CORE_SPECS = [_core_spec(name) for name in sorted(TABLES)]
CONTRACTS = load_contracts()
FEED_SPECS = [_feed_spec(f, c.description, c.owner) for f, c in sorted(CONTRACTS.items())]


def _checks(specs: list[dg.AssetSpec]) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(RECONCILED, asset=s.key, description="读取行数 = 入湖 + 隔离 + 已加载 / rows read reconcile") for s in specs]


@dg.multi_asset(specs=CORE_SPECS, check_specs=_checks(CORE_SPECS), can_subset=True, name="extract_core_tables")
def core_tables(context: dg.AssetExecutionContext, platform: PlatformSettings) -> Iterator[dg.MaterializeResult]:
    """Incremental extraction of the selected core tables (ingestion.core_extract)."""
    settings = platform.get()
    selected = [key.path[-1] for key in context.selected_asset_keys]
    report = core_extract.extract_core(settings, settings.core_url, tables=selected)
    context.log.info(report.summary())
    for log in report.batches:
        key = dg.AssetKey(["core", log.source_object])
        meta: dict[str, dg.RawMetadataValue] = {"rows_read": log.rows_read, "rows_bronze": log.rows_bronze, "rows_quarantine": log.rows_quarantine,
                "rows_already_loaded": log.rows_already_loaded, "watermark": log.watermark_to or "", "batch_id": log.batch_id}
        if log.status != "ok":
            raise dg.Failure(f"核心表 {log.source_object} 抽取失败 / extraction failed: {log.message}", metadata=meta)
        yield dg.MaterializeResult(
            asset_key=key, metadata=meta,
            check_results=[dg.AssetCheckResult(asset_key=key, check_name=RECONCILED, passed=log.reconciled, metadata=meta)],
        )


@dg.multi_asset(specs=FEED_SPECS, check_specs=_checks(FEED_SPECS), can_subset=True, name="load_partner_feeds")
def partner_feeds(context: dg.AssetExecutionContext, platform: PlatformSettings) -> Iterator[dg.MaterializeResult]:
    """Contract-checked loading of the selected partner feeds' waiting files (ingestion.feed_loader)."""
    settings = platform.get()
    selected = {key.path[-1] for key in context.selected_asset_keys}
    report = feed_loader.load_feeds(settings, {f: c for f, c in CONTRACTS.items() if f in selected})
    context.log.info(report.summary())
    for feed in sorted(selected):
        files = [f for f in report.files if f.feed == feed]
        read = sum(f.rows_read for f in files)
        bronze = sum(f.rows_bronze for f in files)
        quarantine = sum(f.rows_quarantine for f in files)
        meta: dict[str, dg.RawMetadataValue] = {"files": len(files), "files_rejected": sum(f.status == "rejected" for f in files),
                "rows_read": read, "rows_bronze": bronze, "rows_quarantine": quarantine}
        key = dg.AssetKey(["feeds", feed])
        yield dg.MaterializeResult(
            asset_key=key, metadata=meta,
            check_results=[dg.AssetCheckResult(asset_key=key, check_name=RECONCILED, passed=read == bronze + quarantine, metadata=meta)],
        )
