"""The simulated core system: valid identifiers, reconciling ledgers, planted defects, determinism."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gjj.settings import Settings
from ingestion.simulator.identity import id_check_digit, uscc_check_char


def _db(center: Settings) -> sqlite3.Connection:
    return sqlite3.connect(center.sources_dir / "core.sqlite")


def _truth(center: Settings, rule: str) -> set[str]:
    frames = [pl.read_csv(p, infer_schema=False) for p in center.ground_truth_dir.glob("core-*.csv")]
    truth = pl.concat(frames)
    return set(truth.filter(pl.col("rule_id") == rule)["record_key"].to_list())


def test_id_numbers_valid_except_planted(center: Settings) -> None:
    rows = _db(center).execute("SELECT cust_no, cert_no FROM cm_person").fetchall()
    certs = np.array([c for _, c in rows])
    bad = {cust for (cust, cert), ok in zip(rows, np.char.equal(id_check_digit(np.char.ljust(certs, 17).astype("<U17")),
                                                                  np.array([c[-1] for c in certs])), strict=True) if not ok}
    assert bad == _truth(center, "JC-01")
    assert len(bad) >= 3


def test_birth_dates_match_id_numbers_except_planted(center: Settings) -> None:
    """Every person has a birth date (also those born before 1970, whose day numbers are negative), and it is
    the ID number's except for the JC-03 plants (and the JC-01 ones, whose check digit only is broken)."""
    rows = _db(center).execute("SELECT cust_no, cert_no, birth_dt FROM cm_person").fetchall()
    assert all(b for _, _, b in rows), "persons without a birth date"
    assert any(b < "19700101" for _, _, b in rows)
    assert {c for c, cert, b in rows if cert[6:14] != b} == _truth(center, "JC-03")


def test_planted_account_defects_survive_later_plants(center: Settings) -> None:
    """A JC-13 plant (closed account with a balance) is not reopened by the TQ-02 plant."""
    closed = {a for a, st in _db(center).execute("SELECT indi_acct, acct_st FROM dp_indi_acct") if st == "4"}
    assert _truth(center, "JC-13") <= closed


def test_unit_credit_codes_valid_except_planted(center: Settings) -> None:
    rows = _db(center).execute("SELECT unit_no, uscc FROM cm_unit").fetchall()
    bad = {u for u, code in rows if uscc_check_char(code[:17]) != code[17]}
    assert bad == _truth(center, "JC-07")


def test_personal_ledgers_reconcile(center: Settings) -> None:
    db = _db(center)
    mismatched = {r[0] for r in db.execute("""
        SELECT a.indi_acct FROM dp_indi_acct a LEFT JOIN (
            SELECT indi_acct, round(sum(CASE dc WHEN 'C' THEN amt ELSE -amt END), 2) AS net FROM dp_indi_txn GROUP BY indi_acct) t
        USING (indi_acct) WHERE abs(coalesce(t.net, 0) - a.bal) > 0.005""")}
    assert mismatched == _truth(center, "JC-13") | _truth(center, "JC-14")
    identity = {r[0] for r in db.execute("SELECT indi_acct FROM dp_indi_acct WHERE abs(prev_bal + cur_bal - bal) > 0.005")}
    assert identity == _truth(center, "JC-15")


def test_running_balance_is_previous_plus_movement(center: Settings) -> None:
    broken = _db(center).execute("""
        SELECT count(*) FROM (SELECT bal, lag(bal) OVER w AS prev, CASE dc WHEN 'C' THEN amt ELSE -amt END AS mv,
               row_number() OVER w AS rn FROM dp_indi_txn WINDOW w AS (PARTITION BY indi_acct ORDER BY txn_no))
        WHERE rn > 1 AND abs(prev + mv - bal) > 0.005""").fetchone()[0]
    assert broken == 0


def test_unit_batches_equal_sum_of_persons_except_planted(center: Settings) -> None:
    rows = _db(center).execute("""
        SELECT b.txn_no FROM dp_unit_txn b JOIN (SELECT batch_no, sum(amt) AS amt, count(*) AS n FROM dp_indi_txn
            WHERE batch_no IS NOT NULL GROUP BY batch_no) p ON p.batch_no = b.txn_no
        WHERE abs(b.amt - p.amt) > 0.005 OR b.head_cnt <> p.n""").fetchall()
    assert {r[0] for r in rows} == _truth(center, "GJ-10")


def test_general_ledger_equals_sum_of_accounts(center: Settings) -> None:
    db = _db(center)
    ledger = db.execute("SELECT close_bal FROM fn_ledger WHERE subj_cd = '201' ORDER BY ym DESC LIMIT 1").fetchone()[0]
    closed_with_balance, negative = _truth(center, "JC-13"), _truth(center, "JC-14")
    original = sum(
        0.0 if acct in closed_with_balance else -bal if acct in negative else bal
        for acct, bal in db.execute("SELECT indi_acct, bal FROM dp_indi_acct")
    )
    assert ledger == pytest.approx(original, abs=0.05)


