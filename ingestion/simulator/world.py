"""The simulated center's population: units, persons, personal accounts with their life cycle,
and loans. Everything is drawn at once with numpy (no per-row Python); the ledger (ledger.py)
then plays the months forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.simulator import identity
from ingestion.simulator.profile import EPOCH, Profile, add_months, base_bounds, day, fund_year, loan_rate

# account outcomes at the business date
ACTIVE, SEALED, CLOSED = 0, 1, 2
# closing kinds (local withdrawal-reason codes; 'ZC' = transfer out to another city)
CLOSE_KINDS = np.array(["0201", "ZC", "0205", "0203", "0204", "0202", "0299"])
CLOSE_P = np.array([0.45, 0.2, 0.12, 0.06, 0.06, 0.04, 0.07])

BANKS = {
    "102": "中国工商银行三门峡分行", "103": "中国农业银行三门峡分行", "104": "中国银行三门峡分行",
    "105": "中国建设银行三门峡分行", "301": "交通银行三门峡分行", "403": "中国邮政储蓄银行三门峡市分行",
    "314": "三门峡农村商业银行", "313": "中原银行三门峡分行",
}
BANK_BINS = {"102": "621226", "103": "622848", "104": "621661", "105": "621700", "301": "622262",
             "403": "621799", "314": "623059", "313": "623595"}

# Local unit codes: econ_kind (vendor 3-digit, close to GB/T 12402), unit_kind (MOHURD-like buckets)
UNIT_KINDS = np.array(["01", "10", "02", "03", "05", "04", "06", "09", "11"])  # 机关 事业 国企 集体 其他城镇 外资 民非 个体 社团
UNIT_KIND_P = np.array([0.12, 0.2, 0.12, 0.03, 0.42, 0.02, 0.04, 0.04, 0.01])
UNIT_SIZE_BOOST = np.array([3.0, 2.2, 3.5, 1.0, 0.6, 1.2, 0.5, 0.2, 0.5])
ECON_BY_KIND = np.array(["110", "110", "151", "120", "170", "310", "190", "175", "190"])
INDUSTRY_BY_KIND = np.array(["S9221", "P8331", "D4411", "C1310", "F5123", "C3670", "Q8411", "H6210", "S9421"])
UNIT_NAME_SUFFIX = np.array(["局", "中心", "有限公司", "厂", "有限公司", "有限公司", "学校", "商行", "协会"])
AREA_LOCAL = np.array(["01", "02", "03", "04", "05", "06"])  # vendor area codes → 411202 … 411282
AREA_GB = np.array(list(identity.DISTRICTS))


@dataclass
class Units:
    n: int
    unit_no: np.ndarray
    kind: np.ndarray
    area: np.ndarray
    weight: np.ndarray
    closed: np.ndarray
    sal_day: np.ndarray
    unit_prop: np.ndarray
    indi_prop: np.ndarray
    bank: np.ndarray


@dataclass
class Accounts:
    n: int
    unit: np.ndarray  # unit index before unsealing
    new_unit: np.ndarray  # unit index after unsealing (-1 if never unsealed)
    open_day: np.ndarray
    outcome: np.ndarray
    end_day: np.ndarray  # seal or close day (large if active)
    close_kind: np.ndarray  # '' unless closed
    seal_day: np.ndarray  # day sealed (large if never)
    unseal_day: np.ndarray  # day unsealed (large if never)
    freeze_day: np.ndarray  # large if never
    birth_day: np.ndarray
    male: np.ndarray
    base0: np.ndarray  # base (yuan) at open or at go-live
    opening_bal: np.ndarray  # cents, migrated balance at go-live (0 for new accounts)
    bank: np.ndarray


@dataclass
class Loans:
    n: int
    acct: np.ndarray
    issue_day: np.ndarray
    amount: np.ndarray  # yuan
    term: np.ndarray
    rate: np.ndarray
    annuity: np.ndarray  # bool, else equal principal
    second_home: np.ndarray
    price: np.ndarray
    area_m2: np.ndarray
    offset_mode: np.ndarray  # 0 none, 1 monthly 冲还贷, 2 yearly
    settle_month: np.ndarray  # instalment number of early settlement (0 = none)
    couple: np.ndarray
    bank: np.ndarray


NEVER = day("2099-12-31")


def make_units(p: Profile, rng: np.random.Generator) -> Units:
    n_active, n_closed = p.n(p.units_active, 20), p.n(p.units_closed, 8)
    n = n_active + n_closed
    kind = rng.choice(UNIT_KINDS, n, p=UNIT_KIND_P)
    weight = rng.lognormal(0, 1.1, n) * UNIT_SIZE_BOOST[_index(UNIT_KINDS, kind)]
    ratio = rng.choice(np.array([0.12, 0.10, 0.08, 0.05]), n, p=[0.4, 0.25, 0.1, 0.25])
    public = np.isin(kind, ["01", "10", "02"])
    ratio = np.where(public, np.maximum(ratio, 0.10), ratio)
    unit_ratio = np.where(rng.random(n) < 0.88, ratio, np.minimum(ratio + 0.02, 0.12))
    return Units(
        n=n,
        unit_no=np.char.add("41120", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        kind=kind,
        area=rng.choice(AREA_LOCAL, n, p=[0.38, 0.12, 0.1, 0.07, 0.11, 0.22]),
        weight=weight,
        closed=np.arange(n) >= n_active,
        sal_day=rng.choice(np.array([5, 8, 10, 15, 20, 25]), n, p=[0.15, 0.1, 0.35, 0.2, 0.1, 0.1]),
        unit_prop=unit_ratio,
        indi_prop=ratio,
        bank=rng.choice(np.array(list(BANKS)), n, p=[0.18, 0.16, 0.12, 0.2, 0.06, 0.1, 0.1, 0.08]),
    )


def _index(values: np.ndarray, of: np.ndarray) -> np.ndarray:
    order = np.argsort(values)
    return order[np.searchsorted(values, of, sorter=order)]


def make_accounts(p: Profile, units: Units, rng: np.random.Generator) -> Accounts:
    golive, biz = day(p.golive), day(p.bizdate)
    n_a, n_b = p.n(p.accounts_migrated, 200), p.n(p.accounts_new, 150)
    n = n_a + n_b
    migrated = np.arange(n) < n_a
    open_day = np.where(
        migrated, rng.integers(day("1996-01-01"), golive - 30, n), rng.integers(golive, biz - 40, n)
    )
    outcome = np.where(
        migrated,
        rng.choice(3, n, p=[0.52, 0.26, 0.22]),
        rng.choice(3, n, p=[0.45, 0.33, 0.22]),
    )
    earliest_end = np.maximum(open_day + 200, golive + 30)
    outcome = np.where(earliest_end >= biz - 10, ACTIVE, outcome)
    end_day = np.where(outcome == ACTIVE, NEVER, rng.integers(np.minimum(earliest_end, biz - 11), biz - 10))
    close_kind = np.where(outcome == CLOSED, rng.choice(CLOSE_KINDS, n, p=CLOSE_P), "")
    # leaving-job closing needs six months sealed first
    seal_day = np.where(outcome == SEALED, end_day, NEVER)
    leave = close_kind == "0205"
    leave_seal = end_day - rng.integers(190, 420, n)
    ok_leave = leave & (leave_seal > np.maximum(open_day + 60, golive))
    close_kind = np.where(leave & ~ok_leave, "0299", close_kind)
    seal_day = np.where(ok_leave, leave_seal, seal_day)
    # some sealed accounts are unsealed at a new unit and contribute again
    unseal = (outcome == SEALED) & (end_day < biz - 120) & (rng.random(n) < 0.12)
    unseal_day = np.where(unseal, end_day + rng.integers(30, 110, n), NEVER)
    outcome = np.where(unseal, ACTIVE, outcome)
    end_day = np.where(unseal, NEVER, end_day)
    freeze = (outcome == ACTIVE) & (rng.random(n) < 0.003)
    freeze_day = np.where(freeze, rng.integers(biz - 700, biz - 5, n), NEVER)
    restart = np.where(unseal_day < NEVER, unseal_day, open_day)
    freeze_day = np.where(freeze_day <= restart + 31, NEVER, freeze_day)

    male = rng.random(n) < 0.53
    retire_age = np.where(male, 60, 55)
    age_at_open = rng.triangular(19, 26, 50, n)
    birth = open_day - (age_at_open * 365.25).astype(np.int64)
    retiring = close_kind == "0201"
    birth = np.where(retiring, end_day - (retire_age * 365.25).astype(np.int64) - rng.integers(1, 120, n), birth)
    # nobody still contributing is above retirement age at the business date
    youngest_allowed = biz - ((retire_age - 1) * 365.25).astype(np.int64)
    birth = np.where(~retiring & (birth < youngest_allowed), youngest_allowed + rng.integers(0, 3000, n), birth)
    birth = np.minimum(birth, open_day - 18 * 366)

    # unit assignment: accounts active at the end only in active units; closed units get ended ones
    w_active = np.where(units.closed, 0, units.weight)
    w_ended = units.weight * np.where(units.closed, 4.0, 1.0)
    unit = np.where(
        (outcome == ACTIVE) & (unseal_day == NEVER),
        rng.choice(units.n, n, p=w_active / w_active.sum()),
        rng.choice(units.n, n, p=w_ended / w_ended.sum()),
    )
    new_unit = np.where(unseal_day < NEVER, rng.choice(units.n, n, p=w_active / w_active.sum()), -1)

    # contribution base at the account's first simulated month, deflated ~6 %/yr from 2026
    first_day = np.maximum(open_day, golive)
    years_back = (biz - first_day) / 365.25
    base = rng.lognormal(np.log(4300), 0.45, n) / (1.06**years_back)
    floor, cap = base_bounds(fund_year(first_day))
    at_floor = rng.random(n) < 0.22
    base = np.where(at_floor, floor, np.clip(np.round(base), floor, cap))
    monthly = base * (units.unit_prop[unit] + units.indi_prop[unit])
    months_before = np.clip((golive - open_day) / 30.44, 0, None)
    opening = np.where(migrated, np.round(monthly * months_before * rng.uniform(0.35, 0.8, n) * 100), 0).astype(np.int64)
    return Accounts(
        n=n, unit=unit, new_unit=new_unit, open_day=open_day, outcome=outcome, end_day=end_day,
        close_kind=close_kind, seal_day=seal_day, unseal_day=unseal_day, freeze_day=freeze_day,
        birth_day=birth, male=male, base0=base, opening_bal=opening,
        bank=rng.choice(np.array(list(BANKS)), n),
    )


def make_loans(p: Profile, acc: Accounts, rng: np.random.Generator) -> Loans:
    golive, biz = day(p.golive), day(p.bizdate)
    want = p.n(p.loans, 30)
    cand = rng.permutation(acc.n)[: min(acc.n, want * 4)]
    lo = np.maximum(acc.open_day[cand] + 200, golive + 10)  # six months of contributions first
    hi = np.minimum(np.minimum(acc.end_day[cand], acc.seal_day[cand]), np.minimum(acc.freeze_day[cand], biz)) - 5
    ok = hi > lo
    cand, lo, hi = cand[ok], lo[ok], hi[ok]
    issue = rng.integers(lo, hi)
    age = (issue - acc.birth_day[cand]) / 365.25
    ok = (age >= 22) & (age <= 50)
    cand, issue = cand[ok][:want], issue[ok][:want]
    n = len(cand)
    term = rng.choice(np.array([120, 180, 240, 300, 360]), n, p=[0.05, 0.1, 0.25, 0.2, 0.4])
    age_end = (issue - acc.birth_day[cand]) / 365.25 + term / 12
    term = np.where(age_end > 64, np.clip(((64 - (issue - acc.birth_day[cand]) / 365.25) * 12 // 12) * 12, 60, 360), term)
    term = term.astype(np.int64)
    couple = rng.random(n) < 0.7
    second = rng.random(n) < 0.12
    cap = np.where(issue >= day("2022-10-01"), np.where(couple, 700_000, 500_000), np.where(couple, 500_000, 400_000))
    amount = np.clip(np.round(rng.lognormal(np.log(380_000), 0.25, n), -3), 100_000, cap)
    ltv = rng.uniform(0.55, np.where(second, 0.7, 0.8))
    price = np.round(amount / ltv, -2)
    unit_price = rng.uniform(4200, 7800, n)
    return Loans(
        n=n, acct=cand, issue_day=issue, amount=amount, term=term,
        rate=loan_rate(issue, term, second), annuity=rng.random(n) < 0.9, second_home=second,
        price=price, area_m2=np.round(price / unit_price, 2),
        offset_mode=rng.choice(3, n, p=[0.3, 0.3, 0.4]),
        settle_month=np.where(rng.random(n) < 0.15, rng.integers(12, 120, n), 0),
        couple=couple, bank=rng.choice(np.array(list(BANKS)), n),
    )


def instalments(loans: Loans, k: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Planned (payment, principal, interest) in yuan of instalment k (1-based) for loans idx."""
    principal0 = loans.amount[idx]
    r = loans.rate[idx] / 12
    nterm = loans.term[idx]
    growth = (1 + r) ** nterm
    pay_annuity = np.round(principal0 * r * growth / (growth - 1), 2)
    bal_prev = principal0 * (1 + r) ** (k - 1) - pay_annuity * ((1 + r) ** (k - 1) - 1) / r
    int_annuity = np.round(bal_prev * r, 2)
    prin_equal = np.round(principal0 / nterm, 2)
    bal_prev_equal = principal0 - prin_equal * (k - 1)
    int_equal = np.round(bal_prev_equal * r, 2)
    annuity = loans.annuity[idx]
    interest = np.where(annuity, int_annuity, int_equal)
    principal = np.where(annuity, pay_annuity - int_annuity, prin_equal)
    # the last instalment absorbs the rounding remainder (尾差): it repays exactly what the earlier, rounded
    # instalments left, so that Σ instalment principal = the loan amount (DK-18) and the settled balance is 0
    last = k == nterm
    if last.any():
        rest = _principal_left_for_last(principal0[last], r[last], nterm[last], pay_annuity[last], prin_equal[last], annuity[last])
        principal[last] = rest
        interest[last] = np.round(rest * r[last], 2)
    return np.round(principal + interest, 2), np.round(principal, 2), interest


def _principal_left_for_last(amount: np.ndarray, r: np.ndarray, nterm: np.ndarray, pay_annuity: np.ndarray,
                             prin_equal: np.ndarray, annuity: np.ndarray) -> np.ndarray:
    """Loan amount minus the rounded principal of instalments 1 … n−1, computed like ``instalments`` does."""
    paid = np.zeros(len(amount))
    for k in range(1, int(nterm.max())):
        bal_prev = amount * (1 + r) ** (k - 1) - pay_annuity * ((1 + r) ** (k - 1) - 1) / r
        prin = np.round(np.where(annuity, pay_annuity - np.round(bal_prev * r, 2), prin_equal), 2)
        paid += np.where(k < nterm, prin, 0.0)
    return np.round(amount - paid, 2)


def loan_due_day(loans: Loans, idx: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Due day of instalment k: k months after issue, on the issue's day of month (max 28)."""
    issue = loans.issue_day[idx]
    month_start = (EPOCH + issue.astype("timedelta64[D]")).astype("datetime64[M]").astype("datetime64[D]")
    dom = issue - (month_start - EPOCH).astype(np.int64) + 1
    return add_months(issue, k, dom)
