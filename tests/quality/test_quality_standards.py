"""Standards registry and catalog: every mart column as built maps to a data element or an explicit exception."""

from __future__ import annotations

import duckdb

from quality import standards


def test_every_built_mart_column_is_registered(wh: duckdb.DuckDBPyConnection) -> None:
    cols: dict[str, list[str]] = {}
    for t, c in wh.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'marts'"
    ).fetchall():
        cols.setdefault(t, []).append(c)
    assert cols
    assert standards.problems(cols) == []


def test_catalog_facts() -> None:
    reg = standards.registry()
    assert set(standards.dbt_marts()) <= set(reg)
    for name, ds in reg.items():
        assert ds.owner and ds.description and ds.refresh, name
        for col, e in ds.columns.items():
            assert e.standard == "JGJ/T 320-2014" or e.exception, (name, col)


def test_unmapped_column_is_reported() -> None:
    assert standards.problems({"member_account": ["grzh", "new_col"]}) == [
        "member_account.new_col: 没有对应的数据元或例外说明 (no data element or exception)"
    ]
