"""数据应用 applications: indicators, forecasts, profiles, dashboards (issue #7) — this concern's assets, checks and jobs, merged into the code location."""

import dagster as dg

from analytics.assets import analytics_store

defs = dg.Definitions(
    assets=[analytics_store],
)