def test_at_least_thirty_audit_rules_planted(center: Settings) -> None:
    truth = pl.concat([pl.read_csv(p, infer_schema=False) for p in center.ground_truth_dir.glob("*.csv")])
    audit = truth.filter(pl.col("kind") == "audit")["rule_id"].unique().to_list()
    prefixes = {r.split("-")[0] for r in audit}
    assert len(audit) >= 30 and {"JC", "GJ", "TQ", "DK", "ZJ"} <= prefixes


def test_vendor_dates_and_codes(center: Settings) -> None:
    db = _db(center)
    assert db.execute("SELECT count(*) FROM dp_indi_txn WHERE length(acct_dt) <> 8 OR acct_dt > '20261031'").fetchone()[0] == 0
    states = {r[0] for r in db.execute("SELECT DISTINCT acct_st FROM dp_indi_acct")}
    assert states <= {"0", "1", "3", "4", "5"} and {"0", "1", "4"} <= states


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    from ingestion.simulator import generate as gen

    digests = []
    for run in ("a", "b"):
        s = Settings(lakehouse_root=tmp_path / run)
        gen.generate(s, s.core_url, 0.003, 5)
        db = sqlite3.connect(s.sources_dir / "core.sqlite")
        digests.append([db.execute(f"SELECT count(*), total(amt) FROM {t}").fetchone() for t in ("dp_indi_txn", "ln_txn", "fd_settle")]
                       + db.execute("SELECT group_concat(cert_no) FROM (SELECT cert_no FROM cm_person ORDER BY cust_no)").fetchall())
    assert digests[0] == digests[1]


def test_advance_keeps_every_ledger_balanced(tmp_path: Path) -> None:
    """A month of simulated days: new and updated rows, and the same ledger identities as before."""
    from ingestion.simulator import generate as gen

    s = Settings(lakehouse_root=tmp_path)
    gen.generate(s, s.core_url, 0.005, 3)
    db = sqlite3.connect(s.sources_dir / "core.sqlite")
    gl_gap = "SELECT (SELECT close_bal FROM fn_ledger WHERE subj_cd = '201' ORDER BY ym DESC LIMIT 1) - (SELECT sum(bal) FROM dp_indi_acct)"
    ledger_off = """SELECT a.indi_acct FROM dp_indi_acct a LEFT JOIN (SELECT indi_acct, sum(CASE dc WHEN 'C' THEN amt ELSE -amt END) AS net
        FROM dp_indi_txn GROUP BY indi_acct) t USING (indi_acct) WHERE abs(coalesce(t.net, 0) - a.bal) > 0.005"""
    before_gap = db.execute(gl_gap).fetchone()[0]
    before_off = {r[0] for r in db.execute(ledger_off)}
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("dp_indi_acct", "dp_indi_txn", "ln_txn", "fn_voucher", "fd_settle")}
    db.close()

    result = gen.advance(s, s.core_url, 35)

    db = sqlite3.connect(s.sources_dir / "core.sqlite")
    assert result.bizdate.isoformat() == "2026-12-05"
    assert db.execute("SELECT ctl_val FROM sys_ctl WHERE ctl_key = 'BIZ_DATE'").fetchone()[0] == "20261205"
    assert db.execute(gl_gap).fetchone()[0] == pytest.approx(before_gap, abs=0.05)
    assert {r[0] for r in db.execute(ledger_off)} == before_off
    for table, n in counts.items():
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > n, table
    # a planted malformed mobile number (JC-09) is not silently repaired by the daily corrections
    jc09 = {r[0] for r in db.execute("SELECT cust_no FROM cm_person WHERE length(mobile) <> 11")}
    assert _truth(s, "JC-09") <= jc09
    # updates, not only inserts: existing rows carry the new days' change stamps
    updated = db.execute("SELECT count(*) FROM dp_indi_acct WHERE open_dt <= '20261031' AND upd_tm > '20261031235959'").fetchone()[0]
    assert updated > 0
    unbalanced = db.execute("""SELECT count(*) FROM dp_unit_txn b JOIN (SELECT batch_no, sum(amt) AS amt FROM dp_indi_txn
        WHERE batch_no IS NOT NULL GROUP BY batch_no) p ON p.batch_no = b.txn_no WHERE b.acct_dt > '20261031' AND abs(b.amt - p.amt) > 0.005""")
    assert unbalanced.fetchone()[0] == 0


