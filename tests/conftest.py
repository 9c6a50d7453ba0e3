"""Shared fixtures, each built once per test session: a simulated center at scale 0.01, and the same kind of
center ingested and built into a warehouse by dbt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from gjj.settings import Settings
from tests.warehouse import connect, dbt, error_failures, gjj

SCALE = 0.01
SEED = 11


# The test session's own masking key (tests only, not a secret): publishes write the masked analyst edition,
# which is all Superset and notebooks may open (they refuse a snapshot without one, issue #5). Tests of the
# key-less path delete it with monkeypatch.
TEST_MASKING_KEY = "test-session-masking-key-not-a-secret"


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project before collection: test modules import Dagster definitions, which load dbt's
    manifest (absent in a fresh clone). Give the session (and the gjj subprocesses it starts) a masking key."""
    import os

    from orchestration.pipeline import prepare

    os.environ.setdefault("GJJ_MASKING_KEY", TEST_MASKING_KEY)

    prepare()


@pytest.fixture(scope="session")
def center(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A freshly generated center (SQLite core system, feeds, ground truth) at scale 0.01."""
    from ingestion.simulator.generate import generate

    settings = Settings(lakehouse_root=Path(tmp_path_factory.mktemp("center")))
    generate(settings, settings.core_url, SCALE, SEED)
    return settings


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Lakehouse root with generated + ingested data and a successful ``dbt seed`` + ``dbt build``."""
    root = tmp_path_factory.mktemp("dbt_lakehouse")
    gjj(root, "generate", "--scale", "0.01")
    gjj(root, "ingest")
    seed = dbt(root, "seed")
    assert seed.success, error_failures(seed)
    build = dbt(root, "build")
    assert not error_failures(build), error_failures(build)
    assert build.success
    yield root


@pytest.fixture
def wh(built: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(built)
    yield con
    con.close()
