"""The SQLite serving store of a snapshot: indexed copies of the marts the API looks up by key.

Why SQLite next to DuckDB: see docs/decisions/0004-serving-store-for-point-lookups.md.
Amounts (DECIMAL) are stored as TEXT in DuckDB's canonical form with the column's full scale
('1234.50', '-0.10', '0.1200'); ``Decimal(text)`` gives back exactly the mart's value. Dates are
ISO TEXT ('2026-10-31'), timestamps ISO TEXT; integers stay INTEGER.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import duckdb_extensions

from publish.contract import SERVING_TABLES

INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "BOOLEAN"}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    return [(str(name), str(dtype)) for name, dtype in rows]


def sqlite_type(duck_type: str) -> str:
    if duck_type in INTEGER_TYPES:
        return "INTEGER"
    if duck_type in {"DOUBLE", "FLOAT", "REAL"}:
        return "REAL"
    return "TEXT"


def select_list(cols: list[tuple[str, str]]) -> str:
    """Columns as the serving store keeps them: integers and reals as such, everything else as text."""
    return ", ".join(f'"{c}"' if sqlite_type(t) != "TEXT" or t == "VARCHAR" else f'CAST("{c}" AS VARCHAR)'
                     for c, t in cols)


def _insert(con: duckdb.DuckDBPyConnection, path: Path, sources: dict[str, str],
            cols: dict[str, list[tuple[str, str]]]) -> None:
    """INSERT … SELECT each table's rows from its DuckDB relation, ordered by the lookup key
    (set-based through DuckDB's sqlite extension, so lookups touch few pages)."""
    duckdb_extensions.import_extension("sqlite", con=con)
    con.execute("ATTACH '" + str(path).replace("'", "''") + "' AS serving (TYPE sqlite)")
    try:
        for table, relation in sources.items():
            key = ", ".join(SERVING_TABLES[table])
            con.execute(f"INSERT INTO serving.{table} SELECT {select_list(cols[table])} FROM {relation} ORDER BY {key}")
    finally:
        con.execute("DETACH serving")


def _counts(lite: sqlite3.Connection) -> dict[str, int]:
    return {t: int(lite.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in SERVING_TABLES}


def write_serving_store(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
    """Copy SERVING_TABLES from schema ``marts`` of ``con`` into a new SQLite file; rows per table.

    DDL (key, WITHOUT ROWID) through sqlite3 for exact control; the rows set-based through DuckDB in
    key order (appends to the B-tree).
    """
    cols = {t: _columns(con, t) for t in SERVING_TABLES}
    lite = sqlite3.connect(path)
    try:
        lite.execute("PRAGMA page_size = 8192")
        for table, key in SERVING_TABLES.items():
            body = ", ".join(f'"{c}" {sqlite_type(t)}' for c, t in cols[table])
            # clustered on the lookup key: one member's rows share pages, and no separate index
            lite.execute(f"CREATE TABLE {table} ({body}, PRIMARY KEY ({', '.join(key)})) WITHOUT ROWID")
        lite.commit()
    finally:
        lite.close()

    _insert(con, path, {t: f"marts.{t}" for t in SERVING_TABLES}, cols)

    lite = sqlite3.connect(path)
    try:
        lite.execute("ANALYZE")
        lite.commit()
        return _counts(lite)
    finally:
        lite.close()


def replace_serving_rows(con: duckdb.DuckDBPyConnection, path: Path,
                         deltas: dict[str, tuple[str, str]]) -> dict[str, int]:
    """Bring a copy of the previous serving store up to schema ``marts`` of ``con``; rows per table.

    ``deltas`` maps a table to two DuckDB relations: its changed rows and the versions they replace.
    Those tables lose the replaced versions (deleted by the lookup key) and gain the changed rows; every
    other serving table is emptied and loaded again (they are small).
    """
    cols = {t: _columns(con, t) for t in SERVING_TABLES}
    lite = sqlite3.connect(path)
    try:
        for table, key in SERVING_TABLES.items():
            if table not in deltas:
                lite.execute(f"DELETE FROM {table}")
                continue
            key_cols = [c for c in cols[table] if c[0] in key]
            old = con.execute(f"SELECT {select_list(key_cols)} FROM {deltas[table][1]}").fetchall()
            where = " AND ".join(f'"{c}" = ?' for c, _ in key_cols)
            lite.executemany(f"DELETE FROM {table} WHERE {where}", old)
        lite.commit()
    finally:
        lite.close()

    _insert(con, path, {t: deltas[t][0] if t in deltas else f"marts.{t}" for t in SERVING_TABLES}, cols)

    lite = sqlite3.connect(path)
    try:
        return _counts(lite)
    finally:
        lite.close()
