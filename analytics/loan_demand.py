"""潜在贷款需求评分 — a potential loan-demand score from an explained model: logistic regression
(statsmodels ``Logit``) trained on the simulated history.

Training rows are the members as they stood 12 months before the snapshot's business date (t0): opened before
t0, paying in during the year before t0, no loan running at t0. The label is whether they took a provident-fund
loan in the 12 months after t0. Features are computed as of t0 for training and as of the business date for
scoring, by the same SQL: age, log of the contribution base (≈ monthly wage), account age, months paid in the
last 12, rent withdrawals in the last 24 months. The coefficients with odds ratios and p-values are stored
(``loan_demand_model``) so that a steward can read why a member scores high.
"""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import polars as pl

FEATURES = ("nl", "ln_grjcjs", "khnx", "jcys_12m", "tqcs_zf_24m")
FEATURE_NAMES = {"const": "截距", "nl": "年龄", "ln_grjcjs": "缴存基数(对数)", "khnx": "开户年数",
                 "jcys_12m": "近12个月实缴月数", "tqcs_zf_24m": "近24个月租房提取次数"}
MIN_POSITIVES = 10


def _features_sql(as_of: str) -> str:
    """Point-in-time features of members without a running loan at ``as_of`` (a SQL date expression)."""
    return f"""
    WITH p AS (SELECT {as_of} AS t),
    txn AS (
        SELECT m.grzh,
            count(DISTINCT date_trunc('month', m.jzrq)) FILTER (
                WHERE m.gjhtqywlx IN ('01', '02') AND m.fse > 0 AND m.jzrq > p.t - INTERVAL 12 MONTH AND m.jzrq <= p.t)
                AS jcys_12m,
            count(*) FILTER (WHERE m.gjhtqywlx IN ('11', '12') AND m.tqyy = '07'
                             AND m.jzrq > p.t - INTERVAL 24 MONTH AND m.jzrq <= p.t) AS tqcs_zf_24m
        FROM snap.marts.member_transaction AS m, p GROUP BY m.grzh
    ),
    running AS (
        SELECT DISTINCT l.jkrgjjzh AS grzh FROM snap.marts.loan_account AS l, p
        WHERE l.dkffrq <= p.t AND (l.dkjqrq IS NULL OR l.dkjqrq > p.t)
    ),
    later AS (
        SELECT DISTINCT l.jkrgjjzh AS grzh FROM snap.marts.loan_account AS l, p
        WHERE l.dkffrq > p.t AND l.dkffrq <= p.t + INTERVAL 12 MONTH
    )
    SELECT a.grzh,
        (a.nl - date_diff('year', p.t, (SELECT max(jzrq) FROM snap.marts.member_transaction)))::DOUBLE AS nl,
        ln(a.grjcjs::DOUBLE) AS ln_grjcjs,
        date_diff('year', a.khrq, p.t)::DOUBLE AS khnx,
        t.jcys_12m::DOUBLE AS jcys_12m,
        coalesce(t.tqcs_zf_24m, 0)::DOUBLE AS tqcs_zf_24m,
        (l.grzh IS NOT NULL)::INTEGER AS took_loan
    FROM snap.marts.member_account AS a
    CROSS JOIN p
    JOIN txn AS t ON t.grzh = a.grzh AND t.jcys_12m > 0
    LEFT JOIN later AS l ON l.grzh = a.grzh
    WHERE a.khrq <= p.t AND a.nl IS NOT NULL AND a.grjcjs > 0
      AND a.grzh NOT IN (SELECT grzh FROM running)
    """


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve by ranks (Mann–Whitney)."""
    ranks = pl.Series(score).rank("average").to_numpy()
    pos = y == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def build_loan_demand(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Fit the model as of t0 = business date − 12 months, score today's members: tables loan_demand_model
    (coefficients) and loan_demand_score (grzh, dkxq_score). Too few loans to learn from → empty score table."""
    import statsmodels.api as sm

    t0 = "(SELECT max(jzrq) - INTERVAL 12 MONTH FROM snap.marts.member_transaction)::DATE"
    train = con.execute(_features_sql(t0)).pl()
    con.execute("CREATE OR REPLACE TABLE loan_demand_model (feature VARCHAR, feature_name VARCHAR, coef DOUBLE, "
                "odds_ratio DOUBLE, p_value DOUBLE)")
    con.execute("CREATE OR REPLACE TABLE loan_demand_score (grzh VARCHAR, dkxq_score DOUBLE)")
    positives = int(train["took_loan"].sum()) if train.height else 0
    if positives < MIN_POSITIVES or positives == train.height:
        return {"training_rows": float(train.height), "positives": float(positives)}
    x = sm.add_constant(train.select(FEATURES).to_numpy())
    y = train["took_loan"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.Logit(y, x).fit(disp=False, maxiter=200)
    names = ("const", *FEATURES)
    con.executemany("INSERT INTO loan_demand_model VALUES (?, ?, ?, ?, ?)",
                    [(n, FEATURE_NAMES[n], float(c), float(np.exp(c)), float(p))
                     for n, c, p in zip(names, fit.params, fit.pvalues, strict=True)])
    now = con.execute(_features_sql("(SELECT max(jzrq) FROM snap.marts.member_transaction)::DATE")).pl()
    scores = fit.predict(sm.add_constant(now.select(FEATURES).to_numpy(), has_constant="add"))
    con.register("_scores", pl.DataFrame({"grzh": now["grzh"], "dkxq_score": scores}).to_arrow())
    con.execute("INSERT INTO loan_demand_score SELECT * FROM _scores")
    con.unregister("_scores")
    stats = {"training_rows": float(train.height), "positives": float(positives), "base_rate": positives / train.height,
             "auc": _auc(y, fit.predict(x)), "converged": float(bool(fit.mle_retvals.get("converged", False)))}
    # converged = 0 flags (quasi-)separation: the ranking still holds, single coefficients are not to be read.
    con.execute("CREATE OR REPLACE TABLE loan_demand_fit AS SELECT " + ", ".join(f"{v}::DOUBLE AS {k}"
                                                                                for k, v in stats.items()))
    return stats
