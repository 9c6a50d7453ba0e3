"""A simulated center at scale 0.01, ingested into bronze, and a dbt build of the warehouse on it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "dbt_project"
GJJ = str(Path(sys.executable).parent / "gjj")


def gjj(root: Path, *args: str) -> None:
    env = {**os.environ, "GJJ_LAKEHOUSE_ROOT": str(root)}
    subprocess.run([GJJ, *args], check=True, env=env, cwd=REPO, capture_output=True)


def dbt(root: Path, *args: str):
    """Run dbt in-process (dbtRunner) on the lakehouse at ``root``; returns the dbtRunnerResult."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    os.environ["GJJ_LAKEHOUSE_ROOT"] = str(root)
    try:
        return dbtRunner().invoke(
            [*args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT), "--quiet"]
        )
    finally:
        # dbt-duckdb keeps its DuckDB instance open between invocations; close it so the test (and the
        # next build on another lakehouse) can open the warehouse file.
        DuckDBConnectionManager.close_all_connections()


def error_failures(result) -> list[str]:
    """Nodes that errored or failed with severity error (warnings are expected: planted defects)."""
    bad = []
    for r in result.result or []:
        status = str(r.status).lower()
        if status in {"error", "fail", "runtime error", "skipped"}:
            bad.append(f"{r.node.unique_id}: {status} {r.message}")
    return bad


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        con.execute("LOAD delta")
    except duckdb.Error:
        import duckdb_extensions

        duckdb_extensions.import_extension("delta", con=con)
        con.execute("LOAD delta")
    return con


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
