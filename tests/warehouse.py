"""Helpers for tests over a built warehouse: run gjj and dbt on a lakehouse root, open the warehouse.

The session fixture ``built`` (tests/conftest.py) uses them: a center at scale 0.01, ingested into bronze
and built by ``dbt seed`` + ``dbt build``, shared by every concern's tests (dbt, quality, masking, audit …)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
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
