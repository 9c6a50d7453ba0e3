"""Incremental marts: a daily run after ``generate --advance-days 1`` + ``ingest`` equals a full refresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.warehouse import connect, dbt, error_failures, gjj

pytestmark = pytest.mark.integration

INCREMENTAL = ["member_transaction", "loan_transaction", "loan_repayment"]
STAMPED_INTERMEDIATE = ["intermediate.int_account_balances_monthly", "intermediate.int_indicator_ledger_monthly",
                        "intermediate.int_loan_schedule_vs_actuals", "intermediate.int_person_partner_links"]
COMPARED = [*INCREMENTAL, "member_account", "indicator_monthly", "unit_summary", *STAMPED_INTERMEDIATE]


def _relation(name: str) -> str:
    """Schema-qualified name, and the run stamp left out (it differs between the two runs by design)."""
    if "." not in name:
        name = f"marts.{name}"
    stamped = name in {f"marts.{m}" for m in INCREMENTAL} | set(STAMPED_INTERMEDIATE)
    return f"(select * exclude (_dbt_loaded_at) from {name})" if stamped else name


def _snapshot(root: Path, tag: str) -> None:
    con = connect(root)
    try:
        for mart in COMPARED:
            con.execute(
                f"copy {_relation(mart)} to '{root}/{tag}_{mart}.parquet' (format parquet)"
            )
    finally:
        con.close()


def test_incremental_run_equals_full_refresh(tmp_path: Path) -> None:
    root = tmp_path / "lakehouse"
    gjj(root, "generate", "--scale", "0.01")
    gjj(root, "ingest")
    assert dbt(root, "seed").success
    first = dbt(root, "build")
    assert not error_failures(first)
    con = connect(root)
    before = {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in INCREMENTAL}
    con.close()

    gjj(root, "generate", "--advance-days", "1")
    gjj(root, "ingest")
    incremental = dbt(root, "build")
    assert not error_failures(incremental)
    con = connect(root)
    rewritten, months = con.execute(
        "select count(distinct tjny) filter (where _dbt_loaded_at = (select max(_dbt_loaded_at) "
        "from intermediate.int_indicator_ledger_monthly)), count(distinct tjny) "
        "from intermediate.int_indicator_ledger_monthly"
    ).fetchone()
    loans_rewritten, loans = con.execute(
        "select count(distinct dkzh) filter (where _dbt_loaded_at = (select max(_dbt_loaded_at) "
        "from intermediate.int_loan_schedule_vs_actuals)), count(distinct dkzh) "
        "from intermediate.int_loan_schedule_vs_actuals"
    ).fetchone()
    con.close()
    # the day's months only (the new day's, and the month of an original a reversal annotates)
    assert 1 <= rewritten <= 3 < months
    # the loans with the day's repayments or an overdue instalment, not the whole book
    assert 1 <= loans_rewritten < loans / 2
    _snapshot(root, "incr")
    full = dbt(root, "build", "--full-refresh")
    assert not error_failures(full)
    _snapshot(root, "full")

    con = connect(root)
    try:
        after = {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in INCREMENTAL}
        assert after["member_transaction"] > before["member_transaction"]
        for mart in COMPARED:
            a, b = f"'{root}/incr_{mart}.parquet'", f"'{root}/full_{mart}.parquet'"
            only_incr = con.execute(
                f"select count(*) from (select * from {a} except all select * from {b})"
            ).fetchone()[0]
            only_full = con.execute(
                f"select count(*) from (select * from {b} except all select * from {a})"
            ).fetchone()[0]
            assert (only_incr, only_full) == (0, 0), mart
        # updated rows (a reversal annotates its original) arrive as new bronze versions: the mart holds
        # exactly one row per key, and reversals (冲账) as in bronze
        bronze = f"delta_scan('{root}/bronze/core/dp_indi_txn')"
        reversals = con.execute(
            f"select count(distinct txn_no) from {bronze} where rev_flag = '1'"
        ).fetchone()[0]
        assert (
            con.execute("select count(*) from marts.member_transaction where czbz = '02'").fetchone()[0]
            == reversals
        )
        versions = con.execute(f"select count(*) - count(distinct txn_no) from {bronze}").fetchone()[0]
        assert versions >= 0
    finally:
        con.close()
