"""Fund forecasts (资金预测) and what-if scenarios (政策模拟).

Four monthly flows — 缴存额 jce, 提取额 tqe, 贷款发放额 dkffe, 回收贷款本金 dkhse — are forecast 12 months
ahead with statsmodels. Per series two candidates, ETS (additive error, damped additive trend, additive
seasonality) and SARIMA (1,1,1)(0,1,1)12, are compared by a rolling-origin backtest (each origin refits
on the history before it and forecasts the next ``horizon`` months); the one with the lower MASE is refit
on the whole window and forecast, with its 95% prediction interval. The backtest reports MAPE (what staff
read), sMAPE and MASE (scale-free: the error relative to a seasonal-naive forecast's in-sample error). MAPE
alone misleads on lumpy flows: a month with a small actual (a few large loans moved across a month end)
turns into a percentage error of several hundred per cent that says nothing about the model.

Liquidity follows from the flows: 缴存余额 jcye_t = jcye_{t-1} + jce_t - tqe_t (interest credited once a
year is left out), 贷款余额 dkye_t = dkye_{t-1} + dkffe_t - dkhse_t, 个贷率 gdl = dkye / jcye, 可用资金
zjye = jcye - dkye. Their intervals add the flows' variances month by month (independent errors assumed).

A scenario scales the flows by factors measured on the snapshot: a deposit-base cap (缴存基数上限) changes
deposits by Σ min(base, cap)·rate / Σ base·rate over active accounts (accounts at today's cap are assumed
to move to a raised cap: an upper bound); a loan cap (贷款最高额度) changes issuance by the same ratio over
the last 36 months' loans; a withdrawal policy change scales one withdrawal reason's share of 提取额.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import polars as pl

POLICY_FILE = Path(__file__).resolve().parents[1] / "dbt_project/seeds/policy/seed_policy_parameters.csv"
SERIES: dict[str, str] = {"jce": "缴存额", "tqe": "提取额", "dkffe": "贷款发放额", "dkhse": "回收贷款本金"}
MODELS = ("ets", "sarima")
HORIZON = 12
WINDOW = 72  # months of history each model sees
Z95 = 1.959964
WithdrawalReason = Literal["all", "gf", "hd", "zf", "lt", "qt"]
REASON_NAMES: dict[str, str] = {"all": "全部", "gf": "购房建房", "hd": "偿还贷款", "zf": "租房", "lt": "离退休", "qt": "其他"}


@dataclass
class ModelForecast:
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class BacktestScore:
    mape: float  # mean absolute percentage error (months with a non-zero actual)
    smape: float  # symmetric MAPE: |a - f| / ((|a| + |f|) / 2), 0 … 2
    mase: float  # mean absolute error / in-sample mean absolute error of the seasonal-naive forecast


@dataclass
class SeriesForecast:
    series: str
    model: str
    scores: dict[str, BacktestScore]  # candidate → rolling-origin backtest
    forecast: ModelForecast

    @property
    def mape(self) -> dict[str, float]:
        return {m: s.mape for m, s in self.scores.items()}


def _fit(model: str, y: np.ndarray, horizon: int) -> ModelForecast:
    import pandas as pd  # ETSModel's prediction intervals need an indexed series
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    seasonal = len(y) >= 36
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series
        if model == "ets":
            ets = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=True,
                           seasonal="add" if seasonal else None, seasonal_periods=12 if seasonal else None)
            res = ets.fit(disp=False, maxiter=200)
            frame = res.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(alpha=0.05)
            return ModelForecast(frame["mean"].to_numpy(), frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy())
        if model == "sarima":
            sarima = SARIMAX(y, order=(1, 1, 1), seasonal_order=(0, 1, 1, 12) if seasonal else (0, 0, 0, 0))
            fitted = sarima.fit(disp=False)
            fc = fitted.get_forecast(horizon)
            ci = np.asarray(fc.conf_int(alpha=0.05))
            return ModelForecast(np.asarray(fc.predicted_mean), ci[:, 0], ci[:, 1])
    raise ValueError(f"unknown model {model!r}")


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute percentage error over the months with a non-zero actual (a 0 has no percentage)."""
    mask = actual != 0
    if not mask.any():
        return float("nan")
    return float(np.mean(np.abs((actual[mask] - predicted[mask]) / actual[mask])))


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Symmetric MAPE (0 … 2) over the months where actual and forecast are not both zero."""
    denom = (np.abs(actual) + np.abs(predicted)) / 2
    mask = denom != 0
    if not mask.any():
        return float("nan")
    return float(np.mean(np.abs(actual[mask] - predicted[mask]) / denom[mask]))


def mase(actual: np.ndarray, predicted: np.ndarray, history: np.ndarray, season: int = 12) -> float:
    """Mean absolute scaled error: the forecast's mean absolute error over the in-sample mean absolute
    error of the seasonal-naive forecast (y_t = y_{t-season}) on ``history``; < 1 beats last year's month."""
    lag = season if len(history) > season else 1
    scale = float(np.mean(np.abs(history[lag:] - history[:-lag])))
    if scale == 0:
        return float("nan")
    return float(np.mean(np.abs(actual - predicted)) / scale)


