"""The serving API over the published snapshot (FastAPI)."""
