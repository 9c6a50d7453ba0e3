"""Audit fixtures: an audit store beside the shared built warehouse (the warehouse itself is only read)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.engine import RunResult, run_audit
from gjj.settings import Settings
from tests.audit.helpers import audit_settings


@pytest.fixture(scope="session")
def audit_run(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, RunResult]]:
    """One full run of the whole catalog over the scale-0.01 warehouse."""
    settings = audit_settings(built, tmp_path_factory.mktemp("audit_lakehouse"))
    yield settings, run_audit(settings, full=True)
