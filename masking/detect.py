"""Detection: the offline Chinese Presidio analyzer, span resolution, and batch detection over JSONL.

    gjj pii detect --in texts.jsonl --out spans.jsonl
    in:  {"id": "...", "text": "..."}            one object a line
    out: {"id": "...", "spans": [{"start", "end", "label", "score"}]}   character offsets, end exclusive
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts

from masking import vocab
from masking.nlp import LANGUAGE, NAME_START, JiebaNlpEngine
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


class _ContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's lemma context enhancer (same factor, window, substring matching and helpers) without its first
    step, a deep copy of every result (a fifth of the analyzer's time): a result is copied shallowly, and only when
    a context word can still lift it — it is below the maximum score and one of its recognizer's context words
    occurs in the text at all (else it is in no token before the match either)."""

    def enhance_using_context(self, text: str, raw_results: list[RecognizerResult], nlp_artifacts: NlpArtifacts,
                              recognizers: list[EntityRecognizer], context: list[str] | None = None
                              ) -> list[RecognizerResult]:
        if context or nlp_artifacts is None:
            return super().enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)
        lowered = text.lower()
        liftable = {r.id: r for r in recognizers if r.context and any(w.lower() in lowered for w in r.context)}
        results = []
        for raw in raw_results:
            meta = raw.recognition_metadata or {}
            recognizer = liftable.get(meta.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None or raw.score >= self.MAX_SCORE or meta.get(
                    RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                results.append(raw)
                continue
            words = self._extract_surrounding_words(nlp_artifacts=nlp_artifacts, word=text[raw.start:raw.end],
                                                    start=raw.start)
            supportive = self._find_supportive_word_in_context(words, recognizer.context, self.context_matching_mode)
            if not supportive:
                results.append(raw)
                continue
            result = copy.copy(raw)
            result.score = min(max(raw.score + self.context_similarity_factor, self.min_score_with_context_similarity),
                               self.MAX_SCORE)
            if raw.analysis_explanation is not None:
                result.analysis_explanation = copy.copy(raw.analysis_explanation)
                result.analysis_explanation.set_supportive_context_word(supportive)
                result.analysis_explanation.set_improved_score(result.score)
            results.append(result)
        return results


# Cheap pre-filters: a label is looked for only when the text holds a character every match of it needs, so the
# pattern recognizers that cannot match do not run (most 摘要 hold no digit) and a text that can hold nothing is
# not analysed at all.
_DIGIT = re.compile(r"\d")  # the recognizers' \d (Unicode digits, like Presidio's regex module)
_NEEDS_DIGIT = frozenset(["CN_ID", "CN_MOBILE", "CN_PHONE", "BANK_CARD", "USCC", "PROPERTY_CERT", "PASSPORT",
                          "HK_MACAU_PASS"])
# an address needs a detail: a unit (号, 室 …) or a word ending like a street, a place or a village
_ADDRESS_ENDS = frozenset(w[-1] for w in (*vocab.DETAIL_UNITS, *vocab.STREET_SUFFIXES, *vocab.PLACE_SUFFIXES,
                                         "村", "社区", "镇", "乡"))


def candidate_labels(text: str, labels: tuple[str, ...] = LABELS) -> list[str]:
    """The labels of ``labels`` that ``text`` can hold at all (a necessary condition per label, never a guess)."""
    digit = _DIGIT.search(text) is not None
    out = []
    for label in labels:
        if label in _NEEDS_DIGIT:
            ok = digit and (label != "PROPERTY_CERT" or "不动产" in text)
        elif label == "EMAIL":
            ok = "@" in text
        elif label == "PERSON":
            ok = not NAME_START.isdisjoint(text)
        elif label == "ADDRESS":
            ok = not _ADDRESS_ENDS.isdisjoint(text)
        else:
            ok = True
        if ok:
            out.append(label)
    return out


@lru_cache(maxsize=1)
def analyzer() -> AnalyzerEngine:
    """The analyzer with only the Chinese recognizers, on the jieba NLP engine (no model download)."""
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in chinese_recognizers():
        registry.add_recognizer(recognizer)
    engine = JiebaNlpEngine()
    engine.load()
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=[LANGUAGE],
                          default_score_threshold=SCORE_THRESHOLD, context_aware_enhancer=_ContextEnhancer())


def resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans: the higher score wins an overlap, then the longer span."""
    kept: list[Span] = []
    for s in sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start)):
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: s.start)


def detect(text: str, labels: tuple[str, ...] = LABELS) -> list[Span]:
    entities = candidate_labels(text, labels)
    if not entities:
        return []
    results = analyzer().analyze(text=text, language=LANGUAGE, entities=entities)
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
