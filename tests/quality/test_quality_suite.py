"""The quality suite on the shared scale-0.01 warehouse: GE pushdown agrees with the set-based keys, recall
of planted defects, no false positives, scores, history, remediation auto-close, the report."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from quality import history, report, truth
from quality.rules import load_rules
from quality.runner import RunOutcome
from quality.suite import SuiteRun, run_suite


@pytest.fixture(scope="module")
def first(built: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SuiteRun]:
    root = tmp_path_factory.mktemp("quality")
    return root, run_suite(root, built / "warehouse" / "warehouse.duckdb", built / "bronze")


def test_ge_counts_match_failing_keys(first: tuple[Path, SuiteRun]) -> None:
    _, res = first
    n = dict(res.outcome.failures.group_by("rule_id").len().iter_rows())
    ge = [r for r in res.outcome.results if r.engine == "ge"]
    assert len(ge) >= 40
    for r in ge:
        assert r.failed == n.get(r.rule.id, 0), r.rule.id
        assert r.ge_success == (r.failed == 0), r.rule.id


def test_recall_and_no_false_positive(built: Path, first: tuple[Path, SuiteRun]) -> None:
    _, res = first
    gt = truth.load(built)
    m = truth.measure(gt, load_rules(), res.outcome.failures)
    quality_kinds = set(gt.filter(pl.col("kind") == "quality")["rule_id"])
    assert quality_kinds and quality_kinds <= set(m.recall), quality_kinds - set(m.recall)
    for kind in m.recall:
        assert m.recall_of(kind) >= 0.95, (kind, m.recall[kind])
    assert m.false_positives == {}


def test_scores_and_gate(first: tuple[Path, SuiteRun]) -> None:
    _, res = first
    levels = {(s.level, s.name) for s in res.scores}
    assert {("dimension", d) for d in ("完整性", "准确性", "一致性", "规范性", "及时性")} <= levels
    assert {("domain", d) for d in ("归集", "提取", "贷款", "资金")} <= levels
    assert 0 < res.overall.score < 100
    assert res.blocking == []  # planted defects are rare: the normal simulated run publishes


def test_remediation_closes_fixed_records_and_report(built: Path, first: tuple[Path, SuiteRun]) -> None:
    root, res = first
    con = history.connect(root, read_only=True)
    try:
        opened = con.execute("SELECT count(*) FROM remediation WHERE status = 'open'").fetchone()[0]  # type: ignore[index]
        item = con.execute(
            "SELECT item_id, rule_id, record_key FROM remediation ORDER BY item_id LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    assert opened == res.outcome.failures.height and item is not None
    assert history.set_status(root, [item[0]], "fixed", "张三") == 1
    # a later run in which that record passes: the item is verified (auto-closed), the others stay open
    fixed = res.outcome.failures.filter(~((pl.col("rule_id") == item[1]) & (pl.col("record_key") == item[2])))
    later = RunOutcome(res.outcome.results, fixed, 1.0, 0.5, 0.5)
    history.record(root, Path("warehouse.duckdb"), later, res.scores, 0)
    con = history.connect(root, read_only=True)
    try:
        status = con.execute(
            "SELECT status, verified_at IS NOT NULL FROM remediation WHERE item_id = ?", [item[0]]
        ).fetchone()
        counts, rate = history.closure(con)
    finally:
        con.close()
    assert status == ("verified", True)
    assert counts["verified"] == 1 and counts["open"] == opened - 1
    assert rate == pytest.approx(1 / opened)
    html = report.render(root, built / "warehouse" / "warehouse.duckdb")
    assert "数据质量评价报告" in html and "整改关闭率" in html and "data:image/png;base64," in html
    assert not re.search(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])", html), "unmasked ID number in the report"


def test_mask_value() -> None:
    assert report.mask_value("zjhm", "411224198102199889") == "411224********9889"
    assert report.mask_value("sjhm", "13791160445") == "137****0445"
    assert report.mask_value("xingming", "万茜强") == "万**"
    assert report.mask_value("xmqp", "WAN QIANQIANG") == "W" + "*" * 12
    assert report.mask_value("gddhhm", "0371-65551234") == "*********1234"
    assert report.mask_value("jtzz", "河南省郑州市金水区花园路12号") == "河南省郑州市****"
    assert report.mask_value("jtysr", 8600) == "***"


def test_report_pdf(tmp_path: Path) -> None:
    """The report prints to PDF through headless Chromium (`make chromium`, as `make test` does)."""
    html = tmp_path / "r.html"
    html.write_text("<html><meta charset='utf-8'><body><h1>数据质量评价报告</h1></body></html>", encoding="utf-8")
    pdf = report.write_pdf(html, tmp_path / "r.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    with pytest.raises(FileNotFoundError, match="make chromium"):
        report.write_pdf(html, tmp_path / "x.pdf", chromium=tmp_path / "no-chromium")
