"""Memoise FastAPI 0.121's per-request "is this parameter a sequence?" check.

Profiling the transaction-history route showed FastAPI re-deriving, on every request and for every
query parameter, whether the parameter's annotation is a sequence (``field_annotation_is_sequence``,
a recursive walk over ``int | None`` etc.): ≈ 150 µs of a ≈ 450 µs request. The answer depends
only on the annotation, so it is cached. Pure function, same results; remove when FastAPI caches it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi._compat import shared

_original: Callable[[Any], bool] = shared.field_annotation_is_sequence


@lru_cache(maxsize=1024)
def _cached(annotation: Any) -> bool:
    return _original(annotation)


def _field_annotation_is_sequence(annotation: Any) -> bool:
    try:
        return _cached(annotation)
    except TypeError:  # unhashable annotation
        return _original(annotation)


def memoise_param_introspection() -> None:
    shared.field_annotation_is_sequence = _field_annotation_is_sequence  # type: ignore[assignment]
