"""Connections to the core business system (核心业务系统) for extraction.

How a core table is read, chosen from the SQLAlchemy URL (ADR 0002):

* **scanner** — SQLite, PostgreSQL and MySQL/MariaDB are ATTACHed READ_ONLY to an in-process DuckDB
  through its scanner extension; casting, hashing and dedup are one set-based DuckDB query whose
  result is streamed as Arrow record batches. PostgreSQL/MySQL columns arrive typed and DuckDB pushes
  the ``upd_tm`` range down to the server. SQLite needs more care (see :meth:`CoreSource.prepare`):

  - ``scan``: the parallel typed scan of the attached table (DOUBLE/BIGINT/VARCHAR by declared
    type). Fastest for a large share of a table, but SQLite types values, not columns: one text value
    in a NUMERIC column aborts it (``Mismatch Type Error``), and it filters only after reading every
    row;
  - ``native``: ``sqlite_query`` runs a SELECT inside SQLite that applies the range there and renders
    every value as text — REALs with the shortest round-trip digits (SQLite's own text conversion
    keeps only 15, which corrupts amounts ≥ 10^13), anything else as it is, so a bad value reaches
    the cast step and is quarantined. Single-threaded; used for incremental batches covering a small
    share of the table, for reference tables, and to re-read a table whose typed scan failed.

* **sqlalchemy** — any other dialect: rows stream through SQLAlchemy (server-side cursor, ``fetchmany``)
  as Arrow batches of text values, which DuckDB then scans with the same query.
"""

from __future__ import annotations

import contextlib
import decimal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import duckdb_extensions
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from ingestion.core_sql import STAMP, STAMP_MAX, ColumnPlan, lit, q, range_condition

Method = Literal["auto", "scanner", "sqlalchemy"]

# SQLAlchemy backend name -> DuckDB extension that can ATTACH it.
_SCANNERS = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}
_ALIAS = "core_src"
# An incremental SQLite batch covering at most this share of its table is read with ``native``
# (SQLite filters ~8x faster than DuckDB scanning every row); a larger one with the parallel ``scan``.
NATIVE_MAX_SHARE = 0.3


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Install the offline extension wheel's binary into ``con`` and load it (no download)."""
    duckdb_extensions.import_extension(name, con=con)
    con.execute(f"LOAD {name}")


