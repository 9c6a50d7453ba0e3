"""Audit and risk control: rule catalog, batch and real-time engines, risk events (issue #6)."""
