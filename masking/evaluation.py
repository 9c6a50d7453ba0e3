"""Precision and recall of the detector per label against an annotated corpus.

A predicted span matches an expected one with the same label when the boundaries are equal; for
ADDRESS (where 省/市 prefixes and trailing details are a matter of annotation taste) when the two spans
overlap by at least half of their union (IoU ≥ 0.5). Each expected span matches at most once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from masking.detect import Span, detect

LOOSE_LABELS = frozenset({"ADDRESS"})


@dataclass
class LabelScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _matches(p: Span, e: dict[str, object]) -> bool:
    es, ee = int(e["start"]), int(e["end"])  # type: ignore[call-overload]
    if p.label != e["label"]:
        return False
    if p.label in LOOSE_LABELS:
        inter = min(p.end, ee) - max(p.start, es)
        union = max(p.end, ee) - min(p.start, es)
        return inter > 0 and inter / union >= 0.5
    return (p.start, p.end) == (es, ee)


def read_corpus(paths: Iterable[Path]) -> list[dict[str, object]]:
    rows = []
    for path in paths:
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def evaluate(rows: list[dict[str, object]]) -> dict[str, LabelScore]:
    scores: dict[str, LabelScore] = {}
    for row in rows:
        text = str(row["text"])
        expected: list[dict[str, object]] = list(row["spans"])  # type: ignore[call-overload]
        unmatched = list(expected)
        for p in detect(text):
            s = scores.setdefault(p.label, LabelScore())
            hit = next((e for e in unmatched if _matches(p, e)), None)
            if hit is None:
                s.fp += 1
                s.errors.append(f"FP {row['id']}: {text[p.start:p.end]!r} in {text!r}")
            else:
                s.tp += 1
                unmatched.remove(hit)
        for e in unmatched:
            s = scores.setdefault(str(e["label"]), LabelScore())
            s.fn += 1
            s.errors.append(f"FN {row['id']}: {text[int(e['start']):int(e['end'])]!r} in {text!r}")  # type: ignore[call-overload]
    return scores