def backtest(y: np.ndarray, model: str, horizon: int = HORIZON, folds: int = 3, step: int = 6) -> BacktestScore:
    """Rolling-origin MAPE, sMAPE and MASE: origins n-h, n-h-step, …; each refits on the history before the
    origin and is scored on the next ``horizon`` months."""
    folds_scores = []
    for k in range(folds):
        origin = len(y) - horizon - k * step
        if origin < 24:
            break
        fc = _fit(model, y[:origin], horizon)
        actual = y[origin:origin + horizon]
        folds_scores.append((mape(actual, fc.mean), smape(actual, fc.mean), mase(actual, fc.mean, y[:origin])))
    if not folds_scores:
        raise ValueError(f"序列太短，无法回测 / series of {len(y)} months is too short for a backtest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN folds (a series of zeros)
        m, s, q = (float(np.nanmean(col)) for col in zip(*folds_scores, strict=True))
    return BacktestScore(mape=m, smape=s, mase=q)


def forecast_series(name: str, y: np.ndarray, horizon: int = HORIZON) -> SeriesForecast:
    """Pick the candidate with the lowest backtest MASE, refit it on the whole window, forecast."""
    y = np.asarray(y, dtype=float)[-WINDOW:]
    scores = {m: backtest(y, m, horizon) for m in MODELS}
    best = min(MODELS, key=lambda m: (np.inf if np.isnan(scores[m].mase) else scores[m].mase))
    fc = _fit(best, y, horizon)
    # Flows cannot be negative.
    fc = ModelForecast(np.maximum(fc.mean, 0), np.maximum(fc.lower, 0), np.maximum(fc.upper, 0))
    return SeriesForecast(name, best, scores, fc)


@dataclass
class History:
    months: list[str]
    flows: dict[str, np.ndarray]
    jcye: float
    dkye: float


def read_history(con: duckdb.DuckDBPyConnection) -> History:
    """The city's monthly flows and last month-end balances (``snap``: the attached snapshot)."""
    frame = con.execute("SELECT tjny, jce::DOUBLE AS jce, tqe::DOUBLE AS tqe, dkffe::DOUBLE AS dkffe, "
                        "dkhse::DOUBLE AS dkhse, jcye::DOUBLE AS jcye, dkye::DOUBLE AS dkye "
                        "FROM snap.marts.indicator_trend ORDER BY tjny").pl()
    # A month the data does not cover to its end (the business date falls inside it) has partial flows:
    # withdrawals and repayments of a few days against a full month forecast — hundreds of per cent of
    # "error" in a backtest and a dent at the end of the fitted series. Only complete months are modelled;
    # the forecast then starts with the current month, in full.
    end = con.execute("SELECT max(jzrq) FROM snap.marts.member_transaction").fetchone()
    if end and end[0] is not None and frame.height:
        last = frame["tjny"][-1]
        y, m = int(last[:4]), int(last[5:7])
        month_end = (date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1))
        if end[0] < month_end:
            frame = frame.head(frame.height - 1)
    if frame.height < 36:
        raise ValueError(f"marts.indicator_trend 只有 {frame.height} 个完整月份 / needs at least 36 complete months")
    return History(frame["tjny"].to_list(), {s: frame[s].to_numpy() for s in SERIES},
                   float(frame["jcye"][-1]), float(frame["dkye"][-1]))


def next_months(last: str, n: int) -> list[str]:
    y, m = int(last[:4]), int(last[5:7])
    out = []
    for _ in range(n):
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append(f"{y:04d}-{m:02d}")
    return out


@dataclass
class Scenario:
    """政策情景: None/0 means today's policy."""

    deposit_base_cap: float | None = None  # 缴存基数上限, 元/月
    loan_cap: float | None = None  # 贷款最高额度, 元
    withdrawal_reason: WithdrawalReason = "all"
    withdrawal_change: float = 0.0  # relative change of that reason's withdrawals, e.g. 0.2 = +20%


@dataclass
class Factors:
    deposit: float = 1.0
    loan: float = 1.0
    withdrawal: float = 1.0
    notes: list[str] = field(default_factory=list)


