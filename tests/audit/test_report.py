"""The risk-event report lists every rule with events and masks record keys."""

from __future__ import annotations

from pathlib import Path

from audit.engine import RunResult
from audit.report import write_event_report
from audit.store import audit_db_path
from gjj.settings import Settings


def test_event_report(audit_run: tuple[Settings, RunResult], tmp_path: Path) -> None:
    settings, result = audit_run
    text = write_event_report(audit_db_path(settings), tmp_path / "report.md").read_text(encoding="utf-8")
    assert "风险事件报告" in text and f"{len(result.ran)} 条规则运行" in text
    assert "| TQ-22 |" in text and "| GJ-01 |" in text
    sample = next(line for line in text.splitlines() if line.startswith("- **JC-01**"))
    assert "****" in sample  # the record key is masked
