"""The rule files: coverage of tables and dimensions, and the strict loader's errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from quality.rules import DIMENSIONS, RULES_DIR, RuleError, load_rules, tables

GOOD = {
    "id": "ZL-01",
    "name": "测试规则",
    "table": "member_account",
    "dimension": "完整性",
    "severity": "H",
    "owner": "归集管理处",
    "check": {"expectation": "ExpectColumnValuesToNotBeNull", "kwargs": {"column": "grzh"}},
    "remediation": "补录。",
}


def test_rule_files_cover_every_mart_and_dimension() -> None:
    rules = load_rules()
    assert len(rules) >= 80
    assert set(Counter(r.dimension for r in rules)) == set(DIMENSIONS)
    marts = {n for n, t in tables().items() if t.schema_ == "marts"}
    assert marts <= {r.table for r in rules}, marts - {r.table for r in rules}
    assert {r.severity for r in rules} == {"H", "M", "L"}


def test_dbt_quality_rule_ids_are_owned() -> None:
    """Every quality rule id the dbt project's warn tests name (``owned by quality rule X``) exists."""
    import re

    text = "".join(
        p.read_text(encoding="utf-8")
        for p in (RULES_DIR.parents[1] / "dbt_project" / "models").rglob("*.yml")
    )
    named = set(re.findall(r"quality rule ([A-Z]{2}-[0-9]{2})", text))
    ids = {r.id for r in load_rules()}
    assert named and named <= ids, named - ids


def _load(tmp_path: Path, **change: object) -> None:
    rule = {**GOOD, **change}
    (tmp_path / "x.yaml").write_text(yaml.safe_dump([rule], allow_unicode=True), encoding="utf-8")
    load_rules(tmp_path)


def test_good_rule_loads(tmp_path: Path) -> None:
    _load(tmp_path)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"table": "no_such_table"}, "table"),
        ({"dimension": "可访问性"}, "dimension"),
        ({"severity": "X"}, "severity"),
        ({"check": {"expectation": "ExpectMagic", "kwargs": {"column": "grzh"}}}, "check.expectation"),
        (
            {"check": {"expectation": "ExpectColumnValuesToNotBeNull", "kwargs": {"column": "nope"}}},
            "check.kwargs.column",
        ),
        ({"check": {"predicate": "no_such_col > 0"}}, "check.predicate"),
        ({"check": {"predicate": "grzhye > 0", "query": "SELECT 1"}}, "check"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_rule_is_rejected_naming_rule_and_field(tmp_path: Path, change: dict, field: str) -> None:
    with pytest.raises(RuleError) as exc:
        _load(tmp_path, **change)
    assert "ZL-01" in str(exc.value) and field in str(exc.value), str(exc.value)


def test_duplicate_rule_id_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(yaml.safe_dump([GOOD, GOOD], allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleError, match="ZL-01.*duplicate"):
        load_rules(tmp_path)


def test_gate_blocks_only_high_severity_mart_rules_below_threshold() -> None:
    from quality.rules import Rule
    from quality.runner import RuleResult
    from quality.scores import blocking, compute

    mart = Rule.model_validate(GOOD)
    staging = Rule.model_validate(
        {**GOOD, "id": "ZL-02", "table": "stg_core__persons", "check": {"predicate": "khh IS NOT NULL"}}
    )
    medium = Rule.model_validate({**GOOD, "id": "ZL-03", "severity": "M"})
    results = [
        RuleResult(mart, 100, 2, "ge"),
        RuleResult(staging, 100, 50, "sql"),
        RuleResult(medium, 100, 50, "ge"),
    ]
    assert [r.rule.id for r in blocking(results)] == ["ZL-01"]
    assert blocking([RuleResult(mart, 1000, 5, "ge")]) == []  # 0.5 % failing: planted-defect level, publishes
    overall = next(s for s in compute(results) if s.level == "overall")
    assert 0 < overall.score < 100 and overall.grade in {"优", "良", "中", "差"}