def project_liquidity(jcye0: float, dkye0: float, flows: dict[str, ModelForecast], factors: Factors) -> pl.DataFrame:
    """Month-end balances, 个贷率 and 可用资金 from the (scaled) flow forecasts, with 95% intervals."""
    jce, tqe, dkffe, dkhse = (flows[s] for s in SERIES)

    def sd(f: ModelForecast, k: float) -> np.ndarray:
        return k * (f.upper - f.lower) / (2 * Z95)

    d_jcye = jce.mean * factors.deposit - tqe.mean * factors.withdrawal
    d_dkye = dkffe.mean * factors.loan - dkhse.mean
    jcye = jcye0 + np.cumsum(d_jcye)
    dkye = dkye0 + np.cumsum(d_dkye)
    sd_jcye = np.sqrt(np.cumsum(sd(jce, factors.deposit) ** 2 + sd(tqe, factors.withdrawal) ** 2))
    sd_dkye = np.sqrt(np.cumsum(sd(dkffe, factors.loan) ** 2 + sd(dkhse, 1.0) ** 2))
    jcye_lo, jcye_hi = jcye - Z95 * sd_jcye, jcye + Z95 * sd_jcye
    dkye_lo, dkye_hi = np.maximum(dkye - Z95 * sd_dkye, 0), dkye + Z95 * sd_dkye
    return pl.DataFrame({
        "jcye": jcye, "jcye_lo": jcye_lo, "jcye_hi": jcye_hi,
        "dkye": dkye, "dkye_lo": dkye_lo, "dkye_hi": dkye_hi,
        "gdl": dkye / jcye, "gdl_lo": dkye_lo / jcye_hi, "gdl_hi": dkye_hi / np.maximum(jcye_lo, 1.0),
        "zjye": jcye - dkye,
    })


