"""Batch engine: the whole catalog runs, recall against the planted ground truth, incremental skips, broken rules."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from audit.catalog import RULES_DIR, load_catalog
from audit.engine import RunResult, run_audit
from audit.store import audit_db_path
from audit.truth import planted_violations
from gjj.settings import Settings
from tests.audit.helpers import audit_settings


def _events(settings: Settings) -> pl.DataFrame:
    con = duckdb.connect(str(audit_db_path(settings)), read_only=True)
    try:
        return con.execute("SELECT * FROM risk_event").pl()
    finally:
        con.close()


def test_full_run_evaluates_every_rule(audit_run: tuple[Settings, RunResult]) -> None:
    _, result = audit_run
    assert not result.failed, result.summary()
    assert len(result.ran) == len(load_catalog().rules) >= 150


def test_recall_is_complete_for_every_planted_rule(audit_run: tuple[Settings, RunResult]) -> None:
    settings, _ = audit_run
    truth = planted_violations(settings)
    catalog = load_catalog()
    events = _events(settings).filter(pl.col("cleared_at").is_null())
    missing: dict[str, list[str]] = {}
    for rule_id, planted in truth.group_by("rule_id"):
        rid = str(rule_id[0])
        measuring = [r.id for r in catalog.rules if rid in r.ground_truth_ids]
        assert measuring, f"no rule is measured against planted {rid}"
        found = set(events.filter(pl.col("rule_id").is_in(measuring))["record_key"].to_list())
        lost = sorted(set(planted["record_key"].to_list()) - found)
        if lost:
            missing[rid] = lost[:5]
    assert not missing, f"planted violations not found: {missing}"


def test_events_carry_evidence_and_effective_parameters(audit_run: tuple[Settings, RunResult]) -> None:
    settings, _ = audit_run
    gj01 = _events(settings).filter(pl.col("rule_id") == "GJ-01")
    assert gj01.height > 0
    row = gj01.row(0, named=True)
    assert '"JS_MAX"' in row["parameters"] and '"grjcjs"' in row["evidence"]
    assert row["grzh"] and row["severity"] == "高" and row["state"] == "triggered"
    assert row["first_seen"] <= row["last_seen"]


def test_incremental_run_skips_unchanged_rules(audit_run: tuple[Settings, RunResult]) -> None:
    settings, first = audit_run
    before = _events(settings).height
    again = run_audit(settings, full=False)
    assert len(again.skipped) == len(first.ran) and not again.ran
    assert _events(settings).height == before


def test_broken_rule_is_reported_and_the_others_run(built: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    docs = yaml.safe_load((RULES_DIR / "jc_basic_data.yaml").read_text(encoding="utf-8"))
    broken = docs["rules"][0] | {"id": "JC-99", "condition": "select 1 / 0 as record_key from staging.no_such_table"}
    docs["rules"] = [docs["rules"][1], broken, docs["rules"][2]]
    (rules / "x.yaml").write_text(yaml.safe_dump(docs, allow_unicode=True), encoding="utf-8")
    settings = audit_settings(built, tmp_path / "lh")
    result = run_audit(settings, full=True, catalog=load_catalog(rules))
    assert [o.rule_id for o in result.failed] == ["JC-99"]
    assert "no_such_table" in result.failed[0].error
    assert len(result.ran) == 2
    assert "JC-99" in result.summary() and "2 条规则已运行" in result.summary()


@pytest.mark.parametrize("category", ["提取"])
def test_run_by_category(built: Path, tmp_path: Path, category: str) -> None:
    settings = audit_settings(built, tmp_path / "lh")
    result = run_audit(settings, full=True, categories=[category])
    assert result.ran and all(load_catalog().by_id[o.rule_id].category == category for o in result.outcomes)
