"""Profile tags against a hand-built snapshot whose members' tags are worked out by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics.profiles import PROFILES_FILE, ProfileError, build_profiles, load_tags

MONTHS_12 = [f"2025-{m:02d}-15" for m in (11, 12)] + [f"2026-{m:02d}-15" for m in range(1, 11)]


def _snapshot(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.member_account (grzh VARCHAR, nl INTEGER, xingbie VARCHAR, grzhzt VARCHAR, "
                "grjcjs DECIMAL(18,2), grzhye DECIMAL(18,2), khrq DATE)")
    con.executemany("INSERT INTO marts.member_account VALUES (?, ?, '1', ?, ?, ?, ?)", [
        ("000000000001", 28, "01", 2500, 10_000, "2020-03-01"),
        ("000000000002", 45, "01", 8000, 50_000, "2010-01-01"),
        ("000000000003", 59, "02", 15000, 0, "2005-06-30"),
        ("000000000004", 58, "01", 6000, 1000, "2016-10-31"),
    ])
    con.execute("CREATE TABLE marts.member_transaction (grzh VARCHAR, jzrq DATE, gjhtqywlx VARCHAR, "
                "fse DECIMAL(18,2), tqyy VARCHAR)")
    rows = [("000000000001", d, "01", 500, None) for d in MONTHS_12]
    rows += [("000000000004", d, "01", 1200, None) for d in MONTHS_12]
    rows += [("000000000002", d, "01", 1600, None) for d in MONTHS_12[-5:]]  # 5 of 12 months
    rows += [("000000000002", "2026-03-01", "11", -1000, "07"), ("000000000002", "2026-09-01", "11", -1000, "07")]
    rows += [("000000000003", "2024-01-15", "01", 3000, None)]
    rows += [("000000000003", f"2025-{m:02d}-01", "12", -500, "01") for m in range(1, 7)]  # 6 withdrawals
    rows += [("000000000003", "2024-06-01", "11", -500, "07")]  # outside 24 months of 2026-10-15: not counted
    con.executemany("INSERT INTO marts.member_transaction VALUES (?, ?, ?, ?, ?)", rows)
    con.execute("CREATE TABLE marts.loan_account (jkrgjjzh VARCHAR, dkzt VARCHAR, dkye DECIMAL(18,2), "
                "dqyqqs INTEGER, ljyqqs INTEGER, dqyqe DECIMAL(18,2), dkffrq DATE, dkjqrq DATE)")
    con.executemany("INSERT INTO marts.loan_account VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        ("000000000002", "02", 100_000, 1, 1, 2_000, "2019-05-01", None),
        ("000000000003", "03", 0, 0, 4, 0, "2008-01-01", "2023-01-01"),
    ])
    con.close()


EXPECTED = {
    "000000000001": {"life_stage": "youth", "income_band": "low", "deposit_stability": "stable",
                     "withdrawal_behaviour": "none", "loan_status": "none", "overdue_risk": None,
                     "loan_eligible": "yes", "retirement_withdrawal_due": None, "loan_demand": None},
    "000000000002": {"life_stage": "mid_career", "income_band": "middle", "deposit_stability": "intermittent",
                     "withdrawal_behaviour": "rent", "loan_status": "repaying", "overdue_risk": "medium",
                     "loan_eligible": "no", "retirement_withdrawal_due": None, "loan_demand": None},
    "000000000003": {"life_stage": "pre_retirement", "income_band": "high", "deposit_stability": "closed_or_sealed",
                     "withdrawal_behaviour": "frequent", "loan_status": "paid_off", "overdue_risk": "medium",
                     "loan_eligible": "no", "retirement_withdrawal_due": None, "loan_demand": None},
    "000000000004": {"life_stage": "pre_retirement", "income_band": "middle", "deposit_stability": "stable",
                     "withdrawal_behaviour": "none", "loan_status": "none", "overdue_risk": None,
                     "loan_eligible": "yes", "retirement_withdrawal_due": "yes", "loan_demand": None},
}


@pytest.fixture
def store(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    _snapshot(tmp_path / "snap.duckdb")
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'snap.duckdb'}' AS snap (READ_ONLY)")
    return con


def test_tags_match_the_hand_computed_profiles(store: duckdb.DuckDBPyConnection) -> None:
    assert build_profiles(store) == 4
    tags = [t.code for t in load_tags()]
    assert set(tags) == set(EXPECTED["000000000001"])
    got = {r[0]: dict(zip(tags, r[1:], strict=True))
           for r in store.execute(f"SELECT grzh, {', '.join(tags)} FROM member_profile").fetchall()}
    assert got == EXPECTED
    features = store.execute("SELECT jcys_12m, jcys_6m, tqcs_24m, tqcs_zf_24m, dkbs, dkbs_zc, dqyqqs "
                             "FROM member_profile WHERE grzh = '000000000002'").fetchone()
    assert features == (5, 5, 2, 2, 1, 1, 1)
    assert store.execute("SELECT tqcs_24m FROM member_profile WHERE grzh = '000000000003'").fetchone() == (6,)


def test_long_tags_and_segments_agree_with_the_wide_profile(store: duckdb.DuckDBPyConnection) -> None:
    build_profiles(store)
    n_values = sum(v is not None for p in EXPECTED.values() for v in p.values())
    assert store.execute("SELECT count(*) FROM member_tag").fetchone() == (n_values,)
    assert store.execute("SELECT label FROM member_tag WHERE grzh = '000000000004' AND tag = 'loan_eligible'"
                         ).fetchone() == ("可能符合贷款条件",)
    seg = dict(store.execute("SELECT value, members FROM tag_segment WHERE tag = 'life_stage'").fetchall())
    assert seg == {"youth": 1, "early_career": 0, "mid_career": 1, "pre_retirement": 2, "unknown": 0}
    assert store.execute("SELECT count(*) FROM member_tag WHERE computed_at IS NULL").fetchone() == (0,)


def test_a_bad_condition_is_named(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    bad = tmp_path / "profiles.yaml"
    bad.write_text(PROFILES_FILE.read_text(encoding="utf-8").replace('when: "grjcjs < 3000"', 'when: "salary < 3000"'),
                   encoding="utf-8")
    with pytest.raises(ProfileError, match=r"income_band .*low.*salary"):
        build_profiles(store, bad)


def test_duplicate_tag_codes_are_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "profiles.yaml"
    bad.write_text(PROFILES_FILE.read_text(encoding="utf-8").replace("code: income_band", "code: life_stage"),
                   encoding="utf-8")
    with pytest.raises(ProfileError, match="duplicate tag codes: life_stage"):
        load_tags(bad)
