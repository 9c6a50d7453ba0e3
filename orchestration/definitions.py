"""The code location: loads each concern's definitions and applies platform-wide settings once."""

from __future__ import annotations

import dagster as dg

from orchestration.defs import (
    applications,
    audit,
    automation,
    ingestion,
    privacy,
    publish,
    quality,
    warehouse,
)
from orchestration.resources import PlatformSettings

platform = dg.Definitions(
    assets=[ingestion.core_tables, ingestion.partner_feeds, warehouse.warehouse_models, publish.published_snapshot],
    jobs=[automation.everything, automation.feed_arrival],
    schedules=[automation.daily_schedule],
    sensors=[automation.landing_sensor],
    resources={"platform": PlatformSettings(), "dbt": warehouse.dbt_resource()},
)

# Each governance and application concern contributes its own Definitions (orchestration/defs/<concern>.py).
defs = dg.Definitions.merge(platform, quality.defs, privacy.defs, audit.defs, applications.defs)
