"""Planted rule violations and data-quality defects in the core system, with their ground truth.

Each plant is data: a rule id, the dimension when it is also a quality defect, the table and key
of the violating record, a candidate query and the SQL that breaks the picked records. Picks are
deterministic for a seed (ordered by a hash of key and seed). The ground-truth file lists, per
rule id, the exact record keys — what quality and audit work measure recall and precision against.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from ingestion.simulator.identity import unique_id_numbers
from ingestion.simulator.profile import Profile


@dataclass(frozen=True)
class Plant:
    rule_id: str
    table: str
    candidates: str  # SQL returning column k (the record key) — and any helper columns
    update: str  # SQL using temp table _pick(k, ...)
    dimension: str = ""
    share: float = 0.001
    note: str = ""


LIVE = "acct_st IN ('0', '5')"
PARTIAL = "draw_rsn LIKE '01%'"

PLANTS: list[Plant] = [
    Plant("JC-01", "cm_person", "SELECT cust_no AS k FROM cm_person",
          "UPDATE cm_person SET cert_no = substr(cert_no, 1, 17) || CASE WHEN right(cert_no, 1) = '0' THEN '1' ELSE '0' END "
          "WHERE cust_no IN (SELECT k FROM _pick)", "准确性", note="身份证校验位错误"),
    Plant("JC-03", "cm_person", "SELECT cust_no AS k FROM cm_person",
          "UPDATE cm_person SET birth_dt = strftime(strptime(birth_dt, '%Y%m%d') + INTERVAL 40 DAY, '%Y%m%d') "
          "WHERE cust_no IN (SELECT k FROM _pick)", "准确性", note="出生日期与身份证不符"),
    Plant("JC-04", "cm_person", "SELECT cust_no AS k FROM cm_person",
          "UPDATE cm_person SET sex = CASE sex WHEN 'M' THEN 'F' ELSE 'M' END WHERE cust_no IN (SELECT k FROM _pick)",
          "准确性", note="性别与身份证不符"),
    Plant("JC-05", "cm_person", "SELECT cust_no AS k FROM cm_person",
          "UPDATE cm_person SET cust_nm = left(cust_nm, 1) || '*' WHERE cust_no IN (SELECT k FROM _pick)", "规范性",
          note="姓名含占位符"),
    Plant("JC-06", "cm_unit", "SELECT unit_no AS k FROM cm_unit",
          "UPDATE cm_unit SET industry = NULL WHERE unit_no IN (SELECT k FROM _pick)", "完整性", share=0.005,
          note="单位所属行业缺失"),
    Plant("JC-07", "cm_unit", "SELECT unit_no AS k FROM cm_unit",
          "UPDATE cm_unit SET uscc = substr(uscc, 1, 17) || CASE WHEN right(uscc, 1) = 'A' THEN 'B' ELSE 'A' END "
          "WHERE unit_no IN (SELECT k FROM _pick)", "准确性", share=0.005, note="统一社会信用代码校验位错误"),
    Plant("JC-08", "cm_person", "SELECT cust_no AS k FROM cm_person",
          "UPDATE cm_person SET marital = 'XX' WHERE cust_no IN (SELECT k FROM _pick)", "规范性", note="婚姻状况代码不在代码表"),
    Plant("JC-09", "cm_person", "SELECT cust_no AS k FROM cm_person",
          "UPDATE cm_person SET mobile = left(mobile, 7) WHERE cust_no IN (SELECT k FROM _pick)", "规范性", note="手机号码格式错误"),
    Plant("JC-12", "dp_indi_acct", f"SELECT indi_acct AS k FROM dp_indi_acct WHERE {LIVE}",
          "UPDATE dp_indi_acct SET unit_no = '411299999999' WHERE indi_acct IN (SELECT k FROM _pick)", "完整性",
          note="个人账户所属单位不存在"),
    Plant("JC-13", "dp_indi_acct", "SELECT indi_acct AS k FROM dp_indi_acct WHERE acct_st = '4'",
          "UPDATE dp_indi_acct SET bal = 123.45, prev_bal = 123.45, cur_bal = 0 WHERE indi_acct IN (SELECT k FROM _pick)",
          "一致性", share=0.005, note="销户账户仍有余额"),
    Plant("JC-14", "dp_indi_acct", "SELECT indi_acct AS k FROM dp_indi_acct WHERE acct_st = '1' AND bal > 0",
          "UPDATE dp_indi_acct SET bal = -bal, prev_bal = -prev_bal, cur_bal = -cur_bal WHERE indi_acct IN (SELECT k FROM _pick)",
          "准确性", note="账户余额为负"),
    Plant("JC-15", "dp_indi_acct", f"SELECT indi_acct AS k FROM dp_indi_acct WHERE {LIVE}",
          "UPDATE dp_indi_acct SET cur_bal = cur_bal + 88 WHERE indi_acct IN (SELECT k FROM _pick)", "一致性",
          note="余额≠上年结转+当年归集"),
    Plant("JC-16", "dp_indi_acct", f"SELECT indi_acct AS k FROM dp_indi_acct WHERE {LIVE}",
          "UPDATE dp_indi_acct SET indi_pay = indi_pay + 37 WHERE indi_acct IN (SELECT k FROM _pick)", "准确性",
          note="个人月缴存额≠基数×比例"),
    Plant("GJ-01", "dp_indi_acct", f"SELECT indi_acct AS k FROM dp_indi_acct WHERE {LIVE} AND unit_prop + indi_prop <= 0.2",
          "UPDATE dp_indi_acct SET base_amt = 21000, unit_pay = round(21000 * unit_prop), indi_pay = round(21000 * indi_prop) "
          "WHERE indi_acct IN (SELECT k FROM _pick)", note="缴存基数超上限"),
    Plant("GJ-03", "dp_unit_acct", "SELECT unit_no AS k FROM dp_unit_acct WHERE acct_st = 'N'",
          "UPDATE dp_unit_acct SET unit_prop = 0.15 WHERE unit_no IN (SELECT k FROM _pick)", share=0.003, note="单位缴存比例超12%"),
    Plant("GJ-10", "dp_unit_txn", "SELECT txn_no AS k FROM dp_unit_txn",
          "UPDATE dp_unit_txn SET amt = amt + 100 WHERE txn_no IN (SELECT k FROM _pick)", "一致性", share=0.0005,
          note="单位汇缴额≠个人明细合计"),
    Plant("GJ-11", "dp_unit_acct",
          "SELECT unit_no AS k FROM dp_unit_acct WHERE acct_st = 'N' "
          # a unit with a planted personal account (e.g. JC-14's negative balance) already fails to reconcile:
          # the unit plant must stand on its own
          "AND unit_no NOT IN (SELECT a.unit_no FROM dp_indi_acct a JOIN _used u ON u.tbl = 'dp_indi_acct' AND u.k = a.indi_acct)",
          "UPDATE dp_unit_acct SET bal = bal + 5000 WHERE unit_no IN (SELECT k FROM _pick)", "一致性", share=0.003,
          note="单位账户余额≠个人余额合计"),
    Plant("GJ-12", "dp_unit_txn",
          "SELECT txn_no AS k FROM dp_unit_txn WHERE txn_type = 'HJ' AND acct_dt >= '20200101' AND substr(acct_dt, 7, 2) <= '16'",
          "UPDATE dp_unit_txn SET acct_dt = strftime(strptime(acct_dt, '%Y%m%d') + INTERVAL 12 DAY, '%Y%m%d') "
          "WHERE txn_no IN (SELECT k FROM _pick); "
          "UPDATE tx_arr SET day = day + 12 WHERE batch IN (SELECT substr(k, 2)::BIGINT FROM _pick)",
          "及时性", share=0.0005, note="汇缴入账晚于发薪日5天以上 (rule id GJ-12 reused for the timeliness plant: posting delay)"),
    Plant("TQ-01", "dw_draw", f"SELECT draw_no AS k FROM dw_draw WHERE {PARTIAL} AND draw_amt > 2000",
          "UPDATE dw_draw SET bal_before = draw_amt - 500 WHERE draw_no IN (SELECT k FROM _pick)", note="提取额超过提取前余额"),
    Plant("TQ-02", "dw_draw",
          "SELECT w.draw_no AS k, w.indi_acct FROM dw_draw w JOIN dp_indi_acct a USING (indi_acct) WHERE a.acct_st = '4' "
          "AND w.draw_rsn LIKE '02%' "
          # reopening an account another plant chose (JC-13: a closed account with a balance) would undo that plant
          "AND w.indi_acct NOT IN (SELECT k FROM _used WHERE tbl = 'dp_indi_acct') "
          # nor an account that never paid since go-live: reopened, it would also be a normal account without any
          # remittance (GJ-29), a second defect the ground truth does not list
          "AND a.last_pay_ym IS NOT NULL",
          "UPDATE dp_indi_acct SET acct_st = '0', close_dt = NULL, close_rsn = NULL WHERE indi_acct IN (SELECT indi_acct FROM _pick)",
          share=0.005, note="销户提取后账户未销户"),
    Plant("TQ-18", "dw_draw",
          "SELECT draw_no AS k FROM dw_draw WHERE draw_rsn = '0199' AND indi_acct NOT IN (SELECT indi_acct FROM ln_contract)",
          "UPDATE dw_draw SET draw_rsn = '0103', contract_no = NULL WHERE draw_no IN (SELECT k FROM _pick)", share=0.01,
          note="无贷款的还贷提取"),
    Plant("TQ-25", "dw_draw", "SELECT draw_no AS k FROM dw_draw WHERE draw_rsn = '0105'",
          "UPDATE tx_arr SET kind = 5 WHERE draw IN (SELECT substr(k, 2)::BIGINT - 1 FROM _pick)", share=0.002,
          note="部分提取原因记为销户提取"),
    Plant("DK-03", "ln_contract", "SELECT contract_no AS k FROM ln_contract",
          "UPDATE ln_contract SET loan_amt = 850000, house_price = 1250000, down_pay = 400000 WHERE contract_no IN (SELECT k FROM _pick)",
          share=0.002, note="贷款额超过最高额度"),
    Plant("DK-04", "ln_contract", "SELECT contract_no AS k FROM ln_contract WHERE loan_amt < 500000",
          "UPDATE ln_contract SET house_price = round(loan_amt / 0.9, -2), down_pay = round(loan_amt / 0.9, -2) - loan_amt "
          "WHERE contract_no IN (SELECT k FROM _pick)", share=0.002, note="贷款额超过贷款成数"),
    Plant("DK-05", "ln_contract", "SELECT contract_no AS k FROM ln_contract",
          "UPDATE ln_contract SET term_mon = 420 WHERE contract_no IN (SELECT k FROM _pick)", share=0.002, note="贷款期限超30年"),
    Plant("DK-09", "ln_contract", "SELECT contract_no AS k FROM ln_contract",
          "UPDATE ln_contract SET rate = rate + 0.005 WHERE contract_no IN (SELECT k FROM _pick); "
          "UPDATE ln_account SET rate = rate + 0.005 WHERE contract_no IN (SELECT k FROM _pick)", share=0.002, note="执行利率错误"),
    Plant("DK-17", "ln_account", "SELECT loan_acct AS k FROM ln_account WHERE loan_st = '1' AND bal > 0",
          "UPDATE ln_account SET loan_st = '3' WHERE loan_acct IN (SELECT k FROM _pick)", share=0.002, note="结清标志与余额不符"),
    Plant("DK-18", "ln_account", "SELECT loan_acct AS k FROM ln_account WHERE loan_st = '1' AND bal > 0",
          "UPDATE ln_account SET bal = bal + 1000 WHERE loan_acct IN (SELECT k FROM _pick)", "一致性", share=0.002,
          note="发放额−回收本金≠贷款余额"),
    Plant("DK-19", "ln_plan", "SELECT loan_acct || '|' || term_no AS k FROM ln_plan WHERE plan_st = '0'",
          "UPDATE ln_plan SET plan_amt = plan_amt + 5 WHERE loan_acct || '|' || term_no IN (SELECT k FROM _pick)", "准确性",
          share=0.0002, note="分期计划还款额计算错误"),
    Plant("ZJ-01", "fd_bank_bal", "SELECT bank_acct || '|' || bal_dt AS k FROM fd_bank_bal",
          "UPDATE fd_bank_bal SET bal = bal + 10000 WHERE bank_acct || '|' || bal_dt IN (SELECT k FROM _pick)", "一致性",
          share=0.005, note="银行对账单余额与账面不符"),
    Plant("ZJ-07", "fn_voucher", "SELECT voucher_no AS k FROM fn_voucher WHERE line_no = 2",
          "UPDATE fn_voucher SET cr_amt = cr_amt + 100 WHERE line_no = 2 AND voucher_no IN (SELECT k FROM _pick)", "一致性",
          share=0.0005, note="凭证借贷不平"),
    Plant("ZJ-10", "fd_settle", "SELECT settle_no AS k FROM fd_settle WHERE biz_type = 'HJ'",
          "INSERT INTO fd_settle SELECT 'S9' || substr(settle_no, 3), bank_acct, settle_dt, biz_type, dc, amt, biz_no, cp_acct, cp_nm, "
          "memo, upd_tm FROM fd_settle WHERE settle_no IN (SELECT k FROM _pick)", share=0.0002, note="同一业务重复结算"),
]


def _n(con: duckdb.DuckDBPyConnection, plant: Plant) -> int:
    total = con.execute(f"SELECT count(*) FROM ({plant.candidates})").fetchone()[0]  # type: ignore[index]
    return int(min(total, max(3, round(total * plant.share))))


def plant(con: duckdb.DuckDBPyConnection, p: Profile, rng: np.random.Generator) -> pl.DataFrame:
    """Apply every plant; returns the ground truth (one row per violating record)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _used (tbl VARCHAR, k VARCHAR)")
    truth: list[dict[str, str]] = []
    for pl_ in PLANTS:
        n = _n(con, pl_)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _pick AS SELECT * FROM ({pl_.candidates}) c
            WHERE c.k NOT IN (SELECT k FROM _used WHERE tbl = '{pl_.table}') ORDER BY hash(c.k, {p.seed}) LIMIT {n}""")
        for stmt in pl_.update.split("; "):
            con.execute(stmt)
        keys = [r[0] for r in con.execute("SELECT k FROM _pick ORDER BY k").fetchall()]
        con.execute(f"INSERT INTO _used SELECT '{pl_.table}', k FROM _pick")
        if pl_.table != "dp_indi_acct" and "UPDATE dp_indi_acct" in pl_.update:  # e.g. TQ-02 reopens the account
            con.execute("INSERT INTO _used SELECT 'dp_indi_acct', indi_acct FROM _pick")
        truth += [_row(pl_.rule_id, pl_.dimension, pl_.table, k, pl_.note) for k in keys]
    truth += _person_age_plants(con, p)
    truth += _broker_plant(con, p)
    truth += _same_home_plant(con, p)
    truth += _frozen_paid_plant(con, p)
    truth += _duplicate_id_plant(con, p)
    return pl.DataFrame(truth, schema=["rule_id", "kind", "dimension", "source", "table", "record_key", "note"], orient="row")


def _row(rule_id: str, dimension: str, table: str, key: str, note: str) -> dict[str, str]:
    return {"rule_id": rule_id, "kind": "audit", "dimension": dimension, "source": "core", "table": table,
            "record_key": key, "note": note}


def _rebirth(con: duckdb.DuckDBPyConnection, p: Profile, picks: list[tuple[str, str, str]]) -> None:
    """Give persons (cust_no, old cert, new birth YYYYMMDD) a new birth date and a valid ID number to match."""
    if not picks:
        return
    prefixes = np.array([cert[:6] + birth for _, cert, birth in picks])
    seq = np.array([int(cert[14:17]) for _, cert, _ in picks])
    # a new birth date must not give the person another person's ID number (that would be an unplanted JC-02)
    taken = np.array([r[0] for r in con.execute("SELECT cert_no FROM cm_person WHERE list_contains(?, left(cert_no, 14))",
                                                [sorted(set(prefixes.tolist()))]).fetchall()], dtype=str)
    certs = unique_id_numbers(np.random.default_rng(p.seed), prefixes, seq, taken)
    con.executemany("UPDATE cm_person SET birth_dt = ?, cert_no = ? WHERE cust_no = ?",
                    [(birth, str(c), cust) for (cust, _, birth), c in zip(picks, certs, strict=True)])


def _person_age_plants(con: duckdb.DuckDBPyConnection, p: Profile) -> list[dict[str, str]]:
    out = []
    # GJ-06: a contributor under 16 (birth and ID number consistent, so only the age rule fires)
    rows = con.execute(f"""SELECT p.cust_no, p.cert_no, a.indi_acct FROM cm_person p JOIN dp_indi_acct a USING (cust_no)
        WHERE a.acct_st = '0' AND a.open_dt < '{p.bizdate.year - 1}0101' AND p.cust_no NOT IN (SELECT k FROM _used)
        ORDER BY hash(p.cust_no, {p.seed}, 'GJ-06') LIMIT 3""").fetchall()
    _rebirth(con, p, [(c, cert, f"{p.bizdate.year - 15}0301") for c, cert, _ in rows])
    out += [_row("GJ-06", "", "dp_indi_acct", acct, "未满16周岁缴存") for _, _, acct in rows]
    # TQ-03: retirement withdrawal at 48
    rows = con.execute(f"""SELECT p.cust_no, p.cert_no, w.draw_no, w.appr_dt FROM dw_draw w JOIN dp_indi_acct a USING (indi_acct)
        JOIN cm_person p USING (cust_no) WHERE w.draw_rsn = '0201' AND p.cust_no NOT IN (SELECT k FROM _used)
        ORDER BY hash(w.draw_no, {p.seed}) LIMIT {max(3, _count(con, "dw_draw WHERE draw_rsn = '0201'") // 500)}""").fetchall()
    _rebirth(con, p, [(c, cert, f"{int(appr[:4]) - 48}{appr[4:8]}") for c, cert, _, appr in rows])
    out += [_row("TQ-03", "", "dw_draw", draw, "未达退休年龄的退休提取") for _, _, draw, _ in rows]
    con.executemany("INSERT INTO _used VALUES ('cm_person', ?)", [(r[0],) for r in rows])
    return out


def _count(con: duckdb.DuckDBPyConnection, frm: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {frm}").fetchone()[0])  # type: ignore[index]


def _broker_plant(con: duckdb.DuckDBPyConnection, p: Profile) -> list[dict[str, str]]:
    """TQ-22: one agent (ID and mobile) files withdrawals for 4 different people within a few days."""
    groups = max(2, _count(con, "dw_draw") // 20000)
    rows = con.execute(f"""WITH c AS (SELECT draw_no, appr_dt, row_number() OVER (ORDER BY appr_dt, draw_no) AS rn
            FROM dw_draw WHERE draw_rsn IN ('0105', '0199', '0102') AND appr_dt >= '{p.bizdate.year - 3}0101')
        SELECT draw_no, rn // 4 AS g FROM c WHERE (rn // 4) % (SELECT greatest(1, (count(*) // 4 - 1) // {groups}) FROM c) = 0 AND rn // 4 > 0
          AND rn // 4 * 4 + 3 <= (SELECT count(*) FROM c)  -- whole groups of 4 only (the last one may be cut short)
        ORDER BY rn LIMIT {groups * 4}""").fetchall()
    out = []
    for draw, g in rows:
        con.execute("UPDATE dw_draw SET agent_cert_no = ?, agent_mobile = ? WHERE draw_no = ?",
                    [f"41120219800101{g % 1000:03d}X", f"1390398{g % 10000:04d}", draw])
        out.append(_row("TQ-22", "", "dw_draw", draw, "同一代办人短期内为多人办理提取"))
    return out


def _same_home_plant(con: duckdb.DuckDBPyConnection, p: Profile) -> list[dict[str, str]]:
    """TQ-07: two unrelated people withdraw for the same flat (the second copies the first's property)."""
    n = max(3, _count(con, "dw_draw WHERE draw_rsn = '0101'") // 2000)
    rows = con.execute(f"""WITH c AS (SELECT draw_no, prop_unit_no, prop_cert_no, house_addr, house_price,
            row_number() OVER (ORDER BY hash(draw_no, {p.seed}, 'TQ-07')) AS rn
            FROM dw_draw WHERE draw_rsn = '0101' AND contract_no IS NULL AND prop_unit_no IS NOT NULL)
        SELECT a.draw_no, b.draw_no, a.prop_unit_no, a.prop_cert_no, a.house_addr, a.house_price
        FROM c a JOIN c b ON b.rn = a.rn + {n} WHERE a.rn <= {n}""").fetchall()
    out = []
    for first, second, unit_no, cert, addr, price in rows:
        con.execute("UPDATE dw_draw SET prop_unit_no = ?, prop_cert_no = ?, house_addr = ?, house_price = ? WHERE draw_no = ?",
                    [unit_no, cert, addr, price, second])
        out += [_row("TQ-07", "", "dw_draw", first, "同一房屋被无关人员重复用于提取"),
                _row("TQ-07", "", "dw_draw", second, "同一房屋被无关人员重复用于提取")]
    return out


def _frozen_paid_plant(con: duckdb.DuckDBPyConnection, p: Profile) -> list[dict[str, str]]:
    """TQ-24: the account was frozen (只收不付) before a withdrawal was paid from it."""
    rows = con.execute(f"""SELECT w.draw_no, w.indi_acct, w.appr_dt FROM dw_draw w JOIN dp_indi_acct a USING (indi_acct)
        WHERE a.acct_st = '0' AND w.draw_rsn IN ('0105', '0199') AND w.appr_dt >= '{p.bizdate.year - 1}0101'
          AND w.indi_acct NOT IN (SELECT k FROM _used WHERE tbl = 'dp_indi_acct')
        ORDER BY hash(w.draw_no, {p.seed}) LIMIT 3""").fetchall()
    out = []
    for draw, acct, appr in rows:
        con.execute("UPDATE dp_indi_acct SET acct_st = '5', frz_flag = '1' WHERE indi_acct = ?", [acct])
        chg = f"{appr[:6]}01"
        con.execute("""INSERT INTO dp_state_log SELECT 'L9' || substr(?, 3), ?, '0', '5', ?, 'DJ', ? || '183000'""",
                    [draw, acct, chg, chg])
        out.append(_row("TQ-24", "", "dw_draw", draw, "冻结账户发生提取"))
    return out


def _duplicate_id_plant(con: duckdb.DuckDBPyConnection, p: Profile) -> list[dict[str, str]]:
    """JC-02: a second live account opened under an ID number that already has one (duplicate natural key)."""
    rows = con.execute(f"""WITH c AS (SELECT p.cust_no, p.cert_no, p.cust_nm, p.sex, p.birth_dt,
            row_number() OVER (ORDER BY hash(p.cust_no, {p.seed}, 'JC-02')) AS rn
            FROM cm_person p JOIN dp_indi_acct a USING (cust_no) WHERE a.acct_st = '0' AND p.cust_no NOT IN (SELECT k FROM _used))
        SELECT a.cert_no, a.cust_nm, a.sex, a.birth_dt, b.cust_no FROM c a JOIN c b ON b.rn = a.rn + 3 WHERE a.rn <= 3""").fetchall()
    out = []
    for cert, name, sex, birth, dup in rows:
        con.execute("UPDATE cm_person SET cert_no = ?, cust_nm = ?, sex = ?, birth_dt = ? WHERE cust_no = ?", [cert, name, sex, birth, dup])
        out.append({**_row("JC-02", "一致性", "cm_person", cert, "同一身份证号多个有效个人账户"), "note": "record_key = cert_no"})
    return out


def write_truth(truth: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    truth.write_csv(path)
