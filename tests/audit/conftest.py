"""Audit fixtures: an audit store beside the shared built warehouse (the warehouse itself is only read)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from audit.engine import RunResult, run_audit
from audit.screening import Screener
from gjj.settings import Settings
from tests.audit.helpers import audit_settings


@pytest.fixture(scope="session")
def audit_run(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, RunResult]]:
    """One full run of the whole catalog over the scale-0.01 warehouse."""
    settings = audit_settings(built, tmp_path_factory.mktemp("audit_lakehouse"))
    yield settings, run_audit(settings, full=True)


@pytest.fixture(scope="session")
def screener(published: Settings) -> Iterator[Screener]:
    """Screening over the store written by the full audit run and the published snapshot's serving store."""
    s = Screener.from_settings(published)
    yield s
    s.close()


@pytest.fixture(scope="session")
def published(audit_run: tuple[Settings, RunResult]) -> Settings:
    """The audit run's lakehouse with a published snapshot (the API reads snapshots only)."""
    from publish import publish_snapshot

    settings, _ = audit_run
    publish_snapshot(settings)
    return settings


@pytest.fixture
def client(published: Settings) -> Iterator[TestClient]:
    """The serving app over the published snapshot, as an auditor entitled to screening and risk events."""
    from serving.app import create_app
    from serving.core.access import issue_test_key

    key = issue_test_key(published, "auditor", ["screening", "risk-events"])
    with TestClient(create_app(published), headers={"X-API-Key": key}) as c:
        yield c
