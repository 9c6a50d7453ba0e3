"""Data applications: indicator system, forecasts, user profiles, big-screen metrics (issue #7)."""