def masked(url: str | URL) -> str:
    """The URL with its password hidden, for logs and reports."""
    return make_url(url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class Prepared:
    """A table ready to read: the batch's upper stamp and a DuckDB FROM-item with its column types."""

    bound: str | None
    relation: str
    raw_types: dict[str, str]
    mode: str  # scan | native | stream


@dataclass
class CoreSource:
    """An open core-system source bound to one DuckDB connection."""

    con: duckdb.DuckDBPyConnection
    url: URL
    method: Literal["scanner", "sqlalchemy"]
    engine: sa.Engine
    batch_rows: int
    label: str = ""
    _registered: list[str] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()

    @classmethod
    def open(
        cls, con: duckdb.DuckDBPyConnection, url: str, batch_rows: int, method: Method = "auto"
    ) -> CoreSource:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        scanner = _SCANNERS.get(backend)
        if method == "scanner" and scanner is None:
            raise ValueError(f"no DuckDB scanner for dialect {backend!r} / 该数据库类型没有 DuckDB 扫描器")
        use_scanner = scanner is not None and method != "sqlalchemy"
        engine = sa.create_engine(parsed)
        src = cls(con, parsed, "scanner" if use_scanner else "sqlalchemy", engine, batch_rows)
        try:
            if use_scanner:
                assert scanner is not None
                src._attach(scanner)
                src.label = f"duckdb {scanner} scanner"
            else:
                with engine.connect():  # fail fast, as ATTACH does
                    pass
                src.label = f"sqlalchemy {parsed.drivername} stream"
        except Exception:
            engine.dispose()
            raise
        return src

    def _attach(self, scanner: str) -> None:
        load_extension(self.con, scanner)
        url = self.url
        if scanner == "sqlite":
            if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
                raise ValueError(f"unsupported SQLite database {url.database!r} (need a file path)")
            path = Path(url.database).expanduser().resolve()
            if not path.is_file():
                raise FileNotFoundError(f"核心系统数据库不存在 / core database not found: {path}")
            self.con.execute(f"ATTACH {lit(str(path))} AS {_ALIAS} (TYPE sqlite, READ_ONLY)")
        elif scanner == "postgres":
            # libpq accepts the URL form; query parameters (sslmode, …) pass through unchanged.
            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.con.execute(f"ATTACH {lit(dsn)} AS {_ALIAS} (TYPE postgres, READ_ONLY)")
        else:  # mysql / mariadb: a secret avoids quoting the password into a key=value string
            opts = [f"HOST {lit(url.host or 'localhost')}", f"PORT {int(url.port or 3306)}"]
            if url.username:
                opts.append(f"USER {lit(url.username)}")
            if url.password:
                opts.append(f"PASSWORD {lit(str(url.password))}")
            if url.database:
                opts.append(f"DATABASE {lit(url.database)}")
            self.con.execute(
                f"CREATE OR REPLACE TEMPORARY SECRET core_src_secret (TYPE mysql, {', '.join(opts)})"
            )
            self.con.execute(f"ATTACH '' AS {_ALIAS} (TYPE mysql, SECRET core_src_secret, READ_ONLY)")

    # ------------------------------------------------------------------ per-table access
    def prepare(
        self,
        table: sa.Table,
        plans: list[ColumnPlan],
        wm_from: str | None,
        incremental: bool,
        *,
        force_native: bool = False,
    ) -> Prepared:
        """Fix the batch's upper stamp and choose how to read the table (see module docstring).

        The bound is the largest well-formed ``upd_tm`` at or after ``wm_from``, computed in the source
        before reading: the batch covers a closed, repeatable range, and rows the source stamps while
        the extract runs belong to the next batch.
        """
        names = [p.name for p in plans]
        if self.method == "sqlalchemy":
            bound = self._bound_sqlalchemy(table, wm_from)
            relation = self._stream(
                table, names, range_condition(self._quote(STAMP), wm_from, bound, incremental)
            )
            return Prepared(bound, relation, dict.fromkeys(names, "VARCHAR"), "stream")
        if self.backend != "sqlite":
            bound = self._bound_sqlalchemy(table, wm_from)
            relation = f"{_ALIAS}.{q(table.name)}"
            return Prepared(bound, relation, self._describe(relation, names), "scan")

        bound, total, in_range = self._bound_sqlite(table, wm_from)
        small = wm_from is not None and in_range <= NATIVE_MAX_SHARE * total
        if force_native or not incremental or small:
            where = range_condition(q(STAMP), wm_from, bound, incremental)
            select = ", ".join(f"{_sqlite_text(p)} AS {q(p.name)}" for p in plans)
            native = f"SELECT {select} FROM {q(table.name)}" + (f" WHERE {where}" if where else "")
            relation = f"sqlite_query({lit(_ALIAS)}, {lit(native)})"
            return Prepared(bound, relation, dict.fromkeys(names, "VARCHAR"), "native")
        relation = f"{_ALIAS}.{q(table.name)}"
        return Prepared(bound, relation, self._describe(relation, names), "scan")

    def _bound_sqlalchemy(self, table: sa.Table, wm_from: str | None) -> str | None:
        stamp: sa.ColumnClause[Any] = sa.column(STAMP)
        query = sa.select(sa.func.max(stamp)).select_from(sa.table(table.name, stamp))
        query = query.where(stamp <= STAMP_MAX, stamp >= (wm_from or "0"))
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar()
        return None if value is None else str(value).rstrip()

    def _bound_sqlite(self, table: sa.Table, wm_from: str | None) -> tuple[str | None, int, int]:
        """(bound, rows in table, rows at or after ``wm_from``) in one native pass."""
        s = q(STAMP)
        lo = lit(wm_from or "0")
        native = (
            f"SELECT max(CASE WHEN {s} >= {lo} AND {s} <= {lit(STAMP_MAX)} THEN {s} END), count(*), "
            f"coalesce(sum(CASE WHEN {s} >= {lo} THEN 1 ELSE 0 END), 0) FROM {q(table.name)}"
        )
        row = self.con.execute(f"SELECT * FROM sqlite_query({lit(_ALIAS)}, {lit(native)})").fetchone()
        assert row is not None
        bound = None if row[0] is None else str(row[0]).rstrip()
        return bound, int(row[1]), int(row[2])

    def _describe(self, relation: str, names: list[str]) -> dict[str, str]:
        found = {r[0]: str(r[1]) for r in self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
        missing = [n for n in names if n not in found]
        if missing:
            raise LookupError(f"源表缺少列 / source table lacks columns: {', '.join(missing)}")
        return {n: found[n] for n in names}

    def _quote(self, identifier: str) -> str:
        return self.engine.dialect.identifier_preparer.quote(identifier)

    def _stream(self, table: sa.Table, names: list[str], where: str | None) -> str:
        name = f"core_stream_{table.name}"
        self.con.register(name, _stream_rows(self.engine, table.name, names, where, self.batch_rows))
        self._registered.append(name)
        return q(name)

    def release(self) -> None:
        """Drop the per-table stream registrations (SQLAlchemy path)."""
        for name in self._registered:
            self.con.unregister(name)
        self._registered.clear()

    def close(self) -> None:
        self.release()
        if self.method == "scanner":
            with contextlib.suppress(duckdb.Error):
                self.con.execute(f"DETACH {_ALIAS}")
        self.engine.dispose()


def _sqlite_text(plan: ColumnPlan) -> str:
    """SQLite expression rendering a column as text without losing digits.

    ``CAST(real AS TEXT)`` keeps 15 significant digits (99999999999999.99 becomes 1.0e14). A REAL is
    rendered with the fewest digits (15, 16 or 17) that give back the same double — the shortest
    round-trip text DuckDB produces for a DOUBLE, so the typed scan and this path agree.
    """
    c = q(plan.name)
    if plan.kind in ("decimal", "double", "integer"):
        d15, d16, d17 = (f"printf('%!.{n}g', {c})" for n in (15, 16, 17))
        return (
            f"CASE typeof({c}) WHEN 'real' THEN CASE WHEN CAST({d15} AS REAL) = {c} THEN {d15} "
            f"WHEN CAST({d16} AS REAL) = {c} THEN {d16} ELSE {d17} END ELSE CAST({c} AS TEXT) END"
        )
    return f"CAST({c} AS TEXT)"


def _text(value: object) -> str | None:
    """A DB-API value as the text DuckDB casts from (Python's repr of a float is its shortest round trip)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _stream_rows(
    engine: sa.Engine, table: str, names: list[str], where: str | None, batch_rows: int
) -> pa.RecordBatchReader:
    """Stream a table through SQLAlchemy as Arrow batches of text columns.

    Columns are selected untyped so no result processor runs: a malformed value (text in a numeric
    column) arrives as-is and is quarantined by the cast step instead of raising here.
    """
    schema = pa.schema([(n, pa.string()) for n in names])
    cols: list[sa.ColumnClause[Any]] = [sa.column(n) for n in names]
    query = sa.select(*cols).select_from(sa.table(table, *cols))
    if where:
        query = query.where(sa.text(where))

    def batches() -> Iterator[pa.RecordBatch]:
        with engine.connect().execution_options(stream_results=True, yield_per=batch_rows) as conn:
            result = conn.execute(query)
            while rows := result.fetchmany(batch_rows):
                arrays = [pa.array([_text(v) for v in col], pa.string()) for col in zip(*rows, strict=True)]
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())
