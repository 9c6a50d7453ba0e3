"""The Dagster asset of one rule category materializes over the built warehouse and reports its checks."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.defs.audit import audit_assets
from orchestration.resources import PlatformSettings
from tests.audit.helpers import audit_settings


def test_category_asset_materializes_with_checks(built: Path, tmp_path: Path) -> None:
    settings = audit_settings(built, tmp_path / "lh")
    asset = next(a for a in audit_assets if a.key == dg.AssetKey(["audit", "withdrawal"]))
    result = dg.materialize([asset], resources={"platform": PlatformSettings(lakehouse_root=str(settings.root))})
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["rules_ran"].passed
    assert not checks["no_new_high_severity_events"].passed  # the planted withdrawal frauds are new high-severity events
    meta = result.asset_materializations_for_node(asset.op.name)[0].metadata
    assert meta["rules_ran"].value >= 30 and meta["rules_failed"].value == 0
