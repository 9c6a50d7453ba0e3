"""Detection: the offline Chinese Presidio analyzer, span resolution, and batch detection over JSONL.

    gjj pii detect --in texts.jsonl --out spans.jsonl
    in:  {"id": "...", "text": "..."}            one object a line
    out: {"id": "...", "spans": [{"start", "end", "label", "score"}]}   character offsets, end exclusive
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

from masking.nlp import LANGUAGE, JiebaNlpEngine
from masking.recognizers import LABELS, chinese_recognizers

# A match is reported from this score on; context words lift weak matches (a lone surname + given name,
# a 15-digit legacy ID) above it.
SCORE_THRESHOLD = 0.5


class DetectInputError(ValueError):
    """A line of a detection input file is not {"id": ..., "text": "..."}."""


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    score: float


@lru_cache(maxsize=1)
def analyzer() -> AnalyzerEngine:
    """The analyzer with only the Chinese recognizers, on the jieba NLP engine (no model download)."""
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in chinese_recognizers():
        registry.add_recognizer(recognizer)
    engine = JiebaNlpEngine()
    engine.load()
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=[LANGUAGE],
                          default_score_threshold=SCORE_THRESHOLD)


def resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans: the higher score wins an overlap, then the longer span."""
    kept: list[Span] = []
    for s in sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start)):
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: s.start)


def detect(text: str, labels: tuple[str, ...] = LABELS) -> list[Span]:
    results = analyzer().analyze(text=text, language=LANGUAGE, entities=list(labels))
    return resolve([Span(r.start, r.end, r.entity_type, round(float(r.score), 3)) for r in results])


def _read_line(path: Path, lineno: int, line: str) -> tuple[object, str]:
    where = f"{path}:{lineno}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise DetectInputError(f"{where}: 不是有效的 JSON / not valid JSON ({e.msg})") from None
    if not isinstance(obj, dict) or "id" not in obj or "text" not in obj:
        raise DetectInputError(f'{where}: 每行应为 {{"id": ..., "text": "..."}} / each line must be an object '
                               f'with "id" and "text"')
    if not isinstance(obj["text"], str):
        raise DetectInputError(f'{where}: "text" 必须是字符串 / "text" must be a string')
    if not isinstance(obj["id"], str | int):
        raise DetectInputError(f'{where}: "id" 必须是字符串或整数 / "id" must be a string or an integer')
    return obj["id"], obj["text"]


def detect_jsonl(src: Path, dst: Path) -> int:
    """Detect spans for every line of ``src`` into ``dst``; the whole input is validated before anything is
    written, so a bad line leaves no half-written output. Returns the number of texts."""
    items = []
    with src.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                items.append(_read_line(src, lineno, line))
    tmp = dst.with_name(dst.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for id_, text in items:
            spans = [asdict(s) for s in detect(text)]
            out.write(json.dumps({"id": id_, "spans": spans}, ensure_ascii=False) + "\n")
    tmp.replace(dst)
    return len(items)
