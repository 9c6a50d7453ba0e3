"""Plays the simulated center forward month by month over whole account vectors.

Per month: base re-declaration (July), remittances (汇缴, some units a month late as 补缴),
partial withdrawals (提取) in date order, life-cycle events (seal 封存, unseal 启封, freeze 冻结,
closing withdrawal 销户提取, transfer out 外部转出) and the annual interest (结息) on 30 June.
Balances are exact ledgers: every account's balance is its previous balance plus its signed
movements, and interest is the daily-balance product (积数) × rate / 360, the center's method.
Each step is a numpy operation over all accounts concerned; the Python loop runs over months.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ingestion.simulator.profile import Profile, base_bounds, day
from ingestion.simulator.world import CLOSED, NEVER, Accounts, Loans, Units, instalments, loan_due_day

DEP_RATE = 0.015
# event kinds → vendor txn_type
TXN_TYPES = np.array(["QC", "HJ", "BJ", "BT", "JX", "XT", "ZC"])
QC, HJ, BJ, BT, JX, XT, ZC = range(7)
# account status codes (vendor): 0 正常 1 封存 3 外部转出销户 4 提取销户 5 冻结
ST_NORMAL, ST_SEALED, ST_TRANSFERRED, ST_CLOSED, ST_FROZEN = 0, 1, 3, 4, 5


@dataclass
class Intents:
    """Withdrawal applications known in advance (their amounts are fixed when the balance is known)."""

    acct: np.ndarray
    day: np.ndarray
    reason: np.ndarray  # local 4-digit reason
    requested: np.ndarray  # yuan; <= 0 means "as much as the balance allows"
    loan: np.ndarray  # loan index or -1
    term_no: np.ndarray  # instalment for monthly loan offsets, else 0


@dataclass
class Events:
    cols: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **arrays: np.ndarray) -> None:
        n = len(next(iter(arrays.values())))
        if n == 0:
            return
        for k, v in arrays.items():
            self.cols.setdefault(k, []).append(np.broadcast_to(v, (n,)) if np.ndim(v) == 0 else v)

    def frame(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.cols.items()}


@dataclass
class LedgerResult:
    txns: dict[str, np.ndarray]  # acct, day, kind, amt (cents), int_amt, bal, pay_ym, unit, draw (index into draws or -1)
    draws: dict[str, np.ndarray]  # intent index (or -1 for closings), acct, day, reason, amt, bal_before
    state_log: dict[str, np.ndarray]  # acct, day, old, new, reason
    final: dict[str, np.ndarray]  # per account: bal, prev, cur, status, base, unit, last_pay_ym, close_day
    intents: Intents


def make_intents(p: Profile, acc: Accounts, loans: Loans, rng: np.random.Generator) -> Intents:
    biz = day(p.bizdate)
    start = np.maximum(acc.open_day + 35, day(p.golive))
    stop = np.minimum(np.minimum(acc.end_day, acc.freeze_day), biz + 1)
    years = np.clip((stop - start) / 365.25, 0, None)
    parts: list[tuple[np.ndarray, ...]] = []

    def spread(who: np.ndarray, reason: str, requested: np.ndarray) -> None:
        d = rng.integers(start[who], np.maximum(stop[who], start[who] + 1))
        parts.append((who, d, np.full(len(who), reason), requested, np.full(len(who), -1), np.zeros(len(who), int)))

    borrower = np.zeros(acc.n, bool)
    borrower[loans.acct] = True
    # purchases: borrowers right after the loan, others with a commercial mortgage or cash
    buy = rng.random(loans.n) < 0.7
    bd = loans.issue_day[buy] + rng.integers(5, 60, buy.sum())
    parts.append((loans.acct[buy], bd, np.full(buy.sum(), "0101"), np.zeros(buy.sum()), np.flatnonzero(buy),
                  np.zeros(buy.sum(), int)))
    k = rng.binomial(np.ceil(years).astype(int), p.p_purchase) > 0
    buyers = np.flatnonzero(k & ~borrower)
    spread(buyers, "0101", np.zeros(len(buyers)))
    # commercial-loan repayment withdrawals: yearly for a third of cash/commercial buyers
    com = buyers[rng.random(len(buyers)) < 0.35]
    for rep in range(1, 6):
        who = com[rng.random(len(com)) < 0.8**rep]
        spread(who, "0104", np.round(rng.uniform(6000, 24000, len(who))))
    owner = borrower.copy()
    owner[buyers] = True
    for reason, prob, amount in (("0105", p.p_rent, (6000, 9600)), ("0102", p.p_build, None), ("0199", p.p_other_partial, None)):
        cnt = rng.binomial(np.ceil(years).astype(int), prob)
        if reason == "0105":
            cnt = np.where(owner, 0, cnt)
        who = np.repeat(np.arange(acc.n), cnt)
        req = rng.choice(np.array(amount, float), len(who)) if amount else np.round(rng.uniform(5000, 40000, len(who)))
        spread(who, reason, req)
    # loan-repayment withdrawals: monthly offset (月冲) or yearly (年冲)
    for mode in (1, 2):
        idx = np.flatnonzero(loans.offset_mode == mode)
        step = 1 if mode == 1 else 12
        n_k = (np.minimum(loans.term[idx], ((biz - loans.issue_day[idx]) // 30.44).astype(int)) // step).astype(int)
        li = np.repeat(idx, n_k)
        kk = (np.arange(len(li)) - np.repeat(np.cumsum(n_k) - n_k, n_k) + 1) * step
        settle = loans.settle_month[li]
        keep = (settle == 0) | (kk < settle)
        li, kk = li[keep], kk[keep]
        due = loan_due_day(loans, li, kk)
        pay, _, _ = instalments(loans, kk, li)
        req = pay if mode == 1 else pay * 12
        a = loans.acct[li]
        ok = (due >= start[a]) & (due < stop[a])
        parts.append((a[ok], due[ok], np.full(ok.sum(), "0103"), req[ok], li[ok],
                      np.where(mode == 1, kk, 0)[ok]))
    # 2026 revision: property-fee and renovation withdrawals from 2026-09-20
    new_rules = day("2026-09-20")
    live = np.flatnonzero((stop > new_rules) & owner & (rng.random(acc.n) < 0.02))
    d = rng.integers(new_rules, np.maximum(stop[live], new_rules + 1))
    parts.append((live, d, rng.choice(np.array(["0106", "0107"]), len(live)), np.round(rng.uniform(1500, 30000, len(live))),
                  np.full(len(live), -1), np.zeros(len(live), int)))
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    keep = (cols[1] >= start[cols[0]]) & (cols[1] < stop[cols[0]]) & (cols[1] <= biz)
    order = np.lexsort((cols[0][keep], cols[1][keep]))
    return Intents(*(c[keep][order] for c in cols))


def run(p: Profile, units: Units, acc: Accounts, loans: Loans, intents: Intents, rng: np.random.Generator) -> LedgerResult:
    months = [day(m) for m in p.months] + [day(p.bizdate) + 1]
    n = acc.n
    bal = np.zeros(n, np.int64)
    prev = np.zeros(n, np.int64)
    cur = np.zeros(n, np.int64)
    jishu = np.zeros(n, np.int64)
    last = np.maximum(acc.open_day, months[0]).astype(np.int64)
    status = np.full(n, -1)  # -1 not yet opened
    unit = acc.unit.copy()
    base = acc.base0.astype(float)
    last_pay = np.zeros(n, np.int64)
    close_day = np.full(n, NEVER)
    txns, draws, log = Events(), Events(), Events()

    migrated = acc.open_day < months[0]
    status[migrated] = ST_NORMAL
    bal[migrated] = prev[migrated] = acc.opening_bal[migrated]
    mig = np.flatnonzero(migrated)
    txns.add(acct=mig, day=np.full(len(mig), months[0]), kind=np.full(len(mig), QC), amt=bal[mig], int_amt=np.zeros(len(mig), np.int64),
             bal=bal[mig], pay_ym=np.zeros(len(mig), np.int64), unit=unit[mig], draw=np.full(len(mig), -1))
    n_draws = 0
    pending_bj: tuple[np.ndarray, np.ndarray, int] | None = None
    intent_month = np.searchsorted(months, intents.day, side="right") - 1

    def accrue(idx: np.ndarray, d: np.ndarray) -> None:
        jishu[idx] += bal[idx] * (d - last[idx])
        last[idx] = d

    def post(idx: np.ndarray, d: np.ndarray, kind: int, amt: np.ndarray, pay_ym: int | np.ndarray = 0,
             draw: np.ndarray | None = None, int_amt: np.ndarray | None = None) -> None:
        txns.add(acct=idx, day=d, kind=np.full(len(idx), kind), amt=amt, bal=bal[idx].copy(),
                 int_amt=amt if int_amt is None else int_amt, pay_ym=np.broadcast_to(np.int64(0) + pay_ym, (len(idx),)).copy(),
                 unit=unit[idx].copy(), draw=np.full(len(idx), -1) if draw is None else draw)

    for mi in range(len(months) - 1):
        ms, me = months[mi], months[mi + 1]
        month = (np.datetime64("1970-01-01") + np.timedelta64(ms, "D")).astype("datetime64[M]")
        ym = int(str(month).replace("-", ""))
        is_july = str(month).endswith("-07")
        # accounts opened this month
        opening = np.flatnonzero((acc.open_day >= ms) & (acc.open_day < me))
        status[opening] = ST_NORMAL
        log.add(acct=opening, day=acc.open_day[opening], old=np.full(len(opening), -1), new=np.full(len(opening), ST_NORMAL),
                reason=np.full(len(opening), "KH"))
        if is_july:  # bases re-declared for the new fund year
            floor, cap = base_bounds(np.array([month.astype(object).year]))
            growth = rng.normal(1.05, 0.04, n)
            base = np.where(base <= floor[0] * 1.02, floor[0], np.clip(np.round(base * growth), floor[0], cap[0]))
        # 1. remittances for this month
        # no remittance in the month of sealing; an account unsealed (启封) in an earlier month pays again
        not_sealing = (acc.seal_day >= me) | (acc.unseal_day < ms)
        paying = np.flatnonzero((acc.open_day < ms) & ((status == ST_NORMAL) | (status == ST_FROZEN))
                                & (acc.end_day >= me) & not_sealing & ((acc.freeze_day >= me) | (status == ST_FROZEN)))
        u = unit[paying]
        unit_late = rng.random(units.n) < 0.012
        dep_day = np.minimum(ms + units.sal_day[u] - 1 + rng.integers(1, 5, units.n)[u], me - 1)
        amount = (np.round(base[paying] * units.unit_prop[u]) + np.round(base[paying] * units.indi_prop[u])).astype(np.int64) * 100
        on_time = ~unit_late[u]
        idx, d, a = paying[on_time], dep_day[on_time], amount[on_time]
        accrue(idx, d)
        bal[idx] += a
        cur[idx] += a
        last_pay[idx] = ym
        post(idx, d, HJ, a, ym, int_amt=np.zeros(len(idx), np.int64))
        if pending_bj is not None:
            bidx, bamt, bym = pending_bj
            alive = (status[bidx] != ST_CLOSED) & (status[bidx] != ST_TRANSFERRED)
            bidx, bamt = bidx[alive], bamt[alive]
            bd = np.minimum(np.maximum(ms + units.sal_day[unit[bidx]] + 5, last[bidx]), me - 1)
            accrue(bidx, bd)
            bal[bidx] += bamt
            cur[bidx] += bamt
            post(bidx, bd, BJ, bamt, bym, int_amt=np.zeros(len(bidx), np.int64))
        pending_bj = (paying[~on_time], amount[~on_time], ym)
        # 2. partial withdrawals, in date order (several per account are applied one after another)
        sel = np.flatnonzero(intent_month == mi)
        while len(sel):
            acct_sel = intents.acct[sel]
            _, first = np.unique(acct_sel, return_index=True)
            now = sel[first]
            sel = np.setdiff1d(sel, now, assume_unique=True)
            a_idx = intents.acct[now]
            ok = (status[a_idx] == ST_NORMAL) | (status[a_idx] == ST_SEALED)
            now, a_idx = now[ok], a_idx[ok]
            d = np.maximum(intents.day[now], last[a_idx])
            avail = (bal[a_idx] // 100) * 100
            req = np.round(intents.requested[now] * 100).astype(np.int64)
            amt = np.where(req > 0, np.minimum(req, avail), np.maximum(avail - 1000, 0))
            go = amt > 0
            now, a_idx, d, amt = now[go], a_idx[go], d[go], amt[go]
            before = bal[a_idx].copy()
            accrue(a_idx, d)
            bal[a_idx] -= amt
            from_prev = np.minimum(prev[a_idx], amt)
            prev[a_idx] -= from_prev
            cur[a_idx] -= amt - from_prev
            post(a_idx, d, BT, amt, draw=n_draws + np.arange(len(a_idx)), int_amt=np.zeros(len(a_idx), np.int64))
            draws.add(intent=now, acct=a_idx, day=d, reason=intents.reason[now], amt=amt, bal_before=before)
            n_draws += len(a_idx)
        # 3. life-cycle events of the month
        for when, new_status, reason in ((acc.seal_day, ST_SEALED, "FC"), (acc.unseal_day, ST_NORMAL, "QF"), (acc.freeze_day, ST_FROZEN, "DJ")):
            idx = np.flatnonzero((when >= ms) & (when < me) & (status >= 0))
            log.add(acct=idx, day=when[idx], old=status[idx].copy(), new=np.full(len(idx), new_status), reason=np.full(len(idx), reason))
            status[idx] = new_status
            if reason == "QF":
                unit[idx] = acc.new_unit[idx]
        closing = np.flatnonzero((acc.outcome == CLOSED) & (acc.end_day >= ms) & (acc.end_day < me) & (status >= 0))
        if len(closing):
            d = np.maximum(acc.end_day[closing], last[closing])
            accrue(closing, d)
            interest = np.round(jishu[closing] * DEP_RATE / 360).astype(np.int64)
            bal[closing] += interest
            has_int = interest > 0
            post(closing[has_int], d[has_int], JX, interest[has_int], int_amt=interest[has_int])
            transfer = acc.close_kind[closing] == "ZC"
            amt = bal[closing].copy()
            before = amt.copy()
            bal[closing] = prev[closing] = cur[closing] = jishu[closing] = 0
            for mask, kind, st in ((transfer, ZC, ST_TRANSFERRED), (~transfer, XT, ST_CLOSED)):
                idx = closing[mask]
                draw = n_draws + np.arange(mask.sum()) if kind == XT else None
                post(idx, d[mask], kind, amt[mask], draw=draw, int_amt=np.zeros(mask.sum(), np.int64))
                log.add(acct=idx, day=d[mask], old=status[idx].copy(), new=np.full(mask.sum(), st),
                        reason=np.full(mask.sum(), "ZC" if kind == ZC else "XH"))
                status[idx] = st
                close_day[idx] = d[mask]
            x = ~transfer
            draws.add(intent=np.full(x.sum(), -1), acct=closing[x], day=d[x], reason=acc.close_kind[closing][x],
                      amt=before[x], bal_before=before[x])
            n_draws += int(x.sum())
        # 4. annual interest on 30 June, credited to every open account
        if str(month).endswith("-06"):
            idx = np.flatnonzero((status == ST_NORMAL) | (status == ST_SEALED) | (status == ST_FROZEN))
            accrue(idx, np.full(len(idx), me))
            interest = np.round(jishu[idx] * DEP_RATE / 360).astype(np.int64)
            bal[idx] += interest
            prev[idx] = bal[idx]
            cur[idx] = 0
            jishu[idx] = 0
            post(idx, np.full(len(idx), me - 1), JX, interest, int_amt=interest)
    return LedgerResult(
        txns=txns.frame(), draws=draws.frame(), state_log=log.frame(),
        final={"bal": bal, "prev": prev, "cur": cur, "status": status, "base": base, "unit": unit,
               "last_pay_ym": last_pay, "close_day": close_day},
        intents=intents,
    )
