"""Shared fixtures: a simulated center at scale 0.01, generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from gjj.settings import Settings

SCALE = 0.01
SEED = 11


@pytest.fixture(scope="session")
def center(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A freshly generated center (SQLite core system, feeds, ground truth) at scale 0.01."""
    from ingestion.simulator.generate import generate

    settings = Settings(lakehouse_root=Path(tmp_path_factory.mktemp("center")))
    generate(settings, settings.core_url, SCALE, SEED)
    return settings
