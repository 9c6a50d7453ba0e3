"""`gjj generate --advance-days N`: move an existing simulated center forward, day by day.

Each day brings what a real day brings to the core system: units' remittances on their payday,
withdrawals, loan repayments due, new loans with their purchase withdrawals, new accounts, sealed
accounts, corrections of personal data and a reversal (冲账) — inserted and updated rows alike, each
stamped with the day's ``upd_tm`` so that extraction has to catch updates, not only inserts — and the
day's settlement flows, vouchers and general-ledger totals (month-end bank balances on the last day).
Set-based SQL through DuckDB against the core database (SQLite, PostgreSQL or MySQL); the handful of
new people and loans per day are drawn with the same numpy generators as the initial history.
Then the partner feed files for those days.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import duckdb
import numpy as np
from sqlalchemy import Engine, create_engine, text

from gjj.settings import Settings
from ingestion.simulator import identity
from ingestion.simulator.profile import Profile, base_bounds, day, loan_rate
from ingestion.simulator.tables import SUBJECTS
from ingestion.simulator.world import BANK_BINS, Loans, instalments, loan_due_day
from ingestion.simulator.writer import duckdb_attach

if TYPE_CHECKING:  # generate imports this module lazily; no import cycle at run time
    from ingestion.simulator.generate import GenerationResult


def _bizdate(con: duckdb.DuckDBPyConnection) -> tuple[date, int, float]:
    rows = dict(con.execute("SELECT ctl_key, ctl_val FROM core.sys_ctl").fetchall())
    return datetime.strptime(rows["BIZ_DATE"], "%Y%m%d").date(), int(rows["SIM_SEED"]), float(rows["SIM_SCALE"])


def _next_no(con: duckdb.DuckDBPyConnection, table: str, col: str, prefix_len: int = 1) -> int:
    """The highest number used in a fixed-width key (prefix + digits), read through the key's index."""
    with _ENGINES[id(con)].connect() as db:
        top = db.execute(text(f"SELECT max({col}) FROM {table}")).scalar()
    return int(top[prefix_len:]) if top else 0


def advance(settings: Settings, url: str, days: int) -> GenerationResult:
    from ingestion.simulator.generate import GenerationResult, _feeds

    con = duckdb.connect()
    duckdb_attach(con, url, "core")
    _ENGINES[id(con)] = create_engine(url)
    start, seed, scale = _bizdate(con)
    counts: dict[str, int] = {}
    try:
        for i in range(1, days + 1):
            _one_day(con, start + timedelta(days=i), seed + i, scale, counts)
    finally:
        con.execute("DETACH core")
        _ENGINES.pop(id(con)).dispose()
        con.close()
    end = start + timedelta(days=days)
    files = _feeds(settings, url, start, end, seed, initial=False)
    return GenerationResult(scale, seed, end, url, counts, {}, files)


_ENGINES: dict[int, Engine] = {}


def _update(con: duckdb.DuckDBPyConnection, table: str, keys: str, source_sql: str) -> int:
    """Apply updates computed in DuckDB (key columns + new values) natively in the core database.

    DuckDB's scanners update an attached table row by row through full scans; the database's own
    UPDATE … WHERE <primary key> is what a day's few thousand changes need.
    """
    rows = con.execute(source_sql).fetchall()
    if not rows:
        return 0
    cols = [d[0] for d in con.description]  # type: ignore[union-attr]
    key_cols = [k.strip() for k in keys.split(",")]
    sets = ", ".join(f"{c} = :{c}" for c in cols if c not in key_cols)
    where = " AND ".join(f"{k} = :{k}" for k in key_cols)
    with _ENGINES[id(con)].begin() as db:
        db.execute(text(f"UPDATE {table} SET {sets} WHERE {where}"), [dict(zip(cols, r, strict=True)) for r in rows])
    return len(rows)


def _count(counts: dict[str, int], table: str, n: int) -> None:
    counts[table] = counts.get(table, 0) + n


