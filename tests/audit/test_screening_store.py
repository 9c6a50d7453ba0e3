"""The screening store's per-table update: appended / refreshed by key / refused (→ rebuild) must leave exactly the
warehouse's rows, whatever changed upstream."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest

from audit import screening_store
from audit.screening import lite_name
from audit.screening_store import StoreUpdate, TableState, _facts, _rebuild, _refresh

TABLE = "staging.stg_test__ledger"
COLUMNS = [("ywlsh", "VARCHAR"), ("grzh", "VARCHAR"), ("fse", "DECIMAL(18,2)")]
STAMP_TYPE = "TIMESTAMP WITH TIME ZONE"


@pytest.fixture
def warehouse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    monkeypatch.setitem(screening_store.SCOPES, TABLE, (("grzh", "G"),))
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.execute(f"CREATE TABLE {TABLE} (ywlsh VARCHAR, grzh VARCHAR, fse DECIMAL(18,2), _ingested_at {STAMP_TYPE})")
    con.execute(f"INSERT INTO {TABLE} SELECT 'T' || i, 'G' || (i % 7), i, TIMESTAMPTZ '2026-10-31 08:00:00+00' "
                "FROM range(100) t(i)")
    store = tmp_path / "screening.sqlite"
    _rebuild(con, store, TABLE, COLUMNS)
    return con, store


def _state(con: duckdb.DuckDBPyConnection) -> TableState:
    rows, stamp = _facts(con, TABLE, STAMP_TYPE)
    return TableState(rows, stamp, "sig")


def _same(con: duckdb.DuckDBPyConnection, store: Path) -> bool:
    lite = sqlite3.connect(store)
    try:
        held = sorted(lite.execute(f"SELECT ywlsh, grzh, fse FROM {lite_name(TABLE)}").fetchall())
    finally:
        lite.close()
    want = sorted((a, b, str(c)) for a, b, c in con.execute(f"SELECT ywlsh, grzh, fse::VARCHAR FROM {TABLE}").fetchall())
    return held == want


def _next_day(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql.replace("@stamp", "TIMESTAMPTZ '2026-11-01 08:00:00+00'"))


def test_new_rows_are_appended(warehouse: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, store = warehouse
    before = _state(con)
    _next_day(con, f"INSERT INTO {TABLE} VALUES ('T100', 'G3', 5.5, @stamp), ('T101', 'G9', 1, @stamp)")
    update = StoreUpdate(store)
    assert _refresh(con, store, TABLE, COLUMNS, before, STAMP_TYPE, _state(con).rows, update)
    assert update.appended == {TABLE: 2} and not update.refreshed
    assert _same(con, store)


def test_a_replaced_row_refreshes_its_key(warehouse: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, store = warehouse
    before = _state(con)
    _next_day(con, f"UPDATE {TABLE} SET fse = -1, _ingested_at = @stamp WHERE ywlsh = 'T10'")
    _next_day(con, f"INSERT INTO {TABLE} VALUES ('T100', 'G3', 5.5, @stamp)")
    update = StoreUpdate(store)
    assert _refresh(con, store, TABLE, COLUMNS, before, STAMP_TYPE, _state(con).rows, update)
    assert update.refreshed == {TABLE: 1} and not update.appended  # one key, G3: T10 and T100
    assert _same(con, store)


@pytest.mark.parametrize("change", [
    f"DELETE FROM {TABLE} WHERE ywlsh = 'T5'",  # a deletion carries no stamp: the counts disagree
    f"UPDATE {TABLE} SET grzh = NULL, _ingested_at = @stamp WHERE ywlsh = 'T6'",  # a NULL key
    f"UPDATE {TABLE} SET grzh = 'G1', _ingested_at = @stamp WHERE ywlsh = 'T2'",  # the key itself changed
])
def test_what_a_key_cannot_reproduce_is_refused(warehouse: tuple[duckdb.DuckDBPyConnection, Path], change: str) -> None:
    con, store = warehouse
    before = _state(con)
    _next_day(con, change)
    _next_day(con, f"INSERT INTO {TABLE} VALUES ('T100', 'G3', 5.5, @stamp)")
    assert not _refresh(con, store, TABLE, COLUMNS, before, STAMP_TYPE, _state(con).rows, StoreUpdate(store))
