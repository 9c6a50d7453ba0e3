"""Writes the simulated core system into its database (SQLite by default, PostgreSQL or MySQL/MariaDB).

The schema is created through SQLAlchemy from core_schema (so each database gets its own native
DDL with keys and comments); rows are bulk-copied set-based by DuckDB's sqlite/postgres/mysql
extensions.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import duckdb_extensions
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

from ingestion.simulator.core_schema import metadata

_EXTENSION = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}


def duckdb_attach(con: duckdb.DuckDBPyConnection, url: str, alias: str, read_only: bool = False) -> None:
    """ATTACH the database behind a SQLAlchemy URL to a DuckDB connection under ``alias``."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend not in _EXTENSION:
        raise ValueError(f"no DuckDB scanner for database '{backend}' (url {u.render_as_string(hide_password=True)})")
    duckdb_extensions.import_extension(_EXTENSION[backend], con=con)
    mode = ", READ_ONLY" if read_only else ""
    con.execute(f"ATTACH '{_dsn(u)}' AS {alias} (TYPE {_EXTENSION[backend]}{mode})")


def _dsn(u: URL) -> str:
    if u.get_backend_name() == "sqlite":
        return str(Path(u.database or "").resolve())
    parts = {"host": u.host or "127.0.0.1", "port": u.port, "user": u.username, "password": u.password}
    parts["dbname" if u.get_backend_name() == "postgresql" else "database"] = u.database
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


def recreate_schema(url: str) -> None:
    """Drop and create every core table in the target database."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database:
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
    finally:
        engine.dispose()


def copy_tables(con: duckdb.DuckDBPyConnection, url: str, tables: list[str] | None = None) -> dict[str, int]:
    """Insert the DuckDB tables named like the core tables into the core database; returns row counts."""
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    duckdb_attach(con, url, "core")
    counts = {}
    try:
        for table in metadata.sorted_tables:
            if tables is not None and table.name not in tables:
                continue
            cols = ", ".join(c.name for c in table.columns)
            # key order makes the target's primary-key B-tree an append, several times faster than random
            # inserts; views are already defined in key order
            order = "" if table.name in views else " ORDER BY " + ", ".join(c.name for c in table.primary_key.columns)
            con.execute(f"INSERT INTO core.{table.name} ({cols}) SELECT {cols} FROM main.{table.name}{order}")
            counts[table.name] = con.execute(f"SELECT count(*) FROM main.{table.name}").fetchone()[0]  # type: ignore[index]
    finally:
        con.execute("DETACH core")
    return counts