def _one_day(con: duckdb.DuckDBPyConnection, d: date, seed: int, scale: float, counts: dict[str, int]) -> None:
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
    _update(con, "dp_indi_acct", "indi_acct", f"""SELECT a.indi_acct, a.bal + p.amt AS bal, a.cur_bal + p.amt AS cur_bal,
        '{ym}' AS last_pay_ym, '{stamp}' AS upd_tm FROM core.dp_indi_acct a JOIN pay p USING (indi_acct)""")
    _update(con, "dp_unit_acct", "unit_no", f"""SELECT u.unit_no, u.bal + b.amt AS bal, '{ym}' AS paid_to_ym, '{stamp}' AS upd_tm
        FROM core.dp_unit_acct u JOIN batch b USING (unit_no)""")
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
    _update(con, "dp_indi_acct", "indi_acct", f"""SELECT a.indi_acct, a.bal - w.amt AS bal,
        a.prev_bal - least(a.prev_bal, w.amt) AS prev_bal, a.cur_bal - (w.amt - least(a.prev_bal, w.amt)) AS cur_bal,
        '{stamp}' AS upd_tm FROM core.dp_indi_acct a JOIN wd w USING (indi_acct)""")
    _count(counts, "dw_draw", int(x("SELECT count(*) FROM wd").fetchone()[0]))  # type: ignore[index]
    # 3. loan instalments due today are repaid
    l0 = _next_no(con, "ln_txn", "txn_no")
    x(f"""CREATE OR REPLACE TEMP TABLE due AS SELECT loan_acct, term_no, plan_amt, plan_prin, plan_int,
        'L' || lpad(({l0} + row_number() OVER (ORDER BY loan_acct))::VARCHAR, 15, '0') AS txn_no
        FROM core.ln_plan WHERE due_dt = '{ds}' AND plan_st = '0'""")
    x(f"""INSERT INTO core.ln_txn SELECT txn_no, loan_acct, '02', '{ds}', plan_amt, plan_prin, plan_int, 0, term_no, '0', '{stamp}' FROM due""")
    _update(con, "ln_plan", "loan_acct, term_no", f"SELECT loan_acct, term_no, '1' AS plan_st, '{stamp}' AS upd_tm FROM due")
    _update(con, "ln_account", "loan_acct", f"""SELECT a.loan_acct, round(a.bal - d.plan_prin, 2) AS bal,
        a.prin_paid + d.plan_prin AS prin_paid, a.int_paid + d.plan_int AS int_paid, '{stamp}' AS upd_tm
        FROM core.ln_account a JOIN due d USING (loan_acct)""")
    _count(counts, "ln_txn", int(x("SELECT count(*) FROM due").fetchone()[0]))  # type: ignore[index]
    # 4. an employee leaves: the account is sealed (封存)
    s0 = _next_no(con, "dp_state_log", "log_no")
    x(f"""CREATE OR REPLACE TEMP TABLE seal AS SELECT indi_acct,
        'L' || lpad(({s0} + row_number() OVER (ORDER BY indi_acct))::VARCHAR, 13, '0') AS log_no FROM core.dp_indi_acct
        WHERE acct_st = '0' AND hash(indi_acct, {seed}, 'seal') % 3000 = 0""")
    x(f"INSERT INTO core.dp_state_log SELECT log_no, indi_acct, '0', '1', '{ds}', 'FC', '{stamp}' FROM seal")
    _update(con, "dp_indi_acct", "indi_acct", f"SELECT indi_acct, '1' AS acct_st, '{stamp}' AS upd_tm FROM seal")
    # 5. corrections of personal data (a new mobile number) — of well-formed numbers only: silently repairing a
    #    planted malformed one (JC-09) would leave a ground-truth row without its defect
    _update(con, "cm_person", "cust_no", f"""SELECT cust_no, '139' || lpad((hash(cust_no, {seed}) % 100000000)::VARCHAR, 8, '0') AS mobile,
        '{stamp}' AS upd_tm FROM core.cm_person WHERE hash(cust_no, {seed}, 'mobile') % 2000 = 0 AND length(mobile) = 11""")
    # 6. a reversal (冲账) of one of yesterday's remittance rows: a new reversing row, the original annotated
    t2 = _next_no(con, "dp_indi_txn", "txn_no")
    prev_day = f"{d - timedelta(days=1):%Y%m%d}"
    x(f"""CREATE OR REPLACE TEMP TABLE rev AS SELECT t.txn_no, t.indi_acct, t.unit_no, t.amt, a.bal,
        'T' || lpad(({t2} + 1)::VARCHAR, 15, '0') AS new_no FROM core.dp_indi_txn t JOIN core.dp_indi_acct a USING (indi_acct)
        WHERE t.acct_dt >= '{prev_day}' AND t.txn_type = 'HJ' AND t.rev_flag = '0' AND a.acct_st = '0' ORDER BY hash(t.txn_no, {seed}) LIMIT 1""")
    x(f"""INSERT INTO core.dp_indi_txn SELECT new_no, indi_acct, unit_no, NULL, 'HJ', 'D', '{ds}', amt, 0, bal - amt, NULL, NULL, '1',
        txn_no, '冲正错缴', '{stamp}' FROM rev""")
    _update(con, "dp_indi_txn", "txn_no", f"SELECT txn_no, '已冲正' AS remark, '{stamp}' AS upd_tm FROM rev")
    _update(con, "dp_indi_acct", "indi_acct", f"""SELECT a.indi_acct, a.bal - r.amt AS bal, a.cur_bal - r.amt AS cur_bal,
        '{stamp}' AS upd_tm FROM core.dp_indi_acct a JOIN rev r USING (indi_acct)""")
    rng = np.random.default_rng([seed, d.toordinal()])
    _new_loans(con, d, seed, scale, rng, counts)
    _new_accounts(con, d, scale, rng, counts)
    _post_finance(con, d)
    _update(con, "sys_ctl", "ctl_key", f"SELECT 'BIZ_DATE' AS ctl_key, '{ds}' AS ctl_val, '{stamp}' AS upd_tm")


