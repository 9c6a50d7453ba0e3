"""Forecasts: model choice by backtest on a series with a known pattern; liquidity arithmetic; what-if
monotonicity on the store built from the scale-0.01 snapshot."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from analytics.build import BuildResult
from analytics.forecast import (
    SERIES,
    Factors,
    ModelForecast,
    Scenario,
    backtest,
    forecast_series,
    mape,
    mase,
    next_months,
    project_liquidity,
    read_history,
    smape,
    what_if,
)


def _seasonal(n: int = 84, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 1_000_000 + 5_000 * t + 120_000 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 10_000, n)


def test_backtest_on_a_known_pattern_is_accurate_and_picks_the_better_model() -> None:
    y = _seasonal()
    fc = forecast_series("jce", y)
    assert set(fc.scores) == {"ets", "sarima"}
    assert fc.scores[fc.model].mase == min(s.mase for s in fc.scores.values())  # chosen by the backtest
    assert fc.mape[fc.model] < 0.03  # noise is 1% of the level
    assert fc.scores[fc.model].smape < 0.03
    assert fc.scores[fc.model].mase < 1  # beats last year's month
    truth = 1_000_000 + 5_000 * np.arange(84, 96) + 120_000 * np.sin(2 * np.pi * np.arange(84, 96) / 12)
    assert mape(truth, fc.forecast.mean) < 0.03
    assert np.all(fc.forecast.lower <= fc.forecast.mean) and np.all(fc.forecast.mean <= fc.forecast.upper)
    assert np.mean((fc.forecast.lower <= truth) & (truth <= fc.forecast.upper)) >= 0.75
    # A model that ignores the season would do far worse: the backtest separates signal from noise.
    flat = np.full_like(y, y.mean())
    assert mape(y[-12:], flat[-12:]) > 3 * fc.mape[fc.model]


def test_backtest_rejects_too_short_series() -> None:
    with pytest.raises(ValueError, match="too short"):
        backtest(np.arange(20, dtype=float), "ets")


def test_mape_skips_zero_actuals() -> None:
    assert mape(np.array([0.0, 100.0, 200.0]), np.array([5.0, 110.0, 180.0])) == pytest.approx(0.1)
    assert np.isnan(mape(np.zeros(3), np.ones(3)))


def test_smape_and_mase_stay_finite_where_mape_explodes() -> None:
    # A lumpy month with a tiny actual: MAPE is dominated by it, sMAPE is bounded, MASE is scaled by the
    # series' own seasonal variation.
    actual, predicted = np.array([100.0, 1.0, 100.0]), np.array([100.0, 90.0, 100.0])
    assert mape(actual, predicted) == pytest.approx(89 / 3)
    assert smape(actual, predicted) == pytest.approx((89 / 45.5) / 3)
    history = np.arange(24, dtype=float)  # seasonal-naive error 12 every month
    assert mase(actual, predicted, history, season=12) == pytest.approx((89 / 3) / 12)
    assert np.isnan(mase(actual, predicted, np.ones(24)))  # a constant history has no scale


def _history_db(last_booking: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS snap")
    con.execute("CREATE SCHEMA snap.marts")
    con.execute("""CREATE TABLE snap.marts.indicator_trend AS
        SELECT strftime(DATE '2022-01-01' + to_months(i::INTEGER), '%Y-%m') AS tjny, 100.0 AS jce,
               CASE WHEN i = 47 THEN 3.0 ELSE 50.0 END AS tqe, 80.0 AS dkffe, 20.0 AS dkhse,
               1000.0 + i AS jcye, 500.0 + i AS dkye
        FROM range(48) t(i)""")
    con.execute(f"CREATE TABLE snap.marts.member_transaction AS SELECT DATE '{last_booking}' AS jzrq")
    return con


def test_history_leaves_out_a_month_the_data_does_not_cover_to_its_end() -> None:
    partial = read_history(_history_db("2025-12-02"))  # 2 days of December 2025 booked
    assert partial.months[-1] == "2025-11" and len(partial.months) == 47
    assert partial.flows["tqe"].min() == 50.0 and partial.jcye == 1046.0
    complete = read_history(_history_db("2025-12-31"))
    assert complete.months[-1] == "2025-12" and len(complete.months) == 48


def test_next_months_rolls_over_the_year() -> None:
    assert next_months("2026-11", 3) == ["2026-12", "2027-01", "2027-02"]


def test_liquidity_is_the_running_balance_of_the_flows() -> None:
    one = np.ones(3)
    flows = {"jce": ModelForecast(100 * one, 90 * one, 110 * one), "tqe": ModelForecast(40 * one, 40 * one, 40 * one),
             "dkffe": ModelForecast(30 * one, 30 * one, 30 * one), "dkhse": ModelForecast(10 * one, 10 * one, 10 * one)}
    out = project_liquidity(1000, 500, flows, Factors(deposit=1.5, withdrawal=0.5, loan=2.0))
    assert out["jcye"].to_list() == [1130, 1260, 1390]  # +150 - 20 a month
    assert out["dkye"].to_list() == [550, 600, 650]  # +60 - 10 a month
    assert out["gdl"][0] == pytest.approx(550 / 1130)
    assert out["zjye"].to_list() == [580, 660, 740]
    widths = (out["jcye_hi"] - out["jcye_lo"]).to_numpy()
    assert np.all(np.diff(widths) > 0)  # uncertainty accumulates


def test_store_holds_forecasts_backtests_and_liquidity(analytics_store: BuildResult) -> None:
    con = duckdb.connect(str(analytics_store.path), read_only=True)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT series) FROM forecast").fetchone() == (48, 4)
        bt = con.execute("SELECT series, model, mase, chosen, mape, smape FROM forecast_backtest").fetchall()
        assert {r[0] for r in bt} == set(SERIES) and sum(r[3] for r in bt) == 4
        assert all(r[2] is not None and 0 <= r[2] < 5 for r in bt)
        assert all(r[4] is not None and r[5] is not None and 0 <= r[5] <= 2 for r in bt)
        chosen = {r[0]: r[2] for r in bt if r[3]}
        assert all(chosen[s] == min(r[2] for r in bt if r[0] == s) for s in SERIES)
        last = con.execute("SELECT max(tjny) FROM forecast_history").fetchone()[0]
        assert con.execute("SELECT min(tjny) FROM liquidity_forecast").fetchone()[0] == next_months(last, 1)[0]
        assert con.execute("SELECT bool_and(gdl_lo <= gdl AND gdl <= gdl_hi) FROM liquidity_forecast").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize(("field", "low", "high", "direction"), [
    ("deposit_base_cap", 5_000.0, 40_000.0, -1),  # more deposits → lower 个贷率
    ("loan_cap", 200_000.0, 1_500_000.0, +1),  # bigger loans → higher 个贷率
    ("withdrawal_change", -0.5, 0.5, +1),  # more withdrawals → lower balance → higher 个贷率
])
def test_what_if_moves_liquidity_monotonically(analytics_store: BuildResult, field: str, low: float, high: float,
                                               direction: int) -> None:
    con = duckdb.connect(str(analytics_store.path), read_only=True)
    try:
        values = np.linspace(low, high, 5)
        gdl = [what_if(con, Scenario(**{field: float(v)}))[1]["gdl"][-1] for v in values]
        _, base = what_if(con, Scenario())
    finally:
        con.close()
    steps = np.diff(gdl) * direction
    assert np.all(steps >= 0) and steps.sum() > 0, gdl
    assert base["gdl"].to_list() == base["gdl_baseline"].to_list()


def test_rent_withdrawal_change_scales_by_its_share(analytics_store: BuildResult) -> None:
    con = duckdb.connect(str(analytics_store.path), read_only=True)
    try:
        share = con.execute("SELECT share FROM scenario_withdrawal_share WHERE reason = 'zf'").fetchone()[0]
        factors, _ = what_if(con, Scenario(withdrawal_reason="zf", withdrawal_change=0.5))
    finally:
        con.close()
    assert 0 < share < 1
    assert factors.withdrawal == pytest.approx(1 + 0.5 * share)