def test_account_plants_do_not_overlap(center: Settings) -> None:
    """TQ-02 reopens the account of a closing withdrawal; it must not pick an account another plant changed
    (a JC-13 closed-with-balance account reopened is no longer a JC-13 defect, yet the truth listed it)."""
    reopened = {
        r[0]
        for r in _db(center).execute(
            f"SELECT indi_acct FROM dw_draw WHERE draw_no IN ({','.join(repr(k) for k in _truth(center, 'TQ-02'))})"
        )
    }
    assert reopened
    for rule in ("JC-12", "JC-13", "JC-14", "JC-15", "JC-16", "GJ-01"):
        assert not reopened & _truth(center, rule), rule


def test_id_numbers_never_repeat_or_reuse_a_taken_number() -> None:
    """ID numbers are drawn collision-free: distinct within a draw and from the numbers already given out
    (an unplanted duplicate would be a JC-02 false positive)."""
    from ingestion.simulator import identity

    rng = np.random.default_rng(7)
    birth = np.full(900, np.datetime64("1990-01-01"))
    male = np.arange(900) % 2 == 0
    first = identity.id_numbers(rng, birth, male, local_share=1.0)
    more = identity.id_numbers(rng, birth[:40], male[:40], local_share=1.0, taken=first)
    assert len(set(first)) == 900
    assert len(set(first) | set(more)) == 940
    assert all(int(c[16]) % 2 == int(m) for c, m in zip(more, male[:40], strict=True))  # sex digit kept


def test_loan_principal_sums_to_the_amount() -> None:
    """The last instalment absorbs the rounding remainder: Σ instalment principal = the loan amount (DK-18)."""
    from ingestion.simulator.world import Loans, instalments

    n = 60
    rng = np.random.default_rng(3)
    term = rng.choice(np.array([120, 240, 360]), n)
    zeros = np.zeros(n)
    loans = Loans(n=n, acct=np.arange(n), issue_day=zeros.astype(int), amount=np.round(rng.uniform(1e5, 7e5, n), -3),
                  term=term, rate=rng.choice(np.array([0.026, 0.031, 0.0325]), n), annuity=np.arange(n) % 3 > 0,
                  second_home=zeros.astype(bool), price=zeros, area_m2=zeros, offset_mode=zeros.astype(int),
                  settle_month=zeros.astype(int), couple=zeros.astype(bool), bank=zeros)
    li = np.repeat(np.arange(n), term)
    k = np.arange(len(li)) - np.repeat(np.cumsum(term) - term, term) + 1
    pay, prin, interest = instalments(loans, k, li)
    total = np.zeros(n)
    np.add.at(total, li, prin)
    assert np.abs(np.round(total, 2) - loans.amount).max() < 0.005
    assert np.abs(pay - prin - interest).max() < 0.005


def test_unsealed_accounts_contribute_again(center: Settings) -> None:
    """An account unsealed (启封) at least two months before the business date has a remittance after it."""
    silent = _db(center).execute("""
        SELECT l.indi_acct FROM dp_state_log l JOIN dp_indi_acct a USING (indi_acct)
        WHERE l.chg_rsn = 'QF' AND a.acct_st = '0' AND l.chg_dt < '20260901'
          AND NOT EXISTS (SELECT 1 FROM dp_indi_txn t WHERE t.indi_acct = l.indi_acct AND t.txn_type = 'HJ' AND t.acct_dt > l.chg_dt)
    """).fetchall()
    assert silent == []


def test_rebirth_plants_do_not_take_another_persons_id_number() -> None:
    """GJ-06/TQ-03 give a person a new birth date and the matching ID number; when that number already
    belongs to someone else (seen at scale 1.0: a TQ-03 person got a namesake's number), another sequence is drawn."""
    import duckdb

    from ingestion.simulator.defects import _rebirth
    from ingestion.simulator.identity import id_check_digit
    from ingestion.simulator.profile import Profile

    existing = "41122419780323110"
    existing += str(id_check_digit(np.array([existing]))[0])
    con = duckdb.connect()
    con.execute("CREATE TABLE cm_person (cust_no VARCHAR, cert_no VARCHAR, birth_dt VARCHAR)")
    con.execute("INSERT INTO cm_person VALUES ('1', ?, '19780323'), ('2', '411224199001011103', '19900101')", [existing])
    _rebirth(con, Profile(scale=0.01, seed=1), [("2", "411224199001011103", "19780323")])
    cert, birth = con.execute("SELECT cert_no, birth_dt FROM cm_person WHERE cust_no = '2'").fetchone()  # type: ignore[misc]
    assert birth == "19780323" and cert[:14] == "41122419780323" and cert != existing
    assert int(cert[16]) % 2 == 0 and cert[17] == id_check_digit(np.array([cert[:17]]))[0]
