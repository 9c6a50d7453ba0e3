"""The screening store (``lakehouse/audit/screening.sqlite``): the tables real-time screening reads, copied from the
warehouse into SQLite with a B-tree index on each neighbourhood key (``SCOPES``), rows in key order, switched in
atomically (screening workers open it read-only and immutable, so it is never changed in place).

A daily run changes a few thousand of its 40M rows, so the store is brought up to date rather than rebuilt
(ADR 0030, addendum). Each table's state is kept beside it (``_screening_state``: rows, newest ``_ingested_at``,
a signature of its kept columns, the view definition and the seed tables). On the next run a copy of the previous
store is taken and, per table:

- same rows, stamp and signature → kept as it is;
- a staging table (it has ``_ingested_at``) with the same signature → its newer rows *appended* when they are all
  new (the warehouse holds exactly the previous rows plus them), else *refreshed by neighbourhood key*: every key
  value that has a newer row loses its rows, which are inserted again; the row count must then equal the
  warehouse's, else the table is rebuilt (rows deleted upstream, a key that changed);
- anything else (marts and intermediate tables, rebuilt by dbt every run; a new column; a changed view) → rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import duckdb_extensions

from audit.catalog import Catalog, warehouse_schema
from audit.screening import (
    FROM_SERVING,
    SCHEMA_TABLE,
    SCOPES,
    kept_columns,
    key_column,
    lite_name,
    screening_store_path,
    screening_tables,
)
from gjj.settings import Settings
from publish.serving_store import select_list, sqlite_type

STATE_TABLE = "_screening_state"
STAMP = "_ingested_at"


@dataclass(frozen=True)
class TableState:
    rows: int
    stamp: str | None
    signature: str


@dataclass
class StoreUpdate:
    """What one publish did to each table: kept, appended to (rows), refreshed (keys) or rebuilt."""

    path: Path
    kept: list[str] = field(default_factory=list)
    appended: dict[str, int] = field(default_factory=dict)
    refreshed: dict[str, int] = field(default_factory=dict)
    rebuilt: list[str] = field(default_factory=list)


def _previous_state(path: Path) -> dict[str, TableState]:
    if not path.is_file():
        return {}
    lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if lite.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [STATE_TABLE]).fetchone() is None:
            return {}
        return {t: TableState(int(r), s, sig) for t, r, s, sig in
                lite.execute(f"SELECT tbl, rows, stamp, signature FROM {STATE_TABLE}").fetchall()}
    finally:
        lite.close()


def _seeds_hash(con: duckdb.DuckDBPyConnection) -> str:
    """Staging views recode through the seed code tables: a changed seed changes rows without a newer stamp."""
    h = hashlib.sha256()
    for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                            "AND table_schema = 'seeds' ORDER BY table_name").fetchall():
        h.update(str(con.execute(f'SELECT md5(string_agg(s::VARCHAR, \'|\' ORDER BY s::VARCHAR)) FROM seeds."{t}" AS s')
                     .fetchone()).encode())
    return h.hexdigest()


def _signature(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]], seeds: str) -> str:
    schema, name = table.split(".")
    view = con.execute("SELECT sql FROM duckdb_views() WHERE database_name = current_database() AND schema_name = ? "
                       "AND view_name = ?", [schema, name]).fetchone()
    return hashlib.sha256(json.dumps([columns, view[0] if view else None, seeds]).encode()).hexdigest()


def _facts(con: duckdb.DuckDBPyConnection, table: str, stamp_type: str | None) -> tuple[int, str | None]:
    stamp = f'max("{STAMP}")::VARCHAR' if stamp_type else "NULL"
    rows, newest = con.execute(f"SELECT count(*), {stamp} FROM {table}").fetchone()  # type: ignore[misc]
    return int(rows), newest


def _create(lite: sqlite3.Connection, table: str, columns: list[tuple[str, str]]) -> None:
    body = ", ".join(f'"{c}" {sqlite_type(d)}' for c, d in columns)
    lite.execute(f"DROP TABLE IF EXISTS {lite_name(table)}")
    lite.execute(f"CREATE TABLE {lite_name(table)} ({body})")


def _index(lite: sqlite3.Connection, table: str) -> None:
    for i, (expr, _) in enumerate(SCOPES.get(table, ())):
        lite.execute(f"CREATE INDEX ix_{lite_name(table)}_{i} ON {lite_name(table)} ({expr})")
    lite.execute(f"ANALYZE {lite_name(table)}")


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]], where: str = "") -> int:
    order = f" ORDER BY {key_column(SCOPES[table][0][0])}" if table in SCOPES else ""
    inserted = con.execute(f"INSERT INTO scr.{lite_name(table)} SELECT {select_list(columns)} FROM {table}{where}"
                           f"{order}").fetchone()
    return int(inserted[0]) if inserted else 0


def publish_screening_store(con: duckdb.DuckDBPyConnection, settings: Settings, catalog: Catalog,
                            full: bool = False) -> StoreUpdate:
    """Bring the screening store up to the warehouse attached to ``con`` (see the module docstring); ``full``
    rebuilds every table."""
    from audit.engine import business_date

    path = screening_store_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    every: dict[str, list[tuple[str, str]]] = {}
    for s, t, c, d in con.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() ORDER BY table_schema, table_name, ordinal_position").fetchall():
        every.setdefault(f"{s}.{t}", []).append((str(c), str(d)))
    tables = [t for t in screening_tables(catalog) if t in every]  # a broken rule's table: it fails on its own
    keep = kept_columns(catalog, warehouse_schema(con), business_date(con))
    columns = {t: [(c, d) for c, d in every[t] if c in keep[t]] for t in tables}
    seeds = _seeds_hash(con)
    previous = {} if full else _previous_state(path)
    tmp = path.with_name(f".screening-{uuid.uuid4().hex[:8]}.sqlite")
    update = StoreUpdate(path)
    try:
        if previous:
            shutil.copyfile(path, tmp)
        lite = sqlite3.connect(tmp)
        try:
            lite.execute("PRAGMA page_size = 8192")  # a new file only
            lite.execute(f"DROP TABLE IF EXISTS {SCHEMA_TABLE}")
            lite.execute(f"CREATE TABLE {SCHEMA_TABLE} (tbl TEXT, col TEXT, dtype TEXT, pos INTEGER, kept INTEGER)")
            for t in tables:
                lite.executemany(f"INSERT INTO {SCHEMA_TABLE} VALUES (?, ?, ?, ?, ?)",
                                 [(t, c, d, i, int(c in keep[t])) for i, (c, d) in enumerate(every[t])])
            lite.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (tbl TEXT PRIMARY KEY, rows INTEGER, stamp TEXT, "
                         "signature TEXT)")
            for gone in sorted(set(previous) - set(tables)):  # no screening rule reads it any more
                lite.execute(f"DROP TABLE IF EXISTS {lite_name(gone)}")
                lite.execute(f"DELETE FROM {STATE_TABLE} WHERE tbl = ?", [gone])
            lite.commit()
        finally:
            lite.close()
        duckdb_extensions.import_extension("sqlite", con=con)
        for t in (t for t in tables if t not in FROM_SERVING):
            stamp_type = dict(every[t]).get(STAMP)
            rows, stamp = _facts(con, t, stamp_type)
            state = TableState(rows, stamp, _signature(con, t, columns[t], seeds))
            before = previous.get(t)
            if before == state:
                update.kept.append(t)
                continue
            refreshed = (before is not None and before.signature == state.signature and stamp_type is not None
                         and before.stamp is not None and t in SCOPES
                         and _refresh(con, tmp, t, columns[t], before, stamp_type, rows, update))
            if not refreshed:
                _rebuild(con, tmp, t, columns[t])
                update.rebuilt.append(t)
            lite = sqlite3.connect(tmp)
            try:
                lite.execute(f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?, ?, ?)",
                             [t, state.rows, state.stamp, state.signature])
                lite.commit()
            finally:
                lite.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return update


def _attached(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute("ATTACH '" + str(path).replace("'", "''") + "' AS scr (TYPE sqlite)")


def _rebuild(con: duckdb.DuckDBPyConnection, path: Path, table: str, columns: list[tuple[str, str]]) -> None:
    lite = sqlite3.connect(path)
    try:
        _create(lite, table, columns)
        lite.commit()
    finally:
        lite.close()
    _attached(con, path)
    try:
        _insert(con, table, columns)
    finally:
        con.execute("DETACH scr")
    lite = sqlite3.connect(path)
    try:
        _index(lite, table)
        lite.commit()
    finally:
        lite.close()


def _refresh(con: duckdb.DuckDBPyConnection, path: Path, table: str, columns: list[tuple[str, str]],
             before: TableState, stamp_type: str, rows: int, update: StoreUpdate) -> bool:
    """Bring a staging table's copy up to the warehouse by its rows newer than the previous run's stamp; False when
    that cannot be done exactly (the caller then rebuilds the table).

    Only new rows — the warehouse holds the previous rows plus exactly the newer ones — are appended. (A newer row
    that replaced an older version, or any deletion, breaks that count, since no row of the previous run is newer
    than its stamp.) Otherwise every neighbourhood key with a newer row loses its rows, which are inserted again;
    the count must then match the warehouse's."""
    stamp = "'" + str(before.stamp).replace("'", "''") + "'"
    newer = f' WHERE "{STAMP}" > CAST({stamp} AS {stamp_type})'
    fresh = con.execute(f"SELECT count(*) FROM {table}{newer}").fetchone()
    if fresh is not None and rows == before.rows + int(fresh[0]):
        _attached(con, path)
        try:
            update.appended[table] = _insert(con, table, columns, newer)
        finally:
            con.execute("DETACH scr")
        return True
    key = SCOPES[table][0][0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE screening_keys AS SELECT DISTINCT {key} AS k FROM {table}{newer}")
    keys = con.execute("SELECT k FROM screening_keys").fetchall()
    if any(k is None for (k,) in keys):  # a NULL key cannot be matched by key: rebuild
        return False
    lite = sqlite3.connect(path)
    try:
        deleted = lite.executemany(f"DELETE FROM {lite_name(table)} WHERE {key} = ?", keys).rowcount
        lite.commit()
    finally:
        lite.close()
    _attached(con, path)
    try:
        inserted = _insert(con, table, columns, f" WHERE {key} IN (SELECT k FROM temp.main.screening_keys)")
    finally:
        con.execute("DETACH scr")
    if before.rows - deleted + inserted != rows:
        return False
    update.refreshed[table] = len(keys)
    return True