_PROFILE = Profile(scale=1.0, seed=0)
_DAYS_OF_HISTORY = 365.25 * _PROFILE.history_years


def _new_accounts(con: duckdb.DuckDBPyConnection, d: date, scale: float, rng: np.random.Generator,
                  counts: dict[str, int]) -> None:
    """New hires registered by their units (≈ 1.7万 a year at scale 1.0)."""
    n = int(rng.poisson(_PROFILE.accounts_new / _DAYS_OF_HISTORY * scale))
    units = con.execute("SELECT unit_no, unit_prop, indi_prop FROM core.dp_unit_acct WHERE acct_st = 'N' ORDER BY unit_no").fetchall()
    if n == 0 or not units:
        return
    ds, stamp = f"{d:%Y%m%d}", f"{d:%Y%m%d}183000"
    cust0 = _next_no(con, "cm_person", "cust_no")  # '1' + 9 digits
    acct0 = _next_no(con, "dp_indi_acct", "indi_acct", 4)  # '4112' + 8 digits
    log0 = _next_no(con, "dp_state_log", "log_no")
    birth = (np.datetime64(d, "D") - rng.integers(20 * 365, 36 * 365, n).astype("timedelta64[D]"))
    male = rng.random(n) < 0.53
    born = [f"{b:%Y%m%d}" for b in (birth.min().item(), birth.max().item())] if n else ["", ""]
    taken = np.array([r[0] for r in con.execute("SELECT cert_no FROM core.cm_person WHERE substr(cert_no, 7, 8) BETWEEN ? AND ?",
                                                born).fetchall()], dtype=str)
    certs = identity.id_numbers(rng, birth, male, taken=taken)  # never another person's ID number (no unplanted JC-02)
    names = identity.person_names(rng, n)
    floor, cap = base_bounds(np.array([d.year if d.month >= 7 else d.year - 1]))
    base = np.clip(np.round(rng.lognormal(np.log(4300), 0.4, n)), floor[0], cap[0])
    pick = rng.integers(0, len(units), n)
    cards = identity.luhn_cards(rng, n, np.array(list(BANK_BINS.values())))
    banks = rng.choice(np.array(list(BANK_BINS)), n)
    for i in range(n):
        unit_no, up, ip = units[pick[i]]
        cust, acct = f"1{cust0 + 1 + i:09d}", f"4112{acct0 + 1 + i:08d}"
        con.execute("INSERT INTO core.cm_person VALUES (?, ?, NULL, ?, 'A', ?, ?, 'WH', ?, NULL, ?, '40', ?, ?)",
                    [cust, str(names[i]), "M" if male[i] else "F", str(certs[i]), str(certs[i])[6:14],
                     str(identity.mobiles(rng, 1)[0]), str(identity.addresses(rng, 1, np.array(["411202"]))[0]),
                     float(round(base[i] * 1.8, -1)), stamp])
        con.execute("""INSERT INTO core.dp_indi_acct VALUES (?, ?, ?, ?, ?, ?, round(? * ?), round(? * ?), 0, 0, 0, '0', '0', ?,
                       NULL, NULL, NULL, ?, ?, ?)""",
                    [acct, cust, unit_no, float(base[i]), up, ip, float(base[i]), up, float(base[i]), ip, ds,
                     str(cards[i]), str(banks[i]), stamp])
        con.execute("INSERT INTO core.dp_state_log VALUES (?, ?, NULL, '0', ?, 'KH', ?)", [f"L{log0 + 1 + i:013d}", acct, ds, stamp])
    _count(counts, "dp_indi_acct", n)


