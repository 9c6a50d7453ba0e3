"""`gjj generate --advance-days N`: move an existing simulated center forward, day by day.

Each day brings what a real day brings to the core system: units' remittances on their payday,
withdrawals, loan repayments due, a new account, a sealed account, corrections of personal data
and a reversal (冲账) — inserted and updated rows alike, each stamped with the day's ``upd_tm`` so
that extraction has to catch updates, not only inserts. Set-based SQL through DuckDB against the
core database (SQLite, PostgreSQL or MySQL), then the partner feed files for those days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

from gjj.settings import Settings
from ingestion.simulator.writer import duckdb_attach


def _bizdate(con: duckdb.DuckDBPyConnection) -> tuple[date, int, float]:
    rows = dict(con.execute("SELECT ctl_key, ctl_val FROM core.sys_ctl").fetchall())
    return datetime.strptime(rows["BIZ_DATE"], "%Y%m%d").date(), int(rows["SIM_SEED"]), float(rows["SIM_SCALE"])


def _next_no(con: duckdb.DuckDBPyConnection, table: str, col: str, prefix_len: int = 1) -> int:
    return int(con.execute(f"SELECT coalesce(max(substr({col}, {prefix_len + 1})::BIGINT), 0) FROM core.{table}").fetchone()[0])  # type: ignore[index]


def advance(settings: Settings, url: str, days: int, _td: object = None):  # type: ignore[no-untyped-def]
    from ingestion.simulator.generate import GenerationResult, _feeds

    con = duckdb.connect()
    duckdb_attach(con, url, "core")
    start, seed, scale = _bizdate(con)
    counts: dict[str, int] = {}
    try:
        for i in range(1, days + 1):
            _one_day(con, start + timedelta(days=i), seed + i, counts)
    finally:
        con.execute("DETACH core")
        con.close()
    end = start + timedelta(days=days)
    files = _feeds(settings, url, start, end, seed, initial=False)
    return GenerationResult(scale, seed, end, url, counts, {}, files)


def _count(counts: dict[str, int], table: str, n: int) -> None:
    counts[table] = counts.get(table, 0) + n


def _one_day(con: duckdb.DuckDBPyConnection, d: date, seed: int, counts: dict[str, int]) -> None:
    ds, stamp, ym = f"{d:%Y%m%d}", f"{d:%Y%m%d}183000", f"{d:%Y%m}"
    x = con.execute
    # 1. remittances: units paying on this day (payday + 3) for staff not yet paid this month
    x(f"""CREATE OR REPLACE TEMP TABLE pay AS SELECT a.indi_acct, a.unit_no, a.unit_pay + a.indi_pay AS amt, a.bal
        FROM core.dp_indi_acct a JOIN core.cm_unit u USING (unit_no)
        WHERE a.acct_st IN ('0', '5') AND coalesce(a.last_pay_ym, '') < '{ym}' AND least(u.sal_day + 3, 28) = {d.day}""")
    t0, b0 = _next_no(con, "dp_indi_txn", "txn_no"), _next_no(con, "dp_unit_txn", "txn_no")
    x(f"""CREATE OR REPLACE TEMP TABLE batch AS SELECT unit_no, sum(amt) AS amt, count(*) AS n,
        'P' || lpad(({b0} + row_number() OVER (ORDER BY unit_no))::VARCHAR, 15, '0') AS txn_no FROM pay GROUP BY unit_no""")
    x(f"""INSERT INTO core.dp_unit_txn SELECT txn_no, unit_no, 'HJ', '{ym}', '{ds}', amt, n, '0', '{stamp}' FROM batch""")
    x(f"""INSERT INTO core.dp_indi_txn SELECT 'T' || lpad(({t0} + row_number() OVER (ORDER BY p.indi_acct))::VARCHAR, 15, '0'),
        p.indi_acct, p.unit_no, b.txn_no, 'HJ', 'C', '{ds}', p.amt, 0, p.bal + p.amt, '{ym}', NULL, '0', NULL, NULL, '{stamp}'
        FROM pay p JOIN batch b USING (unit_no)""")
    x(f"""UPDATE core.dp_indi_acct a SET bal = a.bal + p.amt, cur_bal = a.cur_bal + p.amt, last_pay_ym = '{ym}', upd_tm = '{stamp}'
        FROM pay p WHERE a.indi_acct = p.indi_acct""")
    x(f"""UPDATE core.dp_unit_acct u SET bal = u.bal + b.amt, paid_to_ym = '{ym}', upd_tm = '{stamp}' FROM batch b WHERE u.unit_no = b.unit_no""")
    _count(counts, "dp_indi_txn", int(x("SELECT count(*) FROM pay").fetchone()[0]))  # type: ignore[index]
    # 2. rent withdrawals by a few contributors without a loan (≈ 0.02 % of active accounts a day)
    t1, w0 = _next_no(con, "dp_indi_txn", "txn_no"), _next_no(con, "dw_draw", "draw_no")
    x(f"""CREATE OR REPLACE TEMP TABLE wd AS SELECT a.indi_acct, least(800, floor(a.bal)) AS amt, a.bal, a.card_no, p.cust_nm,
        'W' || lpad(({w0} + row_number() OVER (ORDER BY a.indi_acct))::VARCHAR, 13, '0') AS draw_no,
        'T' || lpad(({t1} + row_number() OVER (ORDER BY a.indi_acct))::VARCHAR, 15, '0') AS txn_no
        FROM core.dp_indi_acct a JOIN core.cm_person p USING (cust_no)
        WHERE a.acct_st = '0' AND a.bal > 1000 AND a.indi_acct NOT IN (SELECT indi_acct FROM core.ln_contract)
          AND hash(a.indi_acct, {seed}) % 5000 = 0""")
    x(f"""INSERT INTO core.dw_draw SELECT draw_no, indi_acct, '0105', '2', '{ds}', '{ds}', amt, bal, card_no, cust_nm, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL, NULL, 'SJ', '1', '{stamp}' FROM wd""")
    x(f"""INSERT INTO core.dp_indi_txn SELECT txn_no, w.indi_acct, a.unit_no, NULL, 'BT', 'D', '{ds}', w.amt, 0, w.bal - w.amt, NULL,
        w.draw_no, '0', NULL, NULL, '{stamp}' FROM wd w JOIN core.dp_indi_acct a USING (indi_acct)""")
    x(f"""UPDATE core.dp_indi_acct a SET bal = a.bal - w.amt,
        prev_bal = a.prev_bal - least(a.prev_bal, w.amt), cur_bal = a.cur_bal - (w.amt - least(a.prev_bal, w.amt)), upd_tm = '{stamp}'
        FROM wd w WHERE a.indi_acct = w.indi_acct""")
    _count(counts, "dw_draw", int(x("SELECT count(*) FROM wd").fetchone()[0]))  # type: ignore[index]
    # 3. loan instalments due today are repaid
    l0 = _next_no(con, "ln_txn", "txn_no")
    x(f"""CREATE OR REPLACE TEMP TABLE due AS SELECT loan_acct, term_no, plan_amt, plan_prin, plan_int,
        'L' || lpad(({l0} + row_number() OVER (ORDER BY loan_acct))::VARCHAR, 15, '0') AS txn_no
        FROM core.ln_plan WHERE due_dt = '{ds}' AND plan_st = '0'""")
    x(f"""INSERT INTO core.ln_txn SELECT txn_no, loan_acct, '02', '{ds}', plan_amt, plan_prin, plan_int, 0, term_no, '0', '{stamp}' FROM due""")
    x(f"""UPDATE core.ln_plan p SET plan_st = '1', upd_tm = '{stamp}' FROM due d WHERE p.loan_acct = d.loan_acct AND p.term_no = d.term_no""")
    x(f"""UPDATE core.ln_account a SET bal = round(a.bal - d.plan_prin, 2), prin_paid = a.prin_paid + d.plan_prin,
        int_paid = a.int_paid + d.plan_int, upd_tm = '{stamp}' FROM due d WHERE a.loan_acct = d.loan_acct""")
    _count(counts, "ln_txn", int(x("SELECT count(*) FROM due").fetchone()[0]))  # type: ignore[index]
    # 4. an employee leaves: the account is sealed (封存)
    s0 = _next_no(con, "dp_state_log", "log_no")
    x(f"""CREATE OR REPLACE TEMP TABLE seal AS SELECT indi_acct,
        'L' || lpad(({s0} + row_number() OVER (ORDER BY indi_acct))::VARCHAR, 13, '0') AS log_no FROM core.dp_indi_acct
        WHERE acct_st = '0' AND hash(indi_acct, {seed}, 'seal') % 3000 = 0""")
    x(f"INSERT INTO core.dp_state_log SELECT log_no, indi_acct, '0', '1', '{ds}', 'FC', '{stamp}' FROM seal")
    x(f"UPDATE core.dp_indi_acct SET acct_st = '1', upd_tm = '{stamp}' WHERE indi_acct IN (SELECT indi_acct FROM seal)")
    # 5. corrections of personal data (a new mobile number)
    x(f"""UPDATE core.cm_person SET mobile = '139' || lpad((hash(cust_no, {seed}) % 100000000)::VARCHAR, 8, '0'), upd_tm = '{stamp}'
        WHERE hash(cust_no, {seed}, 'mobile') % 2000 = 0""")
    # 6. a reversal (冲账) of one of yesterday's remittance rows: a new reversing row, the original annotated
    t2 = _next_no(con, "dp_indi_txn", "txn_no")
    prev_day = f"{d - timedelta(days=1):%Y%m%d}"
    x(f"""CREATE OR REPLACE TEMP TABLE rev AS SELECT t.txn_no, t.indi_acct, t.unit_no, t.amt, a.bal,
        'T' || lpad(({t2} + 1)::VARCHAR, 15, '0') AS new_no FROM core.dp_indi_txn t JOIN core.dp_indi_acct a USING (indi_acct)
        WHERE t.acct_dt >= '{prev_day}' AND t.txn_type = 'HJ' AND t.rev_flag = '0' AND a.acct_st = '0' ORDER BY hash(t.txn_no, {seed}) LIMIT 1""")
    x(f"""INSERT INTO core.dp_indi_txn SELECT new_no, indi_acct, unit_no, NULL, 'HJ', 'D', '{ds}', amt, 0, bal - amt, NULL, NULL, '1',
        txn_no, '冲正错缴', '{stamp}' FROM rev""")
    x(f"UPDATE core.dp_indi_txn SET remark = '已冲正', upd_tm = '{stamp}' WHERE txn_no IN (SELECT txn_no FROM rev)")
    x(f"""UPDATE core.dp_indi_acct a SET bal = a.bal - r.amt, cur_bal = a.cur_bal - r.amt, upd_tm = '{stamp}'
        FROM rev r WHERE a.indi_acct = r.indi_acct""")
    x(f"UPDATE core.sys_ctl SET ctl_val = '{ds}', upd_tm = '{stamp}' WHERE ctl_key = 'BIZ_DATE'")
