"""The indicator system: every entry resolves to a declared mart column; bad entries are named."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics.indicators import INDICATORS_FILE, IndicatorError, load_indicators, mart_catalog


def test_every_indicator_resolves_to_a_declared_column() -> None:
    catalog = mart_catalog()
    flat = load_indicators()
    assert len(flat) >= 30
    assert {i.domain for i in flat} == {"JC", "TQ", "DK", "ZJ"}
    assert max(i.level for i in flat) == 2
    for ind in flat:
        assert ind.column in catalog[ind.mart], ind.code
    codes = [i.code for i in flat]
    assert len(codes) == len(set(codes))
    by_code = {i.code: i for i in flat}
    assert by_code["ZJ01"].column == "gdl" and by_code["ZJ01.1"].parent == "ZJ01"
    assert by_code["ZJ02"].owner == "信贷管理处" and by_code["ZJ02.1"].owner == "信贷管理处"  # inherited


def test_every_indicator_column_exists_in_the_built_warehouse(wh: duckdb.DuckDBPyConnection) -> None:
    cols = {(t, c) for t, c in wh.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'marts'").fetchall()}
    missing = [i.code for i in load_indicators() if (i.mart, i.column) not in cols]
    assert not missing


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "indicators.yaml"
    p.write_text(text, encoding="utf-8")
    return p


GOOD = INDICATORS_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("{mart: indicator_trend, column: jce}", "{mart: indicator_trnd, column: jce}", "JC01 (缴存额) source.mart"),
    ("{mart: indicator_trend, column: jce}", "{mart: indicator_trend, column: jcee}", "has no column 'jcee'"),
    ("code: JC01.1,", "code: JC01.2,", "JC01.2: 指标编码重复"),
    ("unit: 元\n        frequency: monthly\n        source: {mart: indicator_trend, column: jce}",
     "unit: 元\n        frequency: daily\n        source: {mart: indicator_trend, column: jce}", "frequency"),
    ("name: 缴存额\n", "name: 缴存额\n        colour: red\n", "colour"),
])
def test_bad_entries_are_rejected_naming_the_entry(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(IndicatorError) as err:
        load_indicators(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