def _new_loans(con: duckdb.DuckDBPyConnection, d: date, seed: int, scale: float, rng: np.random.Generator,
               counts: dict[str, int]) -> None:
    """Loans issued today (≈ 3,000 a year at scale 1.0), most with a purchase withdrawal the same day."""
    want = int(rng.poisson(_PROFILE.loans / _DAYS_OF_HISTORY * scale))
    if want == 0:
        return
    ds, stamp = f"{d:%Y%m%d}", f"{d:%Y%m%d}183000"
    old, young = f"{d.year - 50}{d:%m%d}", f"{d.year - 22}{d:%m%d}"
    eligible = con.execute(f"""SELECT a.indi_acct, p.cust_nm, p.cert_no, a.bal, a.card_no FROM core.dp_indi_acct a
        JOIN core.cm_person p USING (cust_no)
        WHERE a.acct_st = '0' AND a.open_dt <= '{d - timedelta(days=200):%Y%m%d}' AND p.birth_dt BETWEEN '{old}' AND '{young}'
          AND a.indi_acct NOT IN (SELECT indi_acct FROM core.ln_contract WHERE indi_acct IS NOT NULL)
        ORDER BY hash(a.indi_acct, {seed}, '{ds}') LIMIT {want}""").fetchall()
    n = len(eligible)
    if n == 0:
        return
    today = np.full(n, day(d))
    term = rng.choice(np.array([240, 300, 360]), n, p=[0.3, 0.25, 0.45])
    amount = np.clip(np.round(rng.lognormal(np.log(380_000), 0.25, n), -3), 100_000, 500_000)
    second = rng.random(n) < 0.12
    price = np.round(amount / rng.uniform(0.55, 0.8, n), -2)
    loans = Loans(n=n, acct=np.arange(n), issue_day=today, amount=amount, term=term, rate=loan_rate(today, term, second),
                  annuity=np.ones(n, bool), second_home=second, price=price, area_m2=np.round(price / rng.uniform(4200, 7800, n), 2),
                  offset_mode=np.zeros(n, int), settle_month=np.zeros(n, int), couple=np.zeros(n, bool),
                  bank=rng.choice(np.array(list(BANK_BINS)), n))
    c0, t0, w0, x0 = (_next_no(con, t, c, 2 if c == "contract_no" else 1) for t, c in
                      (("ln_contract", "contract_no"), ("ln_txn", "txn_no"), ("dw_draw", "draw_no"), ("dp_indi_txn", "txn_no")))
    m0 = _next_no(con, "ln_mortgage", "mort_no")
    addr = identity.addresses(rng, n, np.array(["411202"] * n))
    for i, (acct, name, cert, bal, card) in enumerate(eligible):
        no = c0 + 1 + i
        contract, loan_acct, unit_no = f"HT{no:012d}", f"DK{no:012d}", f"411202{no % 999:06d}GB{no % 99991:05d}F{no:08d}"
        reg = f"{d - timedelta(days=int(rng.integers(1, 10))):%Y%m%d}"
        con.execute("""INSERT INTO core.ln_contract VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '1', 'DY', 'GJ', 'XF', ?, ?, ?, ?, ?,
                       '三门峡建业置业有限公司', NULL, ?, ?, ?, ?, ?)""",
                    [contract, acct, name, cert, f"{d - timedelta(days=30):%Y%m%d}", f"{d - timedelta(days=20):%Y%m%d}",
                     f"{d - timedelta(days=10):%Y%m%d}", float(amount[i]), int(term[i]), float(loans.rate[i]), str(addr[i]),
                     float(loans.area_m2[i]), float(price[i]), float(price[i] - amount[i]), unit_no, str(loans.bank[i]),
                     float(round(amount[i] * 0.004, -2)), 2 if second[i] else 1, min(d.day, 28), stamp])
        con.execute("""INSERT INTO core.ln_mortgage VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)""",
                    [f"M{m0 + 1 + i:013d}", contract, f"豫({d.year})三门峡市不动产权第{no:07d}号",
                     f"豫({d.year})三门峡市不动产证明第{no:07d}号", unit_no, str(addr[i]), float(round(price[i] * 1.02, -2)), reg, stamp])
        con.execute("""INSERT INTO core.ln_account VALUES (?, ?, ?, ?, ?, ?, ?, '1', '1', NULL, 0, 0, 0, 0, 0, 0, 0, ?)""",
                    [loan_acct, contract, float(amount[i]), ds, float(amount[i]), float(loans.rate[i]), int(term[i]), stamp])
        k = np.arange(1, 13)
        idx = np.full(12, i)
        pay, prin, intr = instalments(loans, k, idx)
        due = loan_due_day(loans, idx, k)
        for kk, dd, a, pr, it in zip(k, due, pay, prin, intr, strict=True):
            con.execute("INSERT INTO core.ln_plan VALUES (?, ?, ?, ?, ?, ?, '0', ?)",
                        [loan_acct, int(kk), f"{np.datetime64(int(dd), 'D').astype(object):%Y%m%d}", float(a), float(pr), float(it), stamp])
        con.execute("INSERT INTO core.ln_txn VALUES (?, ?, '01', ?, ?, ?, 0, 0, 0, '0', ?)",
                    [f"L{t0 + 1 + i:015d}", loan_acct, ds, float(amount[i]), float(amount[i]), stamp])
        draw = float(np.floor(float(bal)) - 10)
        if rng.random() < 0.7 and draw > 0:  # purchase withdrawal (购房提取) of the balance
            draw_no, txn_no = f"W{w0 + 1 + i:013d}", f"T{x0 + 1 + i:015d}"
            con.execute("""INSERT INTO core.dw_draw VALUES (?, ?, '0101', '2', ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, NULL, 'SJ', '1', ?)""",
                        [draw_no, acct, ds, ds, draw, float(bal), card, name, f"豫({d.year})三门峡市不动产权第{no:07d}号", unit_no,
                         str(addr[i]), float(price[i]), f"{d - timedelta(days=10):%Y%m%d}", stamp])
            con.execute("""INSERT INTO core.dp_indi_txn SELECT ?, a.indi_acct, a.unit_no, NULL, 'BT', 'D', ?, ?, 0, a.bal - ?, NULL, ?,
                           '0', NULL, NULL, ? FROM core.dp_indi_acct a WHERE a.indi_acct = ?""",
                        [txn_no, ds, draw, draw, draw_no, stamp, acct])
            _update(con, "dp_indi_acct", "indi_acct", f"""SELECT indi_acct, bal - {draw} AS bal,
                prev_bal - least(prev_bal, {draw}) AS prev_bal, cur_bal - ({draw} - least(prev_bal, {draw})) AS cur_bal,
                '{stamp}' AS upd_tm FROM core.dp_indi_acct WHERE indi_acct = '{acct}'""")
    _count(counts, "ln_contract", n)


