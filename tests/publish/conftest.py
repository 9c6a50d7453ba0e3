"""A small warehouse holding exactly the contract marts, written by DuckDB per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from gjj.settings import Settings
from publish.synthetic import build_synthetic_warehouse


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(lakehouse_root=tmp_path / "lakehouse", snapshots_kept=3)
    build_synthetic_warehouse(s.warehouse_path, accounts=50, txns_per_account=12, units=5, months=6)
    return s
