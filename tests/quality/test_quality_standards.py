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


def test_dagster_mart_assets_carry_the_catalog_facts() -> None:
    """The dbt assets' metadata in Dagster carries owner, description, classification and refresh of each mart."""
    from orchestration.pipeline import prepare

    prepare()
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    by_name = {key.path[-1]: graph.get(key) for key in graph.get_all_asset_keys() if key.path[0] == "marts"}
    for name, ds in standards.registry().items():
        assert name in by_name, name
        meta = by_name[name].metadata
        assert meta["catalog/owner 责任部门"] == ds.owner, name
        assert meta["catalog/description 说明"] == ds.description, name
        assert meta["catalog/classification 密级"] == ds.classification, name
        assert meta["catalog/refresh 更新频率"] == ds.refresh, name
