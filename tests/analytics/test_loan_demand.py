"""The loan-demand model learns a planted pattern: renters take loans far more often than others."""

from __future__ import annotations

from pathlib import Path

import duckdb

from analytics.loan_demand import build_loan_demand


def _snapshot(path: Path, n: int = 400) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    # Members i: even = renters (rent withdrawals), odd = others. Varying age, base, tenure and paid months.
    con.execute(f"""CREATE TABLE marts.member_account AS
        SELECT lpad(i::VARCHAR, 12, '0') AS grzh,
               25 + (i // 2) % 20 AS nl,
               (3000 + ((i // 10) % 10) * 350)::DECIMAL(18,2) AS grjcjs,
               make_date(2012 + (i // 10) % 6, 1 + (i // 3) % 12, 1) AS khrq
        FROM range({n}) AS r(i)""")
    con.execute("""CREATE TABLE marts.member_transaction AS
        SELECT a.grzh, (DATE '2024-11-15' + INTERVAL (m) MONTH)::DATE AS jzrq, '01' AS gjhtqywlx,
               500::DECIMAL(18,2) AS fse, NULL::VARCHAR AS tqyy
        FROM marts.member_account AS a, range(24) AS r(m)
        WHERE m % 12 < 8 + hash(a.grzh) % 5
        UNION ALL
        SELECT a.grzh, d::DATE, '11', -800, '07'
        FROM marts.member_account AS a, (VALUES (DATE '2025-03-01'), (DATE '2026-03-01')) AS v(d)
        WHERE a.grzh::INTEGER % 2 = 0
        UNION ALL SELECT '000000000001', DATE '2026-10-30', '01', 500, NULL""")
    # 40 % of renters and 2 % of the others take a loan in the 12 months after t0 = 2025-10-30.
    con.execute("""CREATE TABLE marts.loan_account AS
        SELECT grzh AS jkrgjjzh, DATE '2026-03-01' AS dkffrq, NULL::DATE AS dkjqrq
        FROM marts.member_account
        WHERE (grzh::INTEGER % 2 = 0 AND grzh::INTEGER % 10 < 4) OR (grzh::INTEGER % 2 = 1 AND grzh::INTEGER % 50 = 1)""")
    con.close()


def test_the_model_finds_the_planted_pattern(tmp_path: Path) -> None:
    _snapshot(tmp_path / "snap.duckdb")
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'snap.duckdb'}' AS snap (READ_ONLY)")
    stats = build_loan_demand(con)
    assert stats["training_rows"] == 400  # nobody had a running loan at t0
    assert stats["positives"] == 80 + 8
    assert stats["auc"] > 0.8 and stats["converged"] == 1
    assert con.execute("SELECT positives FROM loan_demand_fit").fetchone() == (88,)
    coef = {r[0]: r[1:] for r in con.execute("SELECT feature, coef, odds_ratio, p_value FROM loan_demand_model").fetchall()}
    assert coef["tqcs_zf_24m"][0] > 0 and coef["tqcs_zf_24m"][1] > 1 and coef["tqcs_zf_24m"][2] < 0.01
    # Today's scores: only members without a running loan; renters rank above the others.
    renter, other = con.execute("""SELECT avg(dkxq_score) FILTER (WHERE grzh::INTEGER % 2 = 0),
        avg(dkxq_score) FILTER (WHERE grzh::INTEGER % 2 = 1) FROM loan_demand_score""").fetchone()
    assert renter > 3 * other
    assert con.execute("SELECT count(*) FROM loan_demand_score").fetchone() == (400 - 88,)


def test_too_few_loans_leave_the_score_empty(tmp_path: Path) -> None:
    _snapshot(tmp_path / "snap.duckdb", n=20)
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'snap.duckdb'}' AS snap (READ_ONLY)")
    stats = build_loan_demand(con)
    assert stats["positives"] < 10
    assert con.execute("SELECT count(*) FROM loan_demand_score").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM loan_demand_model").fetchone() == (0,)
