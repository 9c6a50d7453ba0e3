"""Dashboards tests run against a published snapshot of the shared scale-0.01 `built` lakehouse."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboards.spec import ASSETS_DIR
from gjj.settings import Settings
from publish.snapshot import read_current
from tests.warehouse import gjj


@pytest.fixture(scope="session")
def published(built: Path) -> Settings:
    """The `built` lakehouse with a published snapshot (published once, if nothing was yet) and an audit run
    (the leadership screen counts its risk events)."""
    settings = Settings(lakehouse_root=built)
    if read_current(settings.snapshots_dir) is None:
        gjj(built, "publish")
    if not (built / "audit" / "audit.duckdb").exists():
        gjj(built, "audit", "run")
    return settings


@pytest.fixture
def assets_copy(tmp_path: Path) -> Path:
    """A writable copy of dashboards/assets for tests that break or change it."""
    target = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, target)
    return target


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def superset(published: Settings) -> Iterator[str]:
    """A real Superset (its own environment, `make superset-env`) over the published snapshot, on a free port."""
    from dashboards.server import SupersetHome, stop, unavailable_reason

    reason = unavailable_reason()
    if reason:
        print(f"SKIP Superset tests: {reason}")
        pytest.skip(reason)
    home = SupersetHome(published)
    port = _free_port()
    proc = home.start(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