def _post_finance(con: duckdb.DuckDBPyConnection, d: date) -> None:
    """The day's settlement flows, double-entry vouchers and general-ledger month totals."""
    ds, ym = f"{d:%Y%m%d}", f"{d:%Y%m}"
    x = con.execute
    s0, v0 = _next_no(con, "fd_settle", "settle_no"), _next_no(con, "fn_voucher", "voucher_no")
    x(f"""CREATE OR REPLACE TEMP TABLE flows AS
        SELECT u.bank_cd, 'HJ' AS biz_type, 'C' AS dc, b.amt, b.txn_no AS biz_no, NULL AS cp_acct, u.unit_nm AS cp_nm, '单位汇缴' AS memo
            FROM core.dp_unit_txn b JOIN core.cm_unit u USING (unit_no) WHERE b.acct_dt = '{ds}'
        UNION ALL SELECT a.card_bank_cd, 'TQ', 'D', w.draw_amt, NULL, w.payee_acct, w.payee_nm, '住房公积金提取'
            FROM core.dw_draw w JOIN core.dp_indi_acct a USING (indi_acct) WHERE w.appr_dt = '{ds}'
        UNION ALL SELECT c.bank_cd, 'FK', 'D', t.amt, NULL, c.seller_acct, c.seller_nm, '个人住房贷款发放'
            FROM core.ln_txn t JOIN core.ln_account a USING (loan_acct) JOIN core.ln_contract c USING (contract_no)
            WHERE t.txn_dt = '{ds}' AND t.txn_type = '01'
        UNION ALL SELECT c.bank_cd, 'HK', 'C', sum(t.amt), NULL, NULL, NULL, '个人住房贷款回收'
            FROM core.ln_txn t JOIN core.ln_account a USING (loan_acct) JOIN core.ln_contract c USING (contract_no)
            WHERE t.txn_dt = '{ds}' AND t.txn_type <> '01' GROUP BY c.bank_cd""")
    x(f"""INSERT INTO core.fd_settle SELECT 'S' || lpad(({s0} + row_number() OVER (ORDER BY f.biz_type, f.biz_no, f.amt))::VARCHAR, 17, '0'),
        b.bank_acct, '{ds}', f.biz_type, f.dc, f.amt, f.biz_no, f.cp_acct, f.cp_nm, f.memo, '{ds}190000'
        FROM flows f JOIN core.fd_bank_acct b USING (bank_cd)""")
    x(f"""CREATE OR REPLACE TEMP TABLE day_vouchers AS SELECT * FROM (
        SELECT 'HJ' AS vt, '101' AS dr, '201' AS cr, coalesce(sum(CASE dc WHEN 'C' THEN amt ELSE -amt END), 0) AS amt, '归集' AS memo
            FROM core.dp_indi_txn WHERE acct_dt = '{ds}' AND txn_type IN ('HJ', 'BJ')
        UNION ALL SELECT 'TQ', '201', '101', coalesce(sum(amt), 0), '提取' FROM core.dp_indi_txn
            WHERE acct_dt = '{ds}' AND txn_type IN ('BT', 'XT', 'ZC')
        UNION ALL SELECT 'FK', '102', '101', coalesce(sum(amt), 0), '贷款发放' FROM core.ln_txn WHERE txn_dt = '{ds}' AND txn_type = '01'
        UNION ALL SELECT 'HB', '101', '102', coalesce(sum(prin_amt), 0), '回收本金' FROM core.ln_txn WHERE txn_dt = '{ds}' AND txn_type <> '01'
        UNION ALL SELECT 'HX', '101', '401', coalesce(sum(int_amt + pen_amt), 0), '回收利息' FROM core.ln_txn
            WHERE txn_dt = '{ds}' AND txn_type <> '01') WHERE amt <> 0""")
    x(f"""CREATE OR REPLACE TEMP TABLE day_lines AS
        SELECT 'V' || lpad(({v0} + row_number() OVER (ORDER BY vt))::VARCHAR, 13, '0') AS voucher_no, * FROM day_vouchers""")
    x(f"""INSERT INTO core.fn_voucher SELECT voucher_no, 1, '{ds}', dr, amt, 0, memo, '{ds}200000' FROM day_lines
        UNION ALL SELECT voucher_no, 2, '{ds}', cr, 0, amt, memo, '{ds}200000' FROM day_lines""")
    directions = ", ".join(f"('{c}', '{bal_dir}')" for c, _, _, _, bal_dir in SUBJECTS)
    x(f"""CREATE OR REPLACE TEMP TABLE day_ledger AS
        WITH lines AS (SELECT dr AS subj_cd, amt AS dr_amt, 0 AS cr_amt FROM day_lines UNION ALL SELECT cr, 0, amt FROM day_lines),
             dirs AS (SELECT * FROM (VALUES {directions}) t(subj_cd, bal_dir))
        SELECT l.subj_cd, dirs.bal_dir, sum(l.dr_amt) AS dr_amt, sum(l.cr_amt) AS cr_amt,
               sum(CASE dirs.bal_dir WHEN 'J' THEN l.dr_amt - l.cr_amt ELSE l.cr_amt - l.dr_amt END) AS net
        FROM lines l JOIN dirs USING (subj_cd) GROUP BY ALL""")
    # a month's first posting opens its ledger rows from the previous month's closing balance
    x(f"""INSERT INTO core.fn_ledger SELECT g.subj_cd, '{ym}', g.close_bal, 0, 0, g.close_bal, g.bal_dir, '{ds}235900'
        FROM core.fn_ledger g WHERE g.ym = (SELECT max(ym) FROM core.fn_ledger WHERE ym < '{ym}')
          AND g.subj_cd NOT IN (SELECT subj_cd FROM core.fn_ledger WHERE ym = '{ym}')""")
    _update(con, "fn_ledger", "subj_cd, ym", f"""SELECT g.subj_cd, g.ym, g.dr_amt + l.dr_amt AS dr_amt, g.cr_amt + l.cr_amt AS cr_amt,
        g.close_bal + l.net AS close_bal, '{ds}235900' AS upd_tm FROM core.fn_ledger g JOIN day_ledger l USING (subj_cd)
        WHERE g.ym = '{ym}'""")
    if d.day == monthrange(d.year, d.month)[1]:  # month end: the bank statements' balances
        x(f"""INSERT INTO core.fd_bank_bal SELECT b.bank_acct, '{ds}', round(coalesce(last.bal, 0) + coalesce(m.net, 0), 2), '{ds}235900'
            FROM core.fd_bank_acct b
            LEFT JOIN (SELECT bank_acct, arg_max(bal, bal_dt) AS bal FROM core.fd_bank_bal GROUP BY bank_acct) last USING (bank_acct)
            LEFT JOIN (SELECT bank_acct, sum(CASE dc WHEN 'C' THEN amt ELSE -amt END) AS net FROM core.fd_settle
                       WHERE settle_dt BETWEEN '{ym}01' AND '{ds}' GROUP BY bank_acct) m USING (bank_acct)""")
