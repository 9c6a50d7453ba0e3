"""Free text (摘要, 备注, complaint and archive text): the analyzer finds the spans, Presidio's anonymizer replaces
each with the partial mask of its label (张* · 138****5678 · 4112**********1234 …)."""

from __future__ import annotations

from functools import lru_cache

from presidio_analyzer import RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from masking.detect import detect
from masking.recognizers import LABELS


@lru_cache(maxsize=1)
def _engine() -> tuple[AnonymizerEngine, dict[str, OperatorConfig]]:
    from masking.operators import _partial

    def masker(label: str):  # type: ignore[no-untyped-def]
        return lambda text: _partial(text, label)

    ops = {label: OperatorConfig("custom", {"lambda": masker(label)}) for label in LABELS}
    return AnonymizerEngine(), ops


def anonymize_text(text: str) -> str:
    spans = detect(text)
    if not spans:
        return text
    engine, ops = _engine()
    results = [RecognizerResult(s.label, s.start, s.end, s.score) for s in spans]
    return engine.anonymize(text=text, analyzer_results=results, operators=ops).text  # type: ignore[arg-type]
