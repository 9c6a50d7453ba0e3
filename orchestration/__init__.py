"""Dagster code location: assets, checks, schedules, sensors and resources — wiring only."""
