"""Masking tests: a test key for pseudonyms (never a real one), and a published copy of the shared warehouse."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gjj.settings import Settings
from masking.operators import KEY_ENV

TEST_KEY = "test-only-masking-key-0123456789"


@pytest.fixture
def masking_key(monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    return TEST_KEY.encode()


@pytest.fixture(scope="module")
def published_copy(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The shared warehouse copied into an own lakehouse and published with the test key (the shared fixture
    stays untouched)."""
    from publish import publish_snapshot

    settings = Settings(lakehouse_root=tmp_path_factory.mktemp("masking") / "lakehouse")
    src = Settings(lakehouse_root=built).warehouse_path
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(src, settings.warehouse_path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(KEY_ENV, TEST_KEY)
        publish_snapshot(settings)
    yield settings
