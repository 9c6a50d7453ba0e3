"""A synthetic (non-depositor) spouse never gets an ID number that belongs to a core person or another spouse."""

from __future__ import annotations

from datetime import date

import polars as pl

from ingestion.simulator.feeds import FeedPlan, _Ctx, _with_synthetic_spouse


def _persons(n: int) -> pl.DataFrame:
    return pl.DataFrame({
        "id_no": [f"P{i:05d}" for i in range(n)],
        "name": ["某某"] * n,
        "male": [i % 2 == 0 for i in range(n)],
        "birth": [date(1985, 3, 1)] * n,
        "area": ["411202"] * n,
        "marital": ["YH"] * n,
        "_file_date": [date(2026, 1, 1)] * n,
    })


def test_spouse_id_numbers_avoid_known_persons_and_each_other() -> None:
    ctx = _Ctx(seed=7, start=date(2026, 1, 1), end=date(2026, 11, 1), initial=True, plan=FeedPlan(audit={}, quality={}))
    persons = _persons(400)
    free = _with_synthetic_spouse(ctx, persons, pl.Series([], dtype=pl.String))["b_id"]
    # the first draws become "existing persons": every spouse must now get another number
    taken = free.head(50)
    spouses = _with_synthetic_spouse(ctx, persons, taken.str.to_lowercase())["b_id"]
    assert not spouses.is_in(taken.implode()).any()
    assert spouses.n_unique() == persons.height
    # draws that collided with nothing are kept as they were (the rest of the data does not move)
    kept = ~free.is_in(taken.implode()) & free.is_first_distinct()
    assert (spouses.filter(kept) == free.filter(kept)).sum() > kept.sum() // 2
