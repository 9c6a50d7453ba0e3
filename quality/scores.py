"""Scores per rule, table, dimension, business domain and overall (DOMAIN.md §6), weights in scoring.yaml."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from quality.rules import tables
from quality.runner import RuleResult

SCORING_FILE = Path(__file__).resolve().parent / "scoring.yaml"


@cache
def config() -> dict[str, Any]:
    return yaml.safe_load(SCORING_FILE.read_text(encoding="utf-8"))


def grade(score: float) -> str:
    for band in config()["grades"]:
        if score >= band["min"]:
            return str(band["grade"])
    return "差"


@dataclass(frozen=True)
class Score:
    level: str  # overall / domain / table / dimension
    name: str
    score: float
    grade: str


def _weighted(pairs: list[tuple[float, float]]) -> float | None:
    total = sum(w for _, w in pairs)
    return None if total == 0 else sum(v * w for v, w in pairs) / total


def _dimension_scores(results: list[RuleResult]) -> dict[str, float]:
    sev = config()["severity_weights"]
    by_dim: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in results:
        by_dim[r.rule.dimension].append((r.pass_rate * 100, sev[r.rule.severity]))
    return {d: s for d, pairs in by_dim.items() if (s := _weighted(pairs)) is not None}


def _combined(results: list[RuleResult]) -> float | None:
    dims = config()["dimension_weights"]
    return _weighted([(s, dims[d]) for d, s in _dimension_scores(results).items()])


def compute(results: list[RuleResult]) -> list[Score]:
    known = tables()
    out: list[Score] = []
    for d, s in sorted(_dimension_scores(results).items()):
        out.append(Score("dimension", d, s, grade(s)))
    by_table: dict[str, list[RuleResult]] = defaultdict(list)
    by_domain: dict[str, list[RuleResult]] = defaultdict(list)
    for r in results:
        by_table[r.rule.table].append(r)
        by_domain[known[r.rule.table].domain].append(r)
    for t, rs in sorted(by_table.items()):
        if (ts := _combined(rs)) is not None:
            out.append(Score("table", t, ts, grade(ts)))
    domain_scores = {}
    for dom, rs in sorted(by_domain.items()):
        if (ds := _combined(rs)) is not None:
            domain_scores[dom] = ds
            out.append(Score("domain", dom, ds, grade(ds)))
    weights = config()["domain_weights"]
    overall = _weighted([(s, weights[d]) for d, s in domain_scores.items()]) or 0.0
    out.append(Score("overall", "总体", overall, grade(overall)))
    return out


def blocking(results: list[RuleResult]) -> list[RuleResult]:
    """Rules on published tables (marts) with a blocking severity whose pass rate is below the gate's
    threshold: they block publishing the snapshot (docs/decisions/0011-quality-gate.md)."""
    cfg = config()
    known = tables()
    return [
        r
        for r in results
        if r.rule.severity in cfg["blocking_severities"]
        and known[r.rule.table].schema_ == "marts"
        and r.failed
        and r.pass_rate < cfg["blocking_pass_rate"]
    ]
