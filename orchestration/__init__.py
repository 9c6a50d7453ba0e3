"""Dagster code location: assets, checks, schedules, sensors and resources — wiring only."""

import gjj  # noqa: F401  (first: it configures polars' allocator before any asset module imports polars)
