"""One quality run: load rules, execute against the warehouse, score, store history and remediation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quality import history, scores
from quality.rules import load_rules
from quality.runner import RuleResult, RunOutcome, run
from quality.scores import Score


@dataclass
class SuiteRun:
    run_id: int
    outcome: RunOutcome
    scores: list[Score]
    blocking: list[RuleResult]

    @property
    def overall(self) -> Score:
        return next(s for s in self.scores if s.level == "overall")


def run_suite(root: Path, warehouse: Path, bronze: Path, memory_limit: str | None = None) -> SuiteRun:
    rules = load_rules()
    outcome = run(warehouse, bronze, rules, memory_limit)
    sc = scores.compute(outcome.results)
    block = scores.blocking(outcome.results)
    run_id = history.record(root, warehouse, outcome, sc, len(block))
    return SuiteRun(run_id, outcome, sc, block)
