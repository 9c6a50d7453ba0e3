"""The simulated center's profile: sizes at scale 1.0 (DOMAIN.md §5.3) and effective-dated policy.

Figures marked unverified in DOMAIN.md are estimates; they live here, in one place, so a center's
real annual report can replace them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")


def day(d: date | str) -> int:
    """Days since 1970-01-01 (the simulator's internal date)."""
    return int((np.datetime64(d, "D") - EPOCH).astype(int))


def to_date(days: int) -> date:
    return (EPOCH + np.timedelta64(int(days), "D")).astype(object)


@dataclass(frozen=True)
class Profile:
    scale: float
    seed: int
    bizdate: date = date(2026, 10, 31)
    history_years: int = 10
    # scale 1.0 sizes (三门峡 estimate, DOMAIN.md §5.3)
    units_active: int = 3000
    units_closed: int = 1500
    accounts_migrated: int = 230_000  # opened before the core system went live
    accounts_new: int = 170_000  # opened during the simulated history (~1.7万/yr)
    loans: int = 30_000
    # yearly probabilities per active account
    p_purchase: float = 0.025
    p_rent: float = 0.05
    p_build: float = 0.002
    p_other_partial: float = 0.004

    def n(self, full: int, minimum: int = 1) -> int:
        return max(minimum, int(round(full * self.scale)))

    @property
    def golive(self) -> date:
        return date(self.bizdate.year - self.history_years, self.bizdate.month, 1)

    @property
    def months(self) -> list[date]:
        """First day of each month from go-live up to the business date's month."""
        out, y, m = [], self.golive.year, self.golive.month
        while (y, m) <= (self.bizdate.year, self.bizdate.month):
            out.append(date(y, m, 1))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


# Effective-dated policy parameters (表4.0.4): (code, name, value, valid_from, valid_to).
# Base floor/cap by fund year (July–June); rates by PBoC/MOHURD notices. Values before 2025 and the
# 三门峡 caps are estimates (DOMAIN.md §2.7, unverified): replace with the center's notices.
_BASE = [  # fund year start, floor, cap
    (2016, 1450, 12500), (2017, 1600, 13200), (2018, 1600, 14000), (2019, 1700, 14800), (2020, 1700, 15500),
    (2021, 1900, 16100), (2022, 1900, 16900), (2023, 2000, 17600), (2024, 2000, 18300), (2025, 2100, 18900),
    (2026, 2150, 19600),
]


def policy_rows() -> list[tuple[str, str, float, str, str | None]]:
    rows: list[tuple[str, str, float, str, str | None]] = []
    for i, (y, floor, cap) in enumerate(_BASE):
        to = f"{y + 1}0630" if i + 1 < len(_BASE) else None
        rows += [
            ("JS_MIN", "月缴存基数下限", floor, f"{y}0701", to),
            ("JS_MAX", "月缴存基数上限", cap, f"{y}0701", to),
            ("YJCE_MAX", "月缴存额上限", round(cap * 0.24), f"{y}0701", to),
        ]
    rows += [
        ("DW_BL_MIN", "单位缴存比例下限", 0.05, "20160701", None),
        ("DW_BL_MAX", "单位缴存比例上限", 0.12, "20160701", None),
        ("GR_BL_MIN", "个人缴存比例下限", 0.05, "20160701", None),
        ("GR_BL_MAX", "个人缴存比例上限", 0.12, "20160701", None),
        ("DEP_RATE", "个人存款年利率", 0.015, "20160221", None),
        ("DK_TERM_MAX", "个贷最长期数(月)", 360, "20160701", None),
        ("DK_SFBL_1", "首套最低首付比例", 0.20, "20160701", None),
        ("DK_SFBL_2", "二套最低首付比例", 0.30, "20160701", None),
        ("DK_MAX_1", "个贷最高额度(单人)", 400000, "20160701", "20220930"),
        ("DK_MAX_2", "个贷最高额度(夫妻)", 500000, "20160701", "20220930"),
        ("DK_MAX_1", "个贷最高额度(单人)", 500000, "20221001", None),
        ("DK_MAX_2", "个贷最高额度(夫妻)", 700000, "20221001", None),
        ("RENT_MAX_1", "租房提取年限额(单身)", 9600, "20160701", None),
        ("RENT_MAX_2", "租房提取年限额(已婚)", 19200, "20160701", None),
        ("RETIRE_M", "男职工退休年龄", 60, "20160701", None),
        ("RETIRE_F", "女职工退休年龄", 55, "20160701", None),
    ]
    for frm, to, le5, gt5, le5_2, gt5_2 in _LOAN_RATES:
        rows += [
            ("DK_RATE_LE5", "首套五年以下(含)利率", le5, frm, to),
            ("DK_RATE_GT5", "首套五年以上利率", gt5, frm, to),
            ("DK_RATE2_LE5", "二套五年以下(含)利率", le5_2, frm, to),
            ("DK_RATE2_GT5", "二套五年以上利率", gt5_2, frm, to),
        ]
    return rows


_LOAN_RATES = [  # valid_from, valid_to, first ≤5y, first >5y, second ≤5y, second >5y
    ("20150826", "20220930", 0.0275, 0.0325, 0.03025, 0.03575),
    ("20221001", "20240517", 0.026, 0.031, 0.03025, 0.03575),
    ("20240518", "20250507", 0.0235, 0.0285, 0.02775, 0.03325),
    ("20250508", None, 0.021, 0.026, 0.02525, 0.03075),
]


def base_bounds(fund_year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floor and cap of the contribution base for fund years (July–June)."""
    years = np.array([b[0] for b in _BASE])
    idx = np.clip(np.searchsorted(years, fund_year, side="right") - 1, 0, len(years) - 1)
    return np.array([b[1] for b in _BASE])[idx], np.array([b[2] for b in _BASE])[idx]


def loan_rate(issue_day: np.ndarray, term_mon: np.ndarray, second_home: np.ndarray) -> np.ndarray:
    starts = np.array([day(f"{r[0][:4]}-{r[0][4:6]}-{r[0][6:]}") for r in _LOAN_RATES])
    idx = np.clip(np.searchsorted(starts, issue_day, side="right") - 1, 0, len(starts) - 1)
    table = np.array([r[2:] for r in _LOAN_RATES])
    col = np.where(term_mon > 60, 1, 0) + np.where(second_home, 2, 0)
    return table[idx, col]


def fund_year(days: np.ndarray) -> np.ndarray:
    d = (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[M]")
    y = d.astype("datetime64[Y]").astype(int) + 1970
    m = d.astype(int) % 12 + 1
    return np.where(m >= 7, y, y - 1)


def add_months(days: np.ndarray, k: np.ndarray, dom: np.ndarray) -> np.ndarray:
    """The day ``dom`` (clipped to 28) of the month k months after ``days``."""
    month = (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[M]") + k.astype("timedelta64[M]")
    return (month.astype("datetime64[D]") - EPOCH).astype(np.int64) + np.minimum(dom, 28) - 1
