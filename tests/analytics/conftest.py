"""The analytics fixtures: the shared ``built`` lakehouse published and its analytics store built once,
and a TestClient on the API (the one place where the API key header will be added, issue #5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from analytics.build import BuildResult, build_store
from gjj.settings import Settings
from serving.app import create_app
from serving.core.access import issue_test_key
from tests.warehouse import gjj


@pytest.fixture(scope="session")
def analytics_settings(built: Path) -> Settings:
    """``built`` after ``gjj publish``: its current snapshot is what analytics reads."""
    gjj(built, "publish")
    return Settings(lakehouse_root=built)


@pytest.fixture(scope="session")
def analytics_store(analytics_settings: Settings) -> BuildResult:
    return build_store(analytics_settings)


@pytest.fixture(scope="session")
def client(analytics_settings: Settings, analytics_store: BuildResult) -> Iterator[TestClient]:
    key = issue_test_key(analytics_settings, "privileged")
    with TestClient(create_app(analytics_settings, reload_interval_s=0), headers={"X-API-Key": key}) as c:
        yield c
