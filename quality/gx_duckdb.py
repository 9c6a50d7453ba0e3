"""Great Expectations 1.24 on DuckDB through duckdb-engine, computed in the database (SQL pushdown).

GE's SQL execution engine opens a new SQLAlchemy connection per query and reads the result after the
``with engine.connect()`` block closes it; DuckDB then yields no rows and every expectation fails with
``list index out of range``. GE already keeps one persisted connection for the dialects that need it
(SQLite, SQL Server, BigQuery, Databricks); DuckDB is registered there too. Regex expectations are not
implemented for the ``duckdb`` dialect: they run as ``UnexpectedRowsExpectation`` with DuckDB's
``regexp_full_match``. See docs/decisions/0010-great-expectations-on-duckdb.md."""

from __future__ import annotations

import logging
import os
from typing import Any

_PATCHED = False


class _DuckDBDialect:
    """Stands for the ``duckdb`` dialect in GE's tuple of GXSqlDialect members (compared by value)."""

    value = "duckdb"

    def __eq__(self, other: object) -> bool:
        return str(getattr(other, "value", other)).lower() == "duckdb"

    def __hash__(self) -> int:
        return hash("duckdb")


def enable_duckdb() -> None:
    """Register DuckDB as a persisted-connection dialect in GE's SQLAlchemy execution engine (idempotent)."""
    global _PATCHED
    if _PATCHED:
        return
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    engine._PERSISTED_CONNECTION_DIALECTS = (*engine._PERSISTED_CONNECTION_DIALECTS, _DuckDBDialect())  # type: ignore[assignment]
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    _PATCHED = True


def preload() -> None:
    """Import GE and register DuckDB (for a background thread while the database works)."""
    import great_expectations  # noqa: F401

    enable_duckdb()


def context() -> Any:
    enable_duckdb()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def regex_query(column: str, regex: str, negate: bool = False) -> str:
    """The unexpected-rows query for a regex expectation, with GE's search semantics (``regexp_matches``;
    GE formats the query, so braces are doubled)."""
    pattern = regex.replace("'", "''").replace("{", "{{").replace("}", "}}")
    return (
        f"SELECT * FROM {{batch}} WHERE {column} IS NOT NULL AND "
        f"{'' if negate else 'NOT '}regexp_matches({column}, '{pattern}')"
    )