def scenario_factors(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> Factors:
    """Turn a scenario into flow factors using the distributions stored by ``build_forecasts``
    (tables scenario_deposit_base, scenario_loan_amount, scenario_withdrawal_share)."""
    f = Factors()
    if scenario.deposit_base_cap is not None:
        if scenario.deposit_base_cap <= 0:
            raise ValueError("deposit_base_cap 必须大于0 / must be positive")
        row = con.execute(
            "SELECT sum(CASE WHEN grjcjs >= (SELECT max(grjcjs) FROM scenario_deposit_base) THEN ?::DOUBLE "
            "ELSE least(grjcjs, ?::DOUBLE) END * weight) / sum(grjcjs * weight) FROM scenario_deposit_base",
            [scenario.deposit_base_cap, scenario.deposit_base_cap]).fetchone()
        f.deposit = float(row[0]) if row and row[0] is not None else 1.0
        f.notes.append(f"缴存基数上限 {scenario.deposit_base_cap:,.0f} 元 → 缴存额 ×{f.deposit:.4f}")
    if scenario.loan_cap is not None:
        if scenario.loan_cap <= 0:
            raise ValueError("loan_cap 必须大于0 / must be positive")
        row = con.execute(
            "SELECT sum(CASE WHEN dkffe >= (SELECT max(dkffe) FROM scenario_loan_amount) THEN ?::DOUBLE "
            "ELSE least(dkffe, ?::DOUBLE) END * n) / sum(dkffe * n) FROM scenario_loan_amount",
            [scenario.loan_cap, scenario.loan_cap]).fetchone()
        f.loan = float(row[0]) if row and row[0] is not None else 1.0
        f.notes.append(f"贷款最高额度 {scenario.loan_cap:,.0f} 元 → 贷款发放额 ×{f.loan:.4f}")
    if scenario.withdrawal_change:
        if scenario.withdrawal_change < -1:
            raise ValueError("withdrawal_change 不能小于 -1 (提取额不能为负) / must be ≥ -1")
        share = 1.0
        if scenario.withdrawal_reason != "all":
            row = con.execute("SELECT share FROM scenario_withdrawal_share WHERE reason = ?",
                              [scenario.withdrawal_reason]).fetchone()
            share = float(row[0]) if row else 0.0
        f.withdrawal = 1.0 + share * scenario.withdrawal_change
        f.notes.append(f"{REASON_NAMES[scenario.withdrawal_reason]}提取 {scenario.withdrawal_change:+.0%} "
                       f"(占提取额 {share:.1%}) → 提取额 ×{f.withdrawal:.4f}")
    return f


def build_forecasts(store: duckdb.DuckDBPyConnection, horizon: int = HORIZON) -> None:
    """Forecast every series into ``store`` (the snapshot attached as ``snap``): forecasts, backtests, the
    baseline liquidity and the distributions the scenarios scale by."""
    hist = read_history(store)
    months = next_months(hist.months[-1], horizon)
    fitted = {s: forecast_series(s, hist.flows[s], horizon) for s in SERIES}
    forecast = pl.concat([
        pl.DataFrame({"series": s, "series_name": SERIES[s], "tjny": months, "model": f.model,
                      "yhat": f.forecast.mean, "lo95": f.forecast.lower, "hi95": f.forecast.upper})
        for s, f in fitted.items()])
    backtests = pl.DataFrame([
        {"series": s, "series_name": SERIES[s], "model": m, "mape": f.scores[m].mape, "smape": f.scores[m].smape,
         "mase": f.scores[m].mase, "chosen": m == f.model,
         "horizon": horizon, "window": min(WINDOW, len(hist.months))}
        for s, f in fitted.items() for m in MODELS])
    baseline = project_liquidity(hist.jcye, hist.dkye, {s: f.forecast for s, f in fitted.items()}, Factors())
    liquidity = pl.DataFrame({"tjny": months}).hstack(baseline)
    history = pl.DataFrame({"tjny": hist.months, **{s: hist.flows[s] for s in SERIES}})
    start = pl.DataFrame({"jcye0": [hist.jcye], "dkye0": [hist.dkye], "last_month": [hist.months[-1]]})
    for name, frame in (("forecast", forecast), ("forecast_backtest", backtests),
                        ("liquidity_forecast", liquidity), ("forecast_history", history), ("forecast_start", start)):
        store.register("_frame", frame.to_arrow())
        store.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame")
        store.unregister("_frame")
    # The distributions the scenarios scale by (small: grouped to 100 元 / 10 000 元 steps).
    store.execute("""CREATE OR REPLACE TABLE scenario_deposit_base AS
        SELECT grjcjs::DOUBLE AS grjcjs, sum(dwjcbl + grjcbl)::DOUBLE AS weight
        FROM snap.marts.member_account WHERE grzhzt = '01' AND grjcjs > 0 GROUP BY 1""")
    store.execute("""CREATE OR REPLACE TABLE scenario_loan_amount AS
        SELECT dkffe::DOUBLE AS dkffe, count(*) AS n FROM snap.marts.loan_account
        WHERE dkffe > 0 AND dkffrq > (SELECT max(dkffrq) FROM snap.marts.loan_account) - INTERVAL 36 MONTH
        GROUP BY 1""")
    store.execute("""CREATE OR REPLACE TABLE scenario_withdrawal_share AS
        WITH last12 AS (
            SELECT sum(tqe_gf) AS gf, sum(tqe_hd) AS hd, sum(tqe_zf) AS zf, sum(tqe_lt) AS lt, sum(tqe_qt) AS qt,
                   sum(tqe) AS tqe
            FROM snap.marts.indicator_monthly
            WHERE tjny > (SELECT strftime(strptime(max(tjny), '%Y-%m') - INTERVAL 12 MONTH, '%Y-%m')
                          FROM snap.marts.indicator_monthly))
        SELECT reason, (amount / nullif(tqe, 0))::DOUBLE AS share
        FROM last12 UNPIVOT (amount FOR reason IN (gf, hd, zf, lt, qt))""")


def policy_parameter(code: str, path: Path = POLICY_FILE) -> float:
    """Today's value of an effective-dated policy parameter (dbt seed seed_policy_parameters)."""
    frame = pl.read_csv(path, infer_schema=False).filter((pl.col("param_cd") == code) & pl.col("valid_to").is_null())
    if frame.is_empty():
        raise ValueError(f"{path}: 无现行政策参数 / no current policy parameter {code}")
    return float(frame["param_val"][0])


def what_if(store: duckdb.DuckDBPyConnection, scenario: Scenario) -> tuple[Factors, pl.DataFrame]:
    """Projected liquidity under ``scenario`` next to the baseline, from a built analytics store."""
    factors = scenario_factors(store, scenario)
    fc = store.execute("SELECT series, tjny, yhat, lo95, hi95 FROM forecast ORDER BY series, tjny").pl()
    flows = {s: ModelForecast(*(fc.filter(pl.col("series") == s)[c].to_numpy() for c in ("yhat", "lo95", "hi95")))
             for s in SERIES}
    start = store.execute("SELECT jcye0, dkye0 FROM forecast_start").fetchone()
    if start is None:
        raise ValueError("analytics store lacks forecast_start / 预测尚未计算")
    months = fc.filter(pl.col("series") == "jce")["tjny"].to_list()
    scen = project_liquidity(float(start[0]), float(start[1]), flows, factors)
    base = project_liquidity(float(start[0]), float(start[1]), flows, Factors())
    out = pl.DataFrame({"tjny": months}).hstack(scen.select("jcye", "dkye", "gdl", "zjye")).hstack(
        base.select(pl.col("gdl").alias("gdl_baseline"), pl.col("zjye").alias("zjye_baseline")))
    return factors, out
