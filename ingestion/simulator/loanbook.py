"""Loan servicing: repayment plans, repayments (normal, early settlement, overdue, HPF-funded
冲还贷), the overdue register and each loan account's position at the business date."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.simulator.ledger import LedgerResult
from ingestion.simulator.profile import EPOCH, Profile, day
from ingestion.simulator.world import Loans, instalments, loan_due_day

PLAN_AHEAD = 12  # the vendor keeps the plan for elapsed instalments plus the next 12 months
PENALTY_DAILY = 0.0005  # 罚息: overdue principal × 0.05 % per day (local parameter)


@dataclass
class LoanBook:
    plan: dict[str, np.ndarray]  # loan, term_no, due, pay, prin, int, st
    txns: dict[str, np.ndarray]  # loan, type, day, amt, prin, int, pen, term_no
    overdue: dict[str, np.ndarray]  # loan, term_no, due, prin, int, pen, paid_day (-1 unpaid)
    account: dict[str, np.ndarray]  # per loan: bal, prin_paid, int_paid, pen_paid, prepay, ovd_prin, ovd_int, ovd_terms, settle_day, state, risk


def service(p: Profile, loans: Loans, led: LedgerResult, rng: np.random.Generator) -> LoanBook:
    biz = day(p.bizdate)
    n = loans.n
    li_all = np.arange(n)
    # instalments due up to the business date
    issue_m = (EPOCH + loans.issue_day.astype("timedelta64[D]")).astype("datetime64[M]")
    biz_m = np.datetime64(p.bizdate, "M")
    months_diff = (biz_m - issue_m).astype(np.int64)
    due_this_month = loan_due_day(loans, li_all, months_diff)
    elapsed = np.clip(months_diff - (due_this_month > biz), 0, loans.term)
    settle_k = np.where((loans.settle_month > 0) & (loans.settle_month <= elapsed), loans.settle_month, 0)
    paid_terms = np.where(settle_k > 0, settle_k - 1, elapsed)
    # loans currently overdue: the last 1–8 due instalments unpaid (not monthly-offset loans)
    live = (settle_k == 0) & (elapsed < loans.term) & (elapsed > 0)
    ovd_now = live & (loans.offset_mode != 1) & (rng.random(n) < 0.008)
    ovd_cnt = np.where(ovd_now, np.minimum(rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 8], n), elapsed), 0)
    # earlier overdue episodes, later repaid: one instalment paid 20–70 days late
    ovd_past = live & ~ovd_now & (rng.random(n) < 0.03) & (elapsed > 2)
    past_k = np.where(ovd_past, rng.integers(1, np.maximum(elapsed, 2)), 0)

    plan_len = np.where(settle_k > 0, settle_k - 1, np.minimum(loans.term, elapsed + PLAN_AHEAD))
    li = np.repeat(li_all, plan_len)
    k = np.arange(len(li)) - np.repeat(np.cumsum(plan_len) - plan_len, plan_len) + 1
    pay, prin, intr = instalments(loans, k, li)
    due = loan_due_day(loans, li, k)
    is_due = k <= paid_terms[li]
    unpaid = is_due & (k > paid_terms[li] - ovd_cnt[li])
    st = np.where(unpaid, "2", np.where(is_due, "1", "0"))
    plan = {"loan": li, "term_no": k, "due": due, "pay": pay, "prin": prin, "int": intr, "st": st}

    # HPF-funded part of each monthly-offset instalment (from the ledger's 0103 withdrawals)
    draws = led.draws
    intents = led.intents
    offset = np.zeros(len(li))
    has_intent = draws["intent"] >= 0
    d_int = draws["intent"][has_intent]
    monthly = intents.term_no[d_int] > 0
    key_loan, key_k = intents.loan[d_int][monthly], intents.term_no[d_int][monthly]
    amt = draws["amt"][has_intent][monthly] / 100
    pos = np.full(n + 1, 0)
    pos[1:] = np.cumsum(plan_len)
    rows = pos[key_loan] + key_k - 1
    ok = key_k <= plan_len[key_loan]
    offset[rows[ok]] = amt[ok]

    paid = is_due & ~unpaid
    late = paid & (k == past_k[li])
    on_time = paid & ~late
    late_days = np.where(late, rng.integers(20, 70, len(li)), 0)
    pen = np.where(late, np.round(prin * PENALTY_DAILY * late_days, 2), 0.0)
    hpf = np.minimum(np.where(on_time, offset, 0.0), pay)
    own = np.round(pay - hpf, 2)
    hpf_prin = np.where(hpf > 0, np.round(hpf / pay * prin, 2), 0.0)
    cols: dict[str, list[np.ndarray]] = {c: [] for c in ("loan", "type", "day", "amt", "prin", "int", "pen", "term_no")}

    def add(mask_loan: np.ndarray, typ: str, d: np.ndarray, a: np.ndarray, pr: np.ndarray, pn: np.ndarray, kk: np.ndarray) -> None:
        cols["loan"].append(mask_loan)
        cols["type"].append(np.full(len(mask_loan), typ))
        cols["day"].append(d)
        cols["amt"].append(np.round(a, 2))
        cols["prin"].append(np.round(pr, 2))
        cols["int"].append(np.round(a - pr - pn, 2))
        cols["pen"].append(np.round(pn, 2))
        cols["term_no"].append(kk)

    m = on_time & (hpf > 0)
    add(li[m], "05", due[m], hpf[m], hpf_prin[m], np.zeros(m.sum()), k[m])
    m = on_time & (own > 0)
    add(li[m], "02", due[m], own[m], prin[m] - hpf_prin[m], np.zeros(m.sum()), k[m])
    add(li[late], "04", due[late] + late_days[late], pay[late] + pen[late], prin[late], pen[late], k[late])
    # disbursement
    add(li_all, "01", loans.issue_day, loans.amount, loans.amount, np.zeros(n), np.zeros(n, np.int64))
    # early settlement: the remaining principal after instalment settle_k − 1
    s = np.flatnonzero(settle_k > 0)
    prin_paid_before = np.zeros(n)
    np.add.at(prin_paid_before, li[paid], prin[paid])
    remaining = np.round(loans.amount[s] - prin_paid_before[s], 2)
    sday = loan_due_day(loans, s, settle_k[s]) - rng.integers(1, 20, len(s))
    add(s, "06", sday, remaining, remaining, np.zeros(len(s)), settle_k[s])
    txns = {c: np.concatenate(v) for c, v in cols.items()}
    txns["type"] = txns["type"].astype("<U2")
    # the regular end of a loan: its last instalment settles it
    prin_paid = np.zeros(n)
    np.add.at(prin_paid, txns["loan"][txns["type"] != "01"], txns["prin"][txns["type"] != "01"])
    int_paid = np.zeros(n)
    np.add.at(int_paid, txns["loan"][txns["type"] != "01"], txns["int"][txns["type"] != "01"])
    pen_paid = np.zeros(n)
    np.add.at(pen_paid, txns["loan"], txns["pen"])
    bal = np.round(loans.amount - prin_paid, 2)
    finished = (elapsed >= loans.term) | (settle_k > 0)
    settle_day = np.where(settle_k > 0, 0, -1)
    settle_day[s] = sday
    last_due = loan_due_day(loans, li_all, loans.term)
    settle_day = np.where((settle_day < 0) & (elapsed >= loans.term), last_due, settle_day)
    bal = np.where(finished, 0.0, bal)

    ovd_rows = unpaid | late
    overdue = {
        "loan": li[ovd_rows], "term_no": k[ovd_rows], "due": due[ovd_rows], "prin": prin[ovd_rows], "int": intr[ovd_rows],
        "pen": np.where(late[ovd_rows], pen[ovd_rows], np.round(prin[ovd_rows] * PENALTY_DAILY * np.maximum(biz - due[ovd_rows], 0), 2)),
        "paid_day": np.where(late[ovd_rows], due[ovd_rows] + late_days[ovd_rows], -1),
    }
    ovd_prin = np.zeros(n)
    np.add.at(ovd_prin, li[unpaid], prin[unpaid])
    ovd_int = np.zeros(n)
    np.add.at(ovd_int, li[unpaid], intr[unpaid])
    ovd_terms = np.zeros(n, np.int64)
    np.add.at(ovd_terms, li[ovd_rows], 1)
    months_ovd = ovd_cnt
    risk = np.select([months_ovd == 0, months_ovd <= 3, months_ovd <= 6, months_ovd <= 12], ["1", "2", "3", "4"], "5")
    state = np.where(finished, "3", np.where(ovd_cnt > 0, "2", "1"))
    prepay = np.zeros(n)
    prepay[s] = remaining
    return LoanBook(
        plan=plan, txns=txns, overdue=overdue,
        account={"bal": bal, "prin_paid": np.round(prin_paid, 2), "int_paid": np.round(int_paid, 2), "pen_paid": np.round(pen_paid, 2),
                 "prepay": prepay, "ovd_prin": np.round(ovd_prin, 2), "ovd_int": np.round(ovd_int, 2), "ovd_terms": ovd_terms,
                 "settle_day": settle_day, "state": state, "risk": risk},
    )
