"""The rule catalog loads, every condition validates against the built warehouse, broken rules are named."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from audit.catalog import RULES_DIR, CatalogError, load_catalog, render, warehouse_schema

CATEGORIES = {"基础数据", "归集", "提取", "贷款", "资金", "财务"}


def test_catalog_size_and_metadata() -> None:
    catalog = load_catalog()
    assert len(catalog) >= 150
    assert {r.category for r in catalog.rules} <= CATEGORIES
    assert {r.source for r in catalog.rules} == {"住建部电子稽查", "审计", "中心自定义"}
    assert any(r.needs_partner_data for r in catalog.rules)
    for r in catalog.rules:
        assert r.remediation and r.evidence, r.id


def test_every_rule_validates_against_the_warehouse(wh: duckdb.DuckDBPyConnection) -> None:
    load_catalog(schema=warehouse_schema(wh), asof=dt.date(2026, 10, 31))


def _write(tmp: Path, mutate: dict[str, object]) -> Path:
    docs = yaml.safe_load((RULES_DIR / "jc_basic_data.yaml").read_text(encoding="utf-8"))
    rule = docs["rules"][0] | mutate
    (tmp / "one.yaml").write_text(yaml.safe_dump({"rules": [rule]}, allow_unicode=True), encoding="utf-8")
    return tmp


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        ({"condition": "select p.khh as record_key, p.no_such_column from staging.stg_core__persons p"}, "no_such_column"),
        ({"condition": "select x.khh as record_key from staging.no_such_table x"}, "unknown table staging.no_such_table"),
        ({"condition": "select p.khh from staging.stg_core__persons p"}, "record_key"),
        ({"condition": "select p.khh as record_key from staging.stg_core__persons p where {{ param('NOPE') }} > 1"}, "NOPE"),
        ({"category": "杂项"}, "category"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_broken_rule_is_named(tmp_path: Path, wh: duckdb.DuckDBPyConnection, mutate: dict[str, object], message: str) -> None:
    folder = _write(tmp_path, mutate)
    with pytest.raises(CatalogError) as err:
        load_catalog(folder, schema=warehouse_schema(wh))
    assert "JC-01" in str(err.value) and message in str(err.value)


def test_duplicate_rule_id_refused(tmp_path: Path) -> None:
    shutil.copy(RULES_DIR / "jc_basic_data.yaml", tmp_path / "a.yaml")
    shutil.copy(RULES_DIR / "jc_basic_data.yaml", tmp_path / "b.yaml")
    with pytest.raises(CatalogError, match="JC-01 already defined"):
        load_catalog(tmp_path)


def test_parameters_are_effective_dated() -> None:
    catalog = load_catalog()
    sql = render(catalog.by_id["GJ-01"], dt.date(2026, 10, 31))
    assert "audit_params" in sql and "BETWEEN pv.valid_from AND pv.valid_to" in sql
