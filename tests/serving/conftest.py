"""Published snapshots of a small contract warehouse, and TestClients on the API.

``client`` shares one published snapshot across the read-only tests (session scope); tests that
publish or roll back use ``settings``/``published`` (their own lakehouse per test).

Authentication: every /v1 route needs an API key. ``client`` and ``fresh_client`` send a key of a
``privileged`` consumer (all scopes, unmasked) by default; ``api_key(role, scopes)`` issues a key for any other
role — other concerns' tests do the same with ``serving.core.access.issue_test_key(settings, role, scopes)``
and send it as the ``X-API-Key`` header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gjj.settings import Settings
from publish import publish_snapshot
from publish.synthetic import build_synthetic_warehouse
from serving.app import create_app
from serving.core.access import issue_test_key

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
    key = issue_test_key(shared_snapshot, "privileged")
    with TestClient(create_app(shared_snapshot, reload_interval_s=0), headers={"X-API-Key": key}) as c:
        yield c


@pytest.fixture(scope="session")
def api_key(shared_snapshot: Settings) -> Callable[..., str]:
    """api_key(role, scopes=None, **kw) → a key for a consumer of ``role`` on the shared snapshot's registry."""
    def issue(role: str, scopes: list[str] | None = None, **kw: object) -> str:
        return issue_test_key(shared_snapshot, role, scopes, **kw)  # type: ignore[arg-type]
    return issue


@pytest.fixture
def fresh_client(published: Settings) -> Iterator[TestClient]:
    key = issue_test_key(published, "privileged")
    with TestClient(create_app(published, reload_interval_s=0), headers={"X-API-Key": key}) as c:
        yield c
