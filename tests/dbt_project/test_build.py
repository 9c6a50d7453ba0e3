"""The dbt project on a simulated center: build, code tables, unmapped codes, reconciliation, indicators."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from tests.warehouse import PROJECT

pytestmark = pytest.mark.integration

# mart column → code-table seed
MART_CODES = {
    "member_account": {
        "xingbie": "gbt2261_1_xb",
        "xzqh": "gbt2260_xzqh",
        "grzhzt": "a0_6_grzhzt",
        "hyzk": "gbt2261_2_hyzk",
    },
    "member_transaction": {
        "gjhtqywlx": "a0_5_gjhtqywlx",
        "tqyy": "a0_7_tqyy",
        "tqfs": "a0_8_tqfs",
        "czbz": "a0_9_czbz",
    },
    "unit_summary": {
        "dwjjlx": "gbt12402_dwjjlx",
        "dwsshy": "gbt4754_dwsshy",
        "xzqh": "gbt2260_xzqh",
        "dwlb": "mohurd_dwlb",
        "dwzhzt": "a0_4_dwzhzt",
    },
    "indicator_monthly": {"xzqh": "gbt2260_xzqh", "dwlb": "mohurd_dwlb"},
    "loan_account": {
        "dkzt": "local_dkzt",
        "dkfxdj": "a0_14_dkfxdj",
        "dkhkfs": "a0_11_dkhkfs",
        "dkdblx": "a0_10_dkdblx",
        "dklx": "a0_12_dklx",
        "fwxz": "a0_13_fwxz",
    },
    "loan_transaction": {"dkywmxlx": "a0_15_dkywmxlx", "czbz": "a0_9_czbz"},
    "withdrawal": {"tqyy": "a0_7_tqyy", "tqfs": "a0_8_tqfs"},
}


def bronze(root: Path, table: str) -> str:
    return f"delta_scan('{root}/bronze/core/{table}')"


def latest(root: Path, table: str, keys: str) -> str:
    return (
        f"(select * from {bronze(root, table)} qualify row_number() over "
        f"(partition by {keys} order by upd_tm desc, _ingested_at desc) = 1)"
    )


def test_marts_have_the_contracted_schema(wh: duckdb.DuckDBPyConnection) -> None:
    cols = dict(
        wh.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'member_account' order by ordinal_position"
        ).fetchall()
    )
    assert cols["grzh"] == "VARCHAR" and cols["csny"] == "DATE" and cols["dwjcbl"] == "DECIMAL(6,4)"
    assert cols["grzhye"] == "DECIMAL(18,2)" and cols["updated_at"] == "TIMESTAMP"
    tables = {
        r[0]
        for r in wh.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    assert {
        "member_account",
        "member_transaction",
        "unit_summary",
        "indicator_monthly",
        "indicator_monthly_city",
    } <= tables
    schemas = {r[0] for r in wh.execute("select schema_name from information_schema.schemata").fetchall()}
    assert {"staging", "intermediate", "marts", "seeds"} <= schemas


def test_every_mart_code_is_in_its_code_table(wh: duckdb.DuckDBPyConnection) -> None:
    unmapped = dict(
        ((m, c), n)
        for m, c, n in wh.execute(
            "select model_name, column_name, n_rows from intermediate.int_unmapped_codes where issue = 'UNMAPPED'"
        ).fetchall()
    )
    for mart, columns in MART_CODES.items():
        for column, table in columns.items():
            bad = wh.execute(
                f"select {column}, count(*) from marts.{mart} where {column} is not null "
                f"and {column} not in (select code from seeds.{table}) group by 1"
            ).fetchall()
            for value, n in bad:
                # the only tolerated outsider is the explicit UNMAPPED, and it must be counted
                assert value == "UNMAPPED", (mart, column, value)
                assert sum(v for (m, c), v in unmapped.items() if c == column) >= n, (mart, column)


def test_planted_marital_xx_is_counted_as_unmapped(built: Path, wh: duckdb.DuckDBPyConnection) -> None:
    planted = wh.execute(
        f"select count(*) from {latest(built, 'cm_person', 'cust_no')} where marital = 'XX'"
    ).fetchone()[0]
    assert planted > 0
    counted = wh.execute(
        "select n_rows from intermediate.int_unmapped_codes "
        "where model_name = 'stg_core__persons' and column_name = 'hyzk' and issue = 'UNMAPPED'"
    ).fetchone()[0]
    assert counted == planted
    assert (
        wh.execute("select count(*) from marts.member_account where hyzk = 'UNMAPPED'").fetchone()[0]
        == planted
    )


def test_current_accounts_reconcile_with_member_account(built: Path, wh: duckdb.DuckDBPyConnection) -> None:
    n_bronze = wh.execute(
        f"select count(distinct indi_acct) from {bronze(built, 'dp_indi_acct')}"
    ).fetchone()[0]
    assert wh.execute("select count(*) from marts.member_account").fetchone()[0] == n_bronze
    n_txn = wh.execute(f"select count(distinct txn_no) from {bronze(built, 'dp_indi_txn')}").fetchone()[0]
    assert wh.execute("select count(*) from marts.member_transaction").fetchone()[0] == n_txn


def test_ledger_sums_to_balance_except_planted_accounts(built: Path, wh: duckdb.DuckDBPyConnection) -> None:
    planted = set()
    for path in (built / "ground_truth").glob("core-*.csv"):
        with path.open(encoding="utf-8") as f:
            planted |= {r["record_key"] for r in csv.DictReader(f) if r["rule_id"] in {"JC-13", "JC-14"}}
    assert planted
    rows = wh.execute(
        "select a.grzh, a.grzhye, coalesce(sum(t.fse), 0) from marts.member_account as a "
        "left join marts.member_transaction as t on t.grzh = a.grzh group by a.grzh, a.grzhye "
        "having a.grzhye <> coalesce(sum(t.fse), 0)"
    ).fetchall()
    assert {r[0] for r in rows} == planted


# Independent mapping of the vendor's local unit codes (world.py), written apart from the seeds.
AREA = {"01": "411202", "02": "411203", "03": "411221", "04": "411224", "05": "411281", "06": "411282"}
KIND = {
    "01": "001",
    "10": "010",
    "02": "002",
    "03": "003",
    "05": "005",
    "04": "004",
    "06": "006",
    "09": "009",
    "11": "011",
}


def _case(column: str, mapping: dict[str, str], default: str) -> str:
    whens = " ".join(f"when '{k}' then '{v}'" for k, v in mapping.items())
    return f"coalesce(case {column} {whens} end, '{default}')"


def test_indicators_equal_an_independent_recomputation(built: Path, wh: duckdb.DuckDBPyConnection) -> None:
    months = [
        r[0]
        for r in wh.execute(
            "select tjny from marts.indicator_monthly_city where jce > 0 order by tjny desc limit 7"
        ).fetchall()
    ]
    for month in (months[0], months[6]):
        ym = month.replace("-", "")
        expected = wh.execute(f"""
            with t as (select * from {latest(built, "dp_indi_txn", "txn_no")} where substr(acct_dt, 1, 6) = '{ym}'),
            u as (select unit_no, {_case("area_cd", AREA, "411200")} as xzqh, {_case("unit_kind", KIND, "007")} as dwlb
                  from {latest(built, "cm_unit", "unit_no")})
            select coalesce(u.xzqh, '411200'), coalesce(u.dwlb, '007'),
                   sum(case when t.txn_type in ('HJ', 'BJ') then case t.dc when 'C' then t.amt else -t.amt end else 0 end),
                   count(distinct case when t.txn_type in ('HJ', 'BJ') and t.dc = 'C' then t.indi_acct end),
                   sum(case when t.txn_type in ('BT', 'XT') then t.amt else 0 end)
            from t left join u using (unit_no) group by 1, 2
            having sum(case when t.txn_type in ('HJ', 'BJ', 'BT', 'XT') then 1 else 0 end) > 0
            order by 1, 2""").fetchall()
        actual = wh.execute(f"""
            select xzqh, dwlb, jce, sjzgs, tqe from marts.indicator_monthly
            where tjny = '{month}' and (jce <> 0 or sjzgs <> 0 or tqe <> 0) order by 1, 2""").fetchall()
        assert [tuple(r) for r in actual] == [tuple(r) for r in expected], month
        loans = wh.execute(f"""
            select count(*), coalesce(sum(issue_amt), 0) from {latest(built, "ln_account", "loan_acct")}
            where substr(issue_dt, 1, 6) = '{ym}'""").fetchone()
        city = wh.execute(
            f"select dkffbs, dkffe from marts.indicator_monthly_city where tjny = '{month}'"
        ).fetchone()
        assert tuple(city) == tuple(loans), month
    # month-end deposit balance of the last month = Σ of every signed ledger amount
    total = wh.execute(f"""select sum(case dc when 'C' then amt else -amt end)
        from {latest(built, "dp_indi_txn", "txn_no")}""").fetchone()[0]
    assert (
        wh.execute(f"select jcye from marts.indicator_monthly_city where tjny = '{months[0]}'").fetchone()[0]
        == total
    )


def test_project_files_keep_dbt_artifacts_out_of_git() -> None:
    ignored = (PROJECT / ".gitignore").read_text(encoding="utf-8").split()
    assert "target/" in ignored and "logs/" in ignored


def test_the_publisher_knows_every_incremental_mart(built: Path) -> None:
    """publish.contract.INCREMENTAL_MARTS (carried over by delta) = the incremental marts of dbt, same keys."""
    import json

    from publish.contract import INCREMENTAL_MARTS

    nodes = json.loads((PROJECT / "target" / "manifest.json").read_text())["nodes"].values()
    incremental = {n["name"]: n["config"]["unique_key"] for n in nodes
                   if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental"
                   and n["config"]["schema"] == "marts"}
    assert incremental == {t: key for t, (key, _month) in INCREMENTAL_MARTS.items()}
