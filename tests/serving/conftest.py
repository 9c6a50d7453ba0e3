"""Published snapshots of a small contract warehouse, and TestClients on the API.

``client`` shares one published snapshot across the read-only tests (session scope); tests that
publish or roll back use ``settings``/``published`` (their own lakehouse per test).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gjj.settings import Settings
from publish import publish_snapshot
from publish.synthetic import build_synthetic_warehouse
from serving.app import create_app

ACCOUNTS, TXNS = 40, 30


def _warehouse(root: Path) -> Settings:
    s = Settings(lakehouse_root=root)
    build_synthetic_warehouse(s.warehouse_path, accounts=ACCOUNTS, txns_per_account=TXNS, units=5, months=6)
    return s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return _warehouse(tmp_path / "lakehouse")


@pytest.fixture
def published(settings: Settings) -> Settings:
    publish_snapshot(settings)
    return settings


@pytest.fixture(scope="session")
def shared_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    s = _warehouse(tmp_path_factory.mktemp("serving") / "lakehouse")
    publish_snapshot(s)
    return s


@pytest.fixture(scope="session")
def client(shared_snapshot: Settings) -> Iterator[TestClient]:
    # reload_interval_s=0: tests see a new CURRENT immediately
    with TestClient(create_app(shared_snapshot, reload_interval_s=0)) as c:
        yield c


@pytest.fixture
def fresh_client(published: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(published, reload_interval_s=0)) as c:
        yield c
