"""Issue #6 item 8: every rule has a positive fixture (a record it must hit) and a negative one (a near-identical
record it must not hit).

- Rules measured against planted ground truth (scale 0.01): the positive is the first planted record, the negative
  the nearest record of the same subject table (next key) that nothing planted — a false hit on a clean neighbour
  fails the test as well as a missed plant.
- Rules without plants (``rule_fixtures.yaml``, ``plants``): a copy of the tables the rules read gets one
  record made violating by a minimal UPDATE (rolled back after the test); that record must then be hit and its
  untouched neighbour (the next key, not hit before either; the previous key for the rules in
  ``neighbour_before``) must not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import yaml

from audit.catalog import Rule, input_tables, load_catalog
from audit.engine import RunResult, business_date, evaluate_rule, load_params
from audit.truth import open_risk_events, planted_violations
from gjj.settings import Settings
from tests.audit.helpers import audit_settings

FIXTURES: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "rule_fixtures.yaml").read_text(encoding="utf-8"))
CATALOG = load_catalog()
PLANTS: dict[str, dict[str, str]] = FIXTURES.get("plants") or {}


def _key_expr(rule: Rule) -> str:
    return str((FIXTURES.get("record_keys") or {}).get(rule.id) or f"CAST({rule.subject.key} AS VARCHAR)")


@pytest.fixture(scope="module")
def ground_truth(audit_run: tuple[Settings, RunResult]) -> tuple[pl.DataFrame, pl.DataFrame]:
    settings, _ = audit_run
    return planted_violations(settings), open_risk_events(settings)


def _planted(truth: pl.DataFrame, rule: Rule) -> list[str]:
    return sorted(set(truth.filter(pl.col("rule_id").is_in(rule.ground_truth_ids))["record_key"].to_list()))


def test_every_rule_has_fixtures(ground_truth: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    truth, _ = ground_truth
    without = [r.id for r in CATALOG.rules if not _planted(truth, r) and r.id not in PLANTS]
    unknown = sorted(set(PLANTS) - set(CATALOG.by_id))
    assert not unknown, f"fixtures for unknown rules: {unknown}"
    # the rules still without a positive/negative fixture (to be written in rule_fixtures.yaml); the list may
    # only shrink
    assert set(without) <= set(FIXTURES.get("pending") or []), f"rules without fixtures: {sorted(without)}"


@pytest.mark.parametrize("rule_id", [r.id for r in CATALOG.rules])
def test_planted_positive_and_clean_neighbour(rule_id: str, audit_run: tuple[Settings, RunResult],
                                              ground_truth: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    truth, events = ground_truth
    rule = CATALOG.by_id[rule_id]
    planted = _planted(truth, rule)
    if not planted:
        pytest.skip("no planted records at scale 0.01 (see the mutation fixtures)")
    settings, _ = audit_run
    hits = set(events.filter(pl.col("rule_id") == rule_id)["record_key"].to_list())
    positive = planted[0]
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        before = rule_id in (FIXTURES.get("neighbour_before") or [])
        negative = con.execute(
            f"SELECT {'max' if before else 'min'}(k) FROM (SELECT {_key_expr(rule)} AS k FROM {rule.subject.table}) "
            f"WHERE k {'<' if before else '>'} ? AND k NOT IN (SELECT unnest(?::VARCHAR[]))",
            [positive, truth["record_key"].unique().to_list()],
        ).fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    assert positive in hits, f"{rule_id} misses its planted record {positive}"
    assert negative is not None, f"{rule_id}: no clean neighbour of {positive} in {rule.subject.table}"
    assert negative not in hits, f"{rule_id} hits the clean neighbour {negative} of its planted record {positive}"


@pytest.fixture(scope="module")
def source(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, dt.date]]:
    """One in-memory copy of the tables the fixtures' rules read and their subject tables (views copied as
    tables), and the business date; each fixture mutates it in a transaction that it rolls back."""
    path = audit_settings(built, tmp_path_factory.mktemp("fixtures")).warehouse_path
    con = duckdb.connect()
    try:
        con.execute("ATTACH ':memory:' AS fixture")
        con.execute(f"ATTACH '{path}' AS warehouse (READ_ONLY)")  # the staging views resolve names in "warehouse"
        con.execute("USE warehouse")
        asof = business_date(con)
        tables = {"intermediate.int_policy_parameters"}
        for rule in (CATALOG.by_id[rule_id] for rule_id in PLANTS):
            tables |= set(input_tables(rule, asof)) | {rule.subject.table}
        for table in sorted(tables):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS fixture.{table.split('.')[0]}")
            con.execute(f"CREATE TABLE fixture.{table} AS SELECT * FROM {table}")
        con.execute("USE fixture")
        con.execute("DETACH warehouse")
        load_params(con, CATALOG)
        yield con, asof
    finally:
        con.close()


def _hits(con: duckdb.DuckDBPyConnection, rule: Rule, asof: dt.date) -> set[str]:
    evaluate_rule(con, rule, asof)
    return {r[0] for r in con.execute("SELECT CAST(record_key AS VARCHAR) FROM _hits").fetchall()}


@pytest.mark.parametrize("rule_id", sorted(PLANTS))
def test_planted_by_fixture(rule_id: str, source: tuple[duckdb.DuckDBPyConnection, dt.date]) -> None:
    rule, plant = CATALOG.by_id[rule_id], PLANTS[rule_id]
    con, asof = source
    order = "DESC" if rule_id in (FIXTURES.get("neighbour_before") or []) else "ASC"
    con.execute("BEGIN TRANSACTION")
    try:
        before = _hits(con, rule, asof)
        keys = [r[0] for r in con.execute(
            f"SELECT DISTINCT {_key_expr(rule)} AS k FROM {rule.subject.table} WHERE {plant.get('where', 'true')} "
            f"AND k IS NOT NULL ORDER BY k {order} LIMIT 200"
        ).fetchall() if r[0] not in before]
        assert len(keys) >= 2, f"{rule_id}: no two clean candidate records in {rule.subject.table}"
        positive, negative = keys[0], keys[1]
        con.execute(plant["update"].replace("$key", f"'{positive}'"))
        after = _hits(con, rule, asof)
    finally:
        con.execute("ROLLBACK")
    assert positive in after, f"{rule_id} misses the record made violating: {positive}"
    assert negative not in after, f"{rule_id} hits the untouched neighbour {negative}"
