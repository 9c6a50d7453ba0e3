"""Turns the simulated world, ledger and loan book into the vendor's tables inside DuckDB.

Set-based: numpy columns are handed to DuckDB as Arrow tables and shaped with SQL (codes,
vendor date strings, numbering, unit batches, finance aggregates).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from ingestion.simulator import identity
from ingestion.simulator.ledger import TXN_TYPES, LedgerResult
from ingestion.simulator.loanbook import LoanBook
from ingestion.simulator.profile import Profile, day, policy_rows
from ingestion.simulator.world import (
    AREA_GB,
    AREA_LOCAL,
    BANK_BINS,
    BANKS,
    ECON_BY_KIND,
    INDUSTRY_BY_KIND,
    NEVER,
    UNIT_KINDS,
    UNIT_NAME_SUFFIX,
    Accounts,
    Loans,
    Units,
    _index,
)

D = "strftime(DATE '1970-01-01' + ({c})::INTEGER, '%Y%m%d')"  # simulator day → vendor CHAR(8)


def _d(col: str) -> str:
    """An event day (-1 = not happened, NEVER = open-ended) → vendor date or NULL."""
    return f"CASE WHEN {col} IS NULL OR {col} < 0 OR {col} >= {NEVER} THEN NULL ELSE {D.format(c=col)} END"


def _birth(col: str) -> str:
    """A birth day: before 1970 it is negative, a real date (not the -1 'not happened' of event days)."""
    return f"CASE WHEN {col} IS NULL THEN NULL ELSE {D.format(c=col)} END"


def _stamp(col: str) -> str:
    """History rows carry the business date of the change, at the nightly batch time."""
    return f"{D.format(c=col)} || '183000'"


def register(con: duckdb.DuckDBPyConnection, name: str, cols: dict[str, np.ndarray]) -> None:
    con.register(f"_{name}_arrow", pa.table({k: pa.array(v) for k, v in cols.items()}))
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _{name}_arrow")
    con.unregister(f"_{name}_arrow")


def build(con: duckdb.DuckDBPyConnection, p: Profile, units: Units, acc: Accounts, loans: Loans, led: LedgerResult,
          book: LoanBook, rng: np.random.Generator) -> None:
    biz = day(p.bizdate)
    _reference(con, p)
    _units(con, p, units, acc, led, rng)
    _persons(con, p, acc, led, rng)
    _transactions(con, led)
    _loans(con, loans, book, rng, biz)
    _draws(con, led, rng)
    _finance(con, p)


def _reference(con: duckdb.DuckDBPyConnection, p: Profile) -> None:
    con.execute("CREATE OR REPLACE TABLE pb_bank AS SELECT * FROM (VALUES " + ", ".join(
        f"('{k}', '{v}', '{p.golive:%Y%m%d}090000')" for k, v in BANKS.items()) + ") t(bank_cd, bank_nm, upd_tm)")
    rows = ", ".join(
        f"({i + 1}, '{c}', '{n}', {v}, '{f}', {('NULL' if t is None else repr(t))}, '{f}090000')"
        for i, (c, n, v, f, t) in enumerate(policy_rows())
    )
    con.execute(f"CREATE OR REPLACE TABLE pb_param AS SELECT * FROM (VALUES {rows}) t(param_id, param_cd, param_nm, param_val, eff_dt, exp_dt, upd_tm)")
    con.execute(f"""CREATE OR REPLACE TABLE sys_ctl AS SELECT * FROM (VALUES
        ('BIZ_DATE', '{p.bizdate:%Y%m%d}', '{p.bizdate:%Y%m%d}183000'),
        ('GOLIVE_DATE', '{p.golive:%Y%m%d}', '{p.golive:%Y%m%d}090000'),
        ('SIM_SCALE', '{p.scale}', '{p.golive:%Y%m%d}090000'),
        ('SIM_SEED', '{p.seed}', '{p.golive:%Y%m%d}090000')) t(ctl_key, ctl_val, upd_tm)""")
    con.execute("""CREATE OR REPLACE TABLE pb_ban_list (ban_id INTEGER, cert_no VARCHAR, ban_kind VARCHAR,
        start_dt VARCHAR, end_dt VARCHAR, reason VARCHAR, upd_tm VARCHAR)""")


def _units(con: duckdb.DuckDBPyConnection, p: Profile, units: Units, acc: Accounts, led: LedgerResult, rng: np.random.Generator) -> None:
    n = units.n
    area_gb = AREA_GB[_index(AREA_LOCAL, units.area)]
    kind_i = _index(UNIT_KINDS, units.kind)
    # a unit exists before its first employee's account; closed units close after their last one
    first_open = np.full(n, NEVER)
    np.minimum.at(first_open, acc.unit, acc.open_day)
    last_end = np.full(n, 0)
    np.maximum.at(last_end, acc.unit, np.where(acc.outcome == 0, NEVER, np.minimum(acc.end_day, acc.seal_day)))
    biz = day(p.bizdate)
    close_day = np.where(units.closed & (last_end < biz - 5), np.minimum(last_end + rng.integers(5, 60, n), biz - 1), -1)
    first_open = np.where(first_open >= NEVER, biz - 400, first_open)
    reg_day = first_open - rng.integers(10, 400, n)
    f = led.final
    bal = np.zeros(n, np.int64)
    np.add.at(bal, f["unit"], f["bal"])
    pay_cnt = np.zeros(n, np.int64)
    np.add.at(pay_cnt, f["unit"], (f["status"] == 0) | (f["status"] == 5))
    seal_cnt = np.zeros(n, np.int64)
    np.add.at(seal_cnt, f["unit"], f["status"] == 1)
    last_ym = np.zeros(n, np.int64)
    np.maximum.at(last_ym, f["unit"], f["last_pay_ym"])
    legal_birth = rng.integers(day("1960-01-01"), day("1988-01-01"), n)
    agent_birth = rng.integers(day("1970-01-01"), day("1998-01-01"), n)
    names = np.char.add(np.char.add(np.char.add("三门峡市", rng.choice(identity.GIVEN, n)), rng.choice(identity.GIVEN, n)),
                        UNIT_NAME_SUFFIX[kind_i])
    register(con, "u_arr", {
        "i": np.arange(n), "unit_no": units.unit_no, "unit_nm": names,
        "uscc": identity.uscc_codes(rng, n, area_gb), "econ_kind": ECON_BY_KIND[kind_i], "unit_kind": units.kind,
        "industry": INDUSTRY_BY_KIND[kind_i], "area_cd": units.area, "area_gb": area_gb,
        "subord": np.where(np.isin(units.kind, ["01", "10"]), "40", "90"),
        "addr": identity.addresses(rng, n, area_gb), "legal_nm": identity.person_names(rng, n),
        "legal_cert_no": identity.id_numbers(rng, (legal_birth + np.datetime64("1970-01-01")).astype("datetime64[D]"), rng.random(n) < 0.7),
        "found_day": reg_day, "sal_day": units.sal_day, "agent_nm": identity.person_names(rng, n),
        "agent_mobile": identity.mobiles(rng, n),
        "agent_cert_no": identity.id_numbers(rng, (agent_birth + np.datetime64("1970-01-01")).astype("datetime64[D]"), rng.random(n) < 0.4),
        "bank_cd": units.bank, "unit_prop": units.unit_prop, "indi_prop": units.indi_prop, "pay_cnt": pay_cnt,
        "seal_cnt": seal_cnt, "bal": bal, "last_ym": last_ym, "open_day": first_open - rng.integers(1, 20, n),
        "close_day": close_day,
    })
    con.execute(f"""CREATE OR REPLACE TABLE cm_unit AS SELECT unit_no, unit_nm, uscc, econ_kind, unit_kind, industry, area_cd,
        subord, addr, '472000' AS post_cd, 'hr' || i || '@smx-unit.cn' AS email, legal_nm, legal_cert_no,
        {_d('found_day')} AS found_dt, sal_day, agent_nm, agent_mobile, agent_cert_no, bank_cd,
        {_stamp('found_day + 1')} AS upd_tm FROM u_arr""")
    con.execute(f"""CREATE OR REPLACE TABLE dp_unit_acct AS SELECT unit_no,
        CASE WHEN close_day >= 0 THEN 'X' WHEN pay_cnt = 0 AND seal_cnt > 0 THEN 'F' WHEN pay_cnt = 0 THEN 'K' ELSE 'N' END AS acct_st,
        round(unit_prop, 4) AS unit_prop, round(indi_prop, 4) AS indi_prop, pay_cnt, seal_cnt, bal / 100.0 AS bal,
        CASE WHEN last_ym > 0 THEN last_ym::VARCHAR END AS paid_to_ym, {_d('open_day')} AS open_dt, {_d('close_day')} AS close_dt,
        CASE WHEN close_day >= 0 THEN '1' END AS close_rsn, NULL::VARCHAR AS defer_end_dt,
        {_stamp(f'greatest(open_day, close_day, {day(p.bizdate)} - 1)')} AS upd_tm FROM u_arr""")


def _persons(con: duckdb.DuckDBPyConnection, p: Profile, acc: Accounts, led: LedgerResult, rng: np.random.Generator) -> None:
    n = acc.n
    birth = (acc.birth_day + np.datetime64("1970-01-01")).astype("datetime64[D]")
    cert = identity.id_numbers(rng, birth, acc.male)
    age = (day(p.bizdate) - acc.birth_day) / 365.25
    marital = np.where(age < 24, "WH", rng.choice(np.array(["YH", "YH", "YH", "YH", "WH", "LY", "SO"]), n))
    f = led.final
    st = np.where(f["status"] == 5, 5, f["status"])
    register(con, "p_arr", {
        "i": np.arange(n), "cust_nm": identity.person_names(rng, n), "sex": np.where(acc.male, "M", "F"),
        "cert_no": cert, "birth_day": acc.birth_day, "marital": marital, "mobile": identity.mobiles(rng, n),
        "home_addr": identity.addresses(rng, n, rng.choice(AREA_GB, n, p=[0.38, 0.12, 0.1, 0.07, 0.11, 0.22])),
        "edu": rng.choice(np.array(["10", "20", "30", "40", "60", "70"]), n, p=[0.02, 0.12, 0.38, 0.3, 0.12, 0.06]),
        "fam_income": np.round(f["base"] * rng.uniform(1.3, 2.4, n), -1), "open_day": acc.open_day,
        "unit": f["unit"], "base": f["base"], "bal": f["bal"], "prev": f["prev"], "cur": f["cur"], "st": st,
        "close_day": f["close_day"], "close_kind": acc.close_kind, "last_ym": f["last_pay_ym"],
        "card_no": identity.luhn_cards(rng, n, np.array(list(BANK_BINS.values()))), "bank": acc.bank,
    })
    con.execute(f"""CREATE OR REPLACE TABLE cm_person AS SELECT '1' || lpad(i::VARCHAR, 9, '0') AS cust_no, cust_nm,
        NULL::VARCHAR AS name_py, sex, 'A' AS cert_type, cert_no, {_birth('birth_day')} AS birth_dt, marital, mobile,
        NULL::VARCHAR AS tel, home_addr, edu, fam_income, {_stamp('greatest(open_day, ' + str(day(p.golive)) + ')')} AS upd_tm
        FROM p_arr""")
    con.execute(f"""CREATE OR REPLACE TABLE dp_indi_acct AS SELECT '4112' || lpad(p.i::VARCHAR, 8, '0') AS indi_acct,
        '1' || lpad(p.i::VARCHAR, 9, '0') AS cust_no, u.unit_no, p.base AS base_amt, u.unit_prop, u.indi_prop,
        round(p.base * u.unit_prop) AS unit_pay, round(p.base * u.indi_prop) AS indi_pay,
        p.bal / 100.0 AS bal, p.prev / 100.0 AS prev_bal, p.cur / 100.0 AS cur_bal, p.st::VARCHAR AS acct_st,
        CASE WHEN p.st = 5 THEN '1' ELSE '0' END AS frz_flag, {_d('p.open_day')} AS open_dt, {_d('p.close_day')} AS close_dt,
        CASE WHEN p.st = 3 THEN '0301' WHEN p.st = 4 THEN p.close_kind END AS close_rsn,
        CASE WHEN p.last_ym > 0 THEN p.last_ym::VARCHAR END AS last_pay_ym, p.card_no, p.bank AS card_bank_cd,
        {_stamp(f'{day(p.bizdate)} - 1')} AS upd_tm
        FROM p_arr p JOIN u_arr u ON u.i = p.unit""")
    log = led.state_log
    register(con, "log_arr", {"acct": log["acct"], "day": log["day"], "old": log["old"], "new": log["new"], "reason": log["reason"]})
    con.execute(f"""CREATE OR REPLACE TABLE dp_state_log AS SELECT 'L' || lpad(row_number() OVER (ORDER BY day, acct, reason)::VARCHAR, 13, '0') AS log_no,
        '4112' || lpad(acct::VARCHAR, 8, '0') AS indi_acct, CASE WHEN old >= 0 THEN old::VARCHAR END AS old_st, new::VARCHAR AS new_st,
        {_d('day')} AS chg_dt, reason AS chg_rsn, {_stamp('day')} AS upd_tm FROM log_arr""")


def _days(con: duckdb.DuckDBPyConnection, first: int, last: int) -> None:
    """A calendar of vendor date strings, joined instead of formatting tens of millions of dates."""
    con.execute(f"""CREATE OR REPLACE TABLE cal AS SELECT d::INTEGER AS day, {D.format(c='d')} AS dt, {D.format(c='d')} || '183000' AS stamp
        FROM range({first}, {last + 1}) r(d)""")


def _transactions(con: duckdb.DuckDBPyConnection, led: LedgerResult) -> None:
    t = led.txns
    order = np.lexsort((t["acct"], t["kind"], t["day"]))
    day_, kind, unit, pay_ym = t["day"][order], t["kind"][order], t["unit"][order], t["pay_ym"][order]
    # unit remittance batches: one per unit, month paid, type and posting day
    remit = (kind == 1) | (kind == 2)
    key = ((day_.astype(np.int64) * 4 + kind) * 1_000_000 + unit) * 1_000_000 + pay_ym % 1_000_000
    uniq, inverse = np.unique(key[remit], return_inverse=True)
    batch = np.zeros(len(order), np.int64)
    batch[remit] = inverse + 1
    amt = t["amt"][order]
    b_idx = np.flatnonzero(remit)
    first_row = np.zeros(len(uniq), np.int64)
    first_row[inverse[::-1]] = b_idx[::-1]
    register(con, "batch_arr", {
        "bseq": np.arange(1, len(uniq) + 1), "unit": unit[first_row], "pay_ym": pay_ym[first_row], "kind": kind[first_row],
        "day": day_[first_row], "amt": np.bincount(inverse, weights=amt[remit]).round().astype(np.int64),
        "head_cnt": np.bincount(inverse),
    })
    register(con, "tx_arr", {
        "seq": np.arange(1, len(order) + 1), "acct": t["acct"][order].astype(np.int32), "day": day_.astype(np.int32),
        "kind": kind.astype(np.int8), "amt": amt, "int_amt": t["int_amt"][order], "bal": t["bal"][order],
        "pay_ym": pay_ym.astype(np.int32), "unit": unit.astype(np.int32), "batch": batch, "draw": t["draw"][order],
    })
    del order, key, batch
    _days(con, int(day_.min()), int(day_.max()) + 400)  # + room for planted late postings
    codes = ", ".join(f"({i}, '{c}')" for i, c in enumerate(TXN_TYPES))
    con.execute(f"CREATE OR REPLACE TABLE txn_kind AS SELECT * FROM (VALUES {codes}) t(kind, code)")
    con.execute("""CREATE OR REPLACE TABLE dp_unit_txn AS SELECT 'P' || lpad(bseq::VARCHAR, 15, '0') AS txn_no, u.unit_no,
        k.code AS txn_type, b.pay_ym::VARCHAR AS pay_ym, c.dt AS acct_dt, b.amt / 100.0 AS amt, b.head_cnt::INTEGER AS head_cnt,
        '0' AS rev_flag, c.stamp AS upd_tm
        FROM batch_arr b JOIN u_arr u ON u.i = b.unit JOIN txn_kind k USING (kind) JOIN cal c ON c.day = b.day""")
    # A view over the compact numeric ledger: plants update tx_arr, the vendor's strings are formed while
    # copying. Lookups by list index (not joins) keep tx_arr's order, which is the key order, so the copy
    # streams in key order without a sort.
    first_day = int(day_.min())
    con.execute("SET VARIABLE unit_nos = (SELECT list(unit_no ORDER BY i) FROM u_arr)")
    con.execute("SET VARIABLE dates = (SELECT list(dt ORDER BY day) FROM cal)")
    con.execute("SET VARIABLE txn_types = (SELECT list(code ORDER BY kind) FROM txn_kind)")
    con.execute(f"""CREATE OR REPLACE VIEW dp_indi_txn AS SELECT 'T' || lpad(t.seq::VARCHAR, 15, '0') AS txn_no,
        '4112' || lpad(t.acct::VARCHAR, 8, '0') AS indi_acct, getvariable('unit_nos')[t.unit + 1] AS unit_no,
        CASE WHEN t.batch > 0 THEN 'P' || lpad(t.batch::VARCHAR, 15, '0') END AS batch_no,
        getvariable('txn_types')[t.kind + 1] AS txn_type, CASE WHEN t.kind IN (3, 5, 6) THEN 'D' ELSE 'C' END AS dc,
        getvariable('dates')[t.day - {first_day} + 1] AS acct_dt, t.amt / 100.0 AS amt,
        t.int_amt / 100.0 AS int_amt, t.bal / 100.0 AS bal, CASE WHEN t.pay_ym > 0 THEN t.pay_ym::VARCHAR END AS pay_ym,
        CASE WHEN t.draw >= 0 THEN 'W' || lpad((t.draw + 1)::VARCHAR, 13, '0') END AS draw_no, '0' AS rev_flag,
        NULL::VARCHAR AS orig_txn_no,
        CASE t.kind WHEN 0 THEN '系统上线期初余额迁移' WHEN 4 THEN '年度结息' ELSE NULL END AS remark,
        getvariable('dates')[t.day - {first_day} + 1] || '183000' AS upd_tm
        FROM tx_arr t""")


def _draws(con: duckdb.DuckDBPyConnection, led: LedgerResult, rng: np.random.Generator) -> None:
    d = led.draws
    n = len(d["acct"])
    intent = d["intent"]
    loan = np.where(intent >= 0, led.intents.loan[np.maximum(intent, 0)], -1)
    # purchases by borrowers use the loan's house; other purchases get a house of their own
    house_area = rng.choice(AREA_GB, n, p=[0.38, 0.12, 0.1, 0.07, 0.11, 0.22])
    register(con, "d_arr", {
        "i": np.arange(n), "acct": d["acct"], "day": d["day"], "reason": d["reason"], "amt": d["amt"], "bal_before": d["bal_before"],
        "loan": loan, "apply_gap": rng.integers(0, 4, n), "channel": rng.choice(np.array(["GT", "WT", "SJ", "WX"]), n, p=[0.35, 0.2, 0.3, 0.15]),
        "house_addr": identity.addresses(rng, n, house_area), "house_area": house_area,
        "house_price": np.round(rng.lognormal(np.log(520_000), 0.3, n), -2),
        "buy_gap": rng.integers(10, 300, n), "prop_seq": rng.integers(0, 10**7, n),
    })
    con.execute(f"""CREATE OR REPLACE TABLE dw_draw AS SELECT 'W' || lpad((d.i + 1)::VARCHAR, 13, '0') AS draw_no,
        '4112' || lpad(d.acct::VARCHAR, 8, '0') AS indi_acct, d.reason AS draw_rsn, '2' AS draw_mode,
        {_d('d.day - d.apply_gap')} AS apply_dt, {_d('d.day')} AS appr_dt, d.amt / 100.0 AS draw_amt, d.bal_before / 100.0 AS bal_before,
        p.card_no AS payee_acct, p.cust_nm AS payee_nm, NULL::VARCHAR AS agent_cert_no, NULL::VARCHAR AS agent_mobile,
        CASE WHEN d.reason = '0101' THEN '豫(' || substr({_d('d.day - d.buy_gap')}, 1, 4) || ')三门峡市不动产权第' || lpad(d.prop_seq::VARCHAR, 7, '0') || '号' END AS prop_cert_no,
        CASE WHEN d.reason = '0101' THEN coalesce(l.prop_unit_no, d.house_area || lpad((d.prop_seq % 999)::VARCHAR, 6, '0') || 'GB' || lpad((d.prop_seq % 99991)::VARCHAR, 5, '0') || 'F' || lpad(d.prop_seq::VARCHAR, 8, '0')) END AS prop_unit_no,
        CASE WHEN d.reason IN ('0101', '0102') THEN coalesce(l.house_addr, d.house_addr) END AS house_addr,
        CASE WHEN d.reason IN ('0101', '0102') THEN coalesce(l.house_price, d.house_price) END AS house_price,
        CASE WHEN d.reason = '0101' THEN coalesce(l.sign_dt, {_d('d.day - d.buy_gap')}) END AS buy_dt,
        CASE WHEN d.reason = '0103' THEN l.contract_no END AS contract_no, d.channel, '1' AS status, {_stamp('d.day')} AS upd_tm
        FROM d_arr d JOIN p_arr p ON p.i = d.acct LEFT JOIN loan_x l ON l.i = d.loan ORDER BY d.i""")


def _loans(con: duckdb.DuckDBPyConnection, loans: Loans, book: LoanBook, rng: np.random.Generator, biz: int) -> None:
    n = loans.n
    sign = loans.issue_day - rng.integers(3, 16, n)
    appr = sign - rng.integers(1, 6, n)
    apply = appr - rng.integers(3, 13, n)
    area = rng.choice(AREA_GB, n, p=[0.38, 0.12, 0.1, 0.07, 0.11, 0.22])
    spouse_birth = rng.integers(day("1970-01-01"), day("1998-01-01"), n)
    a = book.account
    register(con, "loan_arr", {
        "i": np.arange(n), "acct": loans.acct, "apply_day": apply, "appr_day": appr, "sign_day": sign, "issue_day": loans.issue_day,
        "amount": loans.amount, "term": loans.term, "rate": loans.rate, "annuity": loans.annuity, "second": loans.second_home,
        "price": loans.price, "area_m2": loans.area_m2, "couple": loans.couple, "bank": loans.bank,
        "house_addr": identity.addresses(rng, n, area), "house_area": area, "prop_seq": rng.integers(0, 10**7, n),
        "new_house": rng.random(n) < 0.7, "seller": identity.person_names(rng, n),
        "seller_acct": identity.luhn_cards(rng, n, np.array(list(BANK_BINS.values()))),
        "spouse_nm": identity.person_names(rng, n),
        "spouse_cert": identity.id_numbers(rng, (spouse_birth + np.datetime64("1970-01-01")).astype("datetime64[D]"), rng.random(n) < 0.5),
        "spouse_income": np.round(rng.uniform(2500, 9000, n), -1), "reg_gap": rng.integers(1, 12, n),
        "bal": a["bal"], "prin_paid": a["prin_paid"], "int_paid": a["int_paid"], "pen_paid": a["pen_paid"], "prepay": a["prepay"],
        "ovd_prin": a["ovd_prin"], "ovd_int": a["ovd_int"], "ovd_terms": a["ovd_terms"], "settle_day": a["settle_day"],
        "state": a["state"], "risk": a["risk"],
    })
    con.execute(f"""CREATE OR REPLACE TEMP TABLE loan_x AS SELECT l.*, 'HT' || lpad((l.i + 1)::VARCHAR, 12, '0') AS contract_no,
        'DK' || lpad((l.i + 1)::VARCHAR, 12, '0') AS loan_acct, {_d('l.sign_day')} AS sign_dt,
        l.house_area || lpad((l.prop_seq % 999)::VARCHAR, 6, '0') || 'GB' || lpad((l.prop_seq % 99991)::VARCHAR, 5, '0') || 'F' || lpad(l.prop_seq::VARCHAR, 8, '0') AS prop_unit_no,
        l.price AS house_price FROM loan_arr l""")
    con.execute(f"""CREATE OR REPLACE TABLE ln_contract AS SELECT l.contract_no, '4112' || lpad(l.acct::VARCHAR, 8, '0') AS indi_acct,
        p.cust_nm AS borrower_nm, p.cert_no AS borrower_cert_no, {_d('apply_day')} AS apply_dt, {_d('appr_day')} AS appr_dt, l.sign_dt,
        l.amount AS loan_amt, l.term::INTEGER AS term_mon, l.rate, CASE WHEN l.annuity THEN '1' ELSE '2' END AS repay_mode,
        'DY' AS guar_mode, 'GJ' AS loan_kind, CASE WHEN l.new_house THEN 'XF' ELSE 'ES' END AS house_kind, l.house_addr,
        l.area_m2 AS house_area, l.price AS house_price, l.price - l.amount AS down_pay, l.prop_unit_no,
        CASE WHEN l.new_house THEN '三门峡' || l.seller || '置业有限公司' ELSE l.seller END AS seller_nm, l.seller_acct AS seller_acct,
        l.bank AS bank_cd, greatest(p.fam_income, round(l.amount * 0.004, -2)) + CASE WHEN l.couple THEN l.spouse_income ELSE 0 END AS fam_income,
        CASE WHEN l.second THEN 2 ELSE 1 END AS home_cnt, least(day(DATE '1970-01-01' + l.issue_day::INTEGER), 28) AS repay_day,
        {_stamp('l.issue_day')} AS upd_tm FROM loan_x l JOIN p_arr p ON p.i = l.acct""")
    # a borrower with a spouse co-borrower is married in the core's records
    con.execute("""UPDATE cm_person SET marital = 'YH' WHERE marital <> 'YH'
        AND cust_no IN (SELECT '1' || lpad(acct::VARCHAR, 9, '0') FROM loan_x WHERE couple)""")
    con.execute(f"""CREATE OR REPLACE TABLE ln_coborrower AS SELECT 'G' || lpad((i + 1)::VARCHAR, 15, '0') AS cobr_no, contract_no,
        spouse_nm AS cust_nm, spouse_cert AS cert_no, '1' AS relation, NULL::VARCHAR AS indi_acct, spouse_income AS income,
        {_stamp('appr_day')} AS upd_tm FROM loan_x WHERE couple""")
    con.execute(f"""CREATE OR REPLACE TABLE ln_mortgage AS SELECT 'M' || lpad((i + 1)::VARCHAR, 13, '0') AS mort_no, contract_no,
        '豫(' || substr(sign_dt, 1, 4) || ')三门峡市不动产权第' || lpad(prop_seq::VARCHAR, 7, '0') || '号' AS prop_cert_no,
        '豫(' || substr(sign_dt, 1, 4) || ')三门峡市不动产证明第' || lpad((prop_seq + 7)::VARCHAR, 7, '0') || '号' AS other_right_no,
        prop_unit_no, house_addr, round(price * 1.02, -2) AS eval_amt, {_d('issue_day - reg_gap')} AS reg_dt,
        CASE WHEN state = '3' THEN {_d('settle_day + 15')} END AS release_dt,
        {_stamp(f'CASE WHEN state = {chr(39)}3{chr(39)} THEN least(settle_day + 15, {biz}) ELSE issue_day END')} AS upd_tm FROM loan_x""")
    con.execute(f"""CREATE OR REPLACE TABLE ln_account AS SELECT loan_acct, contract_no, amount AS issue_amt, {_d('issue_day')} AS issue_dt,
        bal, rate, term::INTEGER AS term_mon, risk AS risk_cls, state AS loan_st, CASE WHEN state = '3' THEN {_d('settle_day')} END AS settle_dt,
        prin_paid, int_paid, pen_paid, prepay AS prepay_prin, ovd_prin, ovd_int, ovd_terms::INTEGER AS ovd_terms,
        {_stamp(f'{biz} - 1')} AS upd_tm FROM loan_x""")
    plan, tx, ovd = book.plan, book.txns, book.overdue
    register(con, "plan_arr", plan)
    con.execute(f"""CREATE OR REPLACE TABLE ln_plan AS SELECT l.loan_acct, p.term_no::INTEGER AS term_no, {_d('p.due')} AS due_dt,
        p.pay AS plan_amt, p.prin AS plan_prin, p.int AS plan_int, p.st AS plan_st,
        {_stamp(f'least(greatest(p.due, l.issue_day), {biz})')} AS upd_tm FROM plan_arr p JOIN loan_x l ON l.i = p.loan""")
    register(con, "ltx_arr", tx)
    con.execute(f"""CREATE OR REPLACE TABLE ln_txn AS SELECT 'L' || lpad(row_number() OVER (ORDER BY t.day, t.loan, t.type, t.term_no)::VARCHAR, 15, '0') AS txn_no,
        l.loan_acct, t.type AS txn_type, {_d('t.day')} AS txn_dt, t.amt, t.prin AS prin_amt, t.int AS int_amt, t.pen AS pen_amt,
        t.term_no::INTEGER AS term_no, '0' AS rev_flag, {_stamp('t.day')} AS upd_tm
        FROM ltx_arr t JOIN loan_x l ON l.i = t.loan WHERE t.day <= {biz}""")
    register(con, "ovd_arr", ovd)
    con.execute(f"""CREATE OR REPLACE TABLE ln_overdue AS SELECT 'Y' || lpad(row_number() OVER (ORDER BY o.due, o.loan)::VARCHAR, 17, '0') AS ovd_id,
        l.loan_acct, o.term_no::INTEGER AS term_no, {_d('o.due')} AS due_dt, o.prin AS ovd_prin, o.int AS ovd_int, o.pen AS ovd_pen,
        {_d('o.paid_day')} AS paid_dt, {_stamp(f'least(greatest(o.paid_day, o.due + 1), {biz})')} AS upd_tm
        FROM ovd_arr o JOIN loan_x l ON l.i = o.loan""")


SUBJECTS = [  # code, name, level, attribute, balance direction
    ("101", "银行存款", 1, "1", "J"), ("102", "委托贷款", 1, "1", "J"), ("201", "住房公积金", 1, "2", "D"),
    ("401", "住房公积金利息收入", 1, "4", "D"), ("501", "住房公积金利息支出", 1, "5", "J"),
]


def _finance(con: duckdb.DuckDBPyConnection, p: Profile) -> None:
    con.execute("CREATE OR REPLACE TABLE fn_subject AS SELECT * FROM (VALUES " + ", ".join(
        f"('{c}', '{n}', {lv}, '{a}', '{d}', '{p.golive:%Y%m%d}090000')" for c, n, lv, a, d in SUBJECTS
    ) + ") t(subj_cd, subj_nm, subj_lvl, subj_attr, bal_dir, upd_tm)")
    con.execute(f"""CREATE OR REPLACE TABLE fd_bank_acct AS SELECT '4112' || bank_cd || '0100' || lpad(row_number() OVER (ORDER BY bank_cd)::VARCHAR, 8, '0') AS bank_acct,
        '三门峡市住房公积金管理中心' || bank_nm || '归集专户' AS acct_nm, bank_cd, '101' AS subj_cd, '1' AS nature,
        '{p.golive:%Y%m%d}' AS open_dt, NULL::VARCHAR AS close_dt, '{p.golive:%Y%m%d}090000' AS upd_tm FROM pb_bank""")
    # settlement flows: unit remittances in, withdrawals out, loans out, repayments in (daily per bank)
    con.execute("""CREATE OR REPLACE TEMP TABLE settle_src AS
        SELECT b.acct_dt AS dt, u.bank_cd, 'HJ' AS biz_type, 'C' AS dc, b.amt, b.txn_no AS biz_no, NULL AS cp_acct, u.unit_nm AS cp_nm, '单位汇缴' AS memo
            FROM dp_unit_txn b JOIN cm_unit u USING (unit_no)
        UNION ALL SELECT w.appr_dt, a.card_bank_cd, 'TQ', 'D', w.draw_amt, NULL, w.payee_acct, w.payee_nm, '住房公积金提取'
            FROM dw_draw w JOIN dp_indi_acct a USING (indi_acct)
        UNION ALL SELECT a.issue_dt, c.bank_cd, 'FK', 'D', a.issue_amt, NULL, c.seller_acct, c.seller_nm, '个人住房贷款发放'
            FROM ln_account a JOIN ln_contract c USING (contract_no)
        UNION ALL SELECT t.txn_dt, c.bank_cd, 'HK', 'C', sum(t.amt), NULL, NULL, NULL, '个人住房贷款回收'
            FROM ln_txn t JOIN ln_account a USING (loan_acct) JOIN ln_contract c USING (contract_no)
            WHERE t.txn_type <> '01' GROUP BY t.txn_dt, c.bank_cd
        UNION ALL SELECT c.dt, u.bank_cd, 'ZY', 'D', t.amt / 100.0, 'T' || lpad(t.seq::VARCHAR, 15, '0'), NULL, NULL, '异地转移转出'
            FROM tx_arr t JOIN u_arr u ON u.i = t.unit JOIN cal c ON c.day = t.day WHERE t.kind = 6""")
    con.execute("""CREATE OR REPLACE TABLE fd_settle AS SELECT 'S' || lpad(row_number() OVER (ORDER BY s.dt, s.bank_cd, s.biz_type, s.biz_no, s.amt, s.cp_acct)::VARCHAR, 17, '0') AS settle_no,
        b.bank_acct, s.dt AS settle_dt, s.biz_type, s.dc, s.amt, s.biz_no, s.cp_acct, s.cp_nm, s.memo, s.dt || '190000' AS upd_tm
        FROM settle_src s JOIN fd_bank_acct b USING (bank_cd)""")
    # vouchers: one per day and business type, double entry
    con.execute("""CREATE OR REPLACE TEMP TABLE voucher_src AS
        WITH deposits AS (SELECT day, CASE WHEN kind = 0 THEN 'QC' WHEN kind IN (1, 2) THEN 'HJ' WHEN kind = 4 THEN 'JX' ELSE 'TQ' END AS vt,
                sum(amt) / 100.0 AS amt FROM tx_arr GROUP BY ALL)
        SELECT c.dt, d.vt, CASE d.vt WHEN 'JX' THEN '501' WHEN 'TQ' THEN '201' ELSE '101' END AS dr,
            CASE d.vt WHEN 'TQ' THEN '101' ELSE '201' END AS cr, d.amt,
            CASE d.vt WHEN 'QC' THEN '期初余额迁移' WHEN 'HJ' THEN '归集' WHEN 'JX' THEN '结息' ELSE '提取' END AS memo
        FROM deposits d JOIN cal c USING (day)
        UNION ALL SELECT txn_dt, 'FK', '102', '101', sum(amt), '贷款发放' FROM ln_txn WHERE txn_type = '01' GROUP BY 1
        UNION ALL SELECT txn_dt, 'HB', '101', '102', sum(prin_amt), '回收本金' FROM ln_txn WHERE txn_type <> '01' GROUP BY 1
        UNION ALL SELECT txn_dt, 'HX', '101', '401', sum(int_amt + pen_amt), '回收利息' FROM ln_txn WHERE txn_type <> '01' GROUP BY 1""")
    con.execute("""CREATE OR REPLACE TEMP TABLE voucher_no AS SELECT *, 'V' || lpad(row_number() OVER (ORDER BY dt, vt)::VARCHAR, 13, '0') AS voucher_no
        FROM voucher_src WHERE amt <> 0""")
    con.execute("""CREATE OR REPLACE TABLE fn_voucher AS
        SELECT voucher_no, 1 AS line_no, dt AS acct_dt, dr AS subj_cd, amt AS dr_amt, 0.0 AS cr_amt, memo, dt || '200000' AS upd_tm FROM voucher_no
        UNION ALL SELECT voucher_no, 2, dt, cr, 0.0, amt, memo, dt || '200000' FROM voucher_no ORDER BY voucher_no, line_no""")
    con.execute("""CREATE OR REPLACE TABLE fn_ledger AS WITH m AS (
            SELECT subj_cd, substr(acct_dt, 1, 6) AS ym, sum(dr_amt) AS dr_amt, sum(cr_amt) AS cr_amt FROM fn_voucher GROUP BY ALL),
        s AS (SELECT m.*, f.bal_dir,
            sum(CASE WHEN f.bal_dir = 'J' THEN dr_amt - cr_amt ELSE cr_amt - dr_amt END) OVER (PARTITION BY subj_cd ORDER BY ym) AS close_bal
            FROM m JOIN fn_subject f USING (subj_cd))
        SELECT subj_cd, ym, round(close_bal - CASE WHEN bal_dir = 'J' THEN dr_amt - cr_amt ELSE cr_amt - dr_amt END, 2) AS open_bal,
            round(dr_amt, 2) AS dr_amt, round(cr_amt, 2) AS cr_amt, round(close_bal, 2) AS close_bal, bal_dir,
            strftime(last_day(strptime(ym || '01', '%Y%m%d')), '%Y%m%d') || '235900' AS upd_tm FROM s ORDER BY subj_cd, ym""")
    # month-end bank statement balances: the migrated opening balance split by bank, plus net flows
    con.execute("""CREATE OR REPLACE TABLE fd_bank_bal AS WITH opening AS (
            SELECT p.bank AS bank_cd, sum(t.amt) / 100.0 AS amt FROM tx_arr t JOIN p_arr p ON p.i = t.acct
            WHERE t.kind = 0 GROUP BY 1),
        m AS (SELECT bank_acct, substr(settle_dt, 1, 6) AS ym, sum(CASE WHEN dc = 'C' THEN amt ELSE -amt END) AS net FROM fd_settle GROUP BY ALL),
        months AS (SELECT DISTINCT ym FROM m),
        grid AS (SELECT b.bank_acct, b.bank_cd, months.ym FROM fd_bank_acct b CROSS JOIN months)
        SELECT g.bank_acct, strftime(last_day(strptime(g.ym || '01', '%Y%m%d')), '%Y%m%d') AS bal_dt,
            round(coalesce(o.amt, 0) + sum(coalesce(m.net, 0)) OVER (PARTITION BY g.bank_acct ORDER BY g.ym), 2) AS bal,
            strftime(last_day(strptime(g.ym || '01', '%Y%m%d')), '%Y%m%d') || '235900' AS upd_tm
        FROM grid g LEFT JOIN m USING (bank_acct, ym) LEFT JOIN opening o USING (bank_cd)""")
