"""Core-system extraction into bronze (ingestion.core_extract), against SQLite, PostgreSQL and MySQL.

The PostgreSQL and MySQL cases (marked ``integration``) use a database of their own on the local
servers; an unreachable server fails the test, it is never skipped.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import duckdb_extensions
import pytest
import sqlalchemy as sa
from deltalake import DeltaTable

from gjj.settings import Settings
from ingestion import bronze, core_extract
from ingestion.core_extract import CoreExtractReport, extract_core, table_path
from ingestion.core_sql import plan_columns
from ingestion.simulator.core_schema import TABLES, metadata

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MY_SERVER = "mysql+pymysql://root@127.0.0.1:3306/test"
TEST_DB = "gjj_core_extract_test"  # own database: other suites use `test` on the same servers

DIALECTS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.integration),
    pytest.param("mysql", marks=pytest.mark.integration),
]
SEEDED = ["pb_bank", "fn_subject", "dp_unit_acct", "dp_indi_txn", "ln_plan"]
T0 = "20240104093000"  # the newest stamp in dp_indi_txn
LINEAGE = list(bronze.LINEAGE_COLUMNS)


# ---------------------------------------------------------------------------------------- core DB
class CoreDB:
    """A core-system database created from ``core_schema.metadata`` (dropped and re-created)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url)
        metadata.drop_all(self.engine)
        metadata.create_all(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        with warnings.catch_warnings(), self.engine.begin() as conn:
            # SQLite stores Decimal as REAL, as the simulator's data does
            warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively")
            conn.execute(metadata.tables[table].insert(), rows)

    def update(self, table: str, key: dict[str, Any], **values: Any) -> None:
        t = metadata.tables[table]
        cond = sa.and_(*(t.c[k] == v for k, v in key.items()))
        with warnings.catch_warnings(), self.engine.begin() as conn:
            warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively")
            assert conn.execute(t.update().where(cond).values(**values)).rowcount == 1

    def delete(self, table: str, key: dict[str, Any]) -> None:
        t = metadata.tables[table]
        with self.engine.begin() as conn:
            conn.execute(t.delete().where(sa.and_(*(t.c[k] == v for k, v in key.items()))))

    def execute(self, sql: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(sql))

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def _server_database(server: str) -> str:
    """URL of the test database on ``server``'s instance, created when missing."""
    url = sa.engine.make_url(server)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if url.get_backend_name() == "postgresql":
                if not conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": TEST_DB}
                ).first():
                    conn.execute(sa.text(f'CREATE DATABASE "{TEST_DB}"'))
            else:
                conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{TEST_DB}` CHARACTER SET utf8mb4"))
    finally:
        engine.dispose()
    return url.set(database=TEST_DB).render_as_string(hide_password=False)


@pytest.fixture
def make_core_db(tmp_path: Path) -> Iterator[Callable[[str], CoreDB]]:
    """Factory: an empty core database (all core tables) for ``sqlite``, ``postgresql`` or ``mysql``."""
    made: list[CoreDB] = []

    def make(dialect: str) -> CoreDB:
        if dialect == "sqlite":
            url = f"sqlite:///{tmp_path / f'core{len(made)}.sqlite'}"
        elif dialect == "postgresql":
            url = _server_database(PG_SERVER)
        elif dialect == "mysql":
            url = _server_database(MY_SERVER)
        else:
            raise ValueError(dialect)
        db = CoreDB(url)
        made.append(db)
        return db

    yield make
    for db in made:
        db.engine.dispose()


def seed(db: CoreDB) -> None:
    """A few dozen rows over reference and incremental tables (amounts as Decimal)."""
    db.insert(
        "pb_bank",
        [
            {"bank_cd": "102", "bank_nm": "中国工商银行", "upd_tm": "20231201090000"},
            {"bank_cd": "105", "bank_nm": "中国建设银行", "upd_tm": "20231201090000"},
            {"bank_cd": "C1", "bank_nm": "城市商业银行 ", "upd_tm": "20231201090000"},  # short CHAR(3) key
        ],
    )
    db.insert(
        "fn_subject",
        [
            {
                "subj_cd": "101",
                "subj_nm": "现金",
                "subj_lvl": 1,
                "subj_attr": "1",
                "bal_dir": "J",
                "upd_tm": "20231201090000",
            },
            {
                "subj_cd": "201",
                "subj_nm": "住房公积金",
                "subj_lvl": 1,
                "subj_attr": "2",
                "bal_dir": "D",
                "upd_tm": "20231201090000",
            },
            {
                "subj_cd": "20101",
                "subj_nm": "个人住房公积金",
                "subj_lvl": 2,
                "subj_attr": "2",
                "bal_dir": "D",
                "upd_tm": "20231201090000",
            },
        ],
    )
    db.insert(
        "dp_unit_acct",
        [
            {
                "unit_no": f"4112000000{i:02d}",
                "acct_st": "N",
                "unit_prop": Decimal("0.1200"),
                "indi_prop": Decimal("0.0500") + Decimal(i) / 1000,
                "pay_cnt": 10 * i,
                "seal_cnt": i,
                "bal": Decimal("12345678901234.56") if i == 1 else Decimal(f"{1000 * i}.25"),
                "paid_to_ym": "202312",
                "open_dt": "20160101",
                "upd_tm": f"2024010{i}093000",
            }
            for i in range(1, 5)
        ],
    )
    db.insert(
        "dp_indi_txn",
        [
            {
                "txn_no": f"T{i:015d}",
                "indi_acct": f"4112000{i % 5:05d}",
                "unit_no": "411200000001",
                "txn_type": "HJ" if i % 3 else "BT",
                "dc": "C" if i % 3 else "D",
                "acct_dt": f"202401{1 + i // 5:02d}",
                "amt": Decimal(f"{100 + 7 * i}.{i:02d}"),
                "int_amt": None if i % 4 else Decimal("0.05"),
                "bal": Decimal(f"{5000 + 13 * i}.10"),
                "pay_ym": "202401",
                "rev_flag": "0",
                "remark": "汇缴" if i % 2 else None,
                # several rows share each second, the newest one included
                "upd_tm": f"2024010{1 + i // 5}093000",
            }
            for i in range(20)
        ],
    )
    db.insert(
        "ln_plan",
        [
            {
                "loan_acct": "L0000000000001",
                "term_no": n,
                "due_dt": f"2024{n:02d}20",
                "plan_amt": Decimal("3210.55"),
                "plan_prin": Decimal("2500.00") + n,
                "plan_int": Decimal("710.55") - n,
                "plan_st": "1" if n < 3 else "0",
                "upd_tm": "20240103093000",
            }
            for n in range(1, 7)
        ],
    )


# ---------------------------------------------------------------------------------------- helpers
@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Small batches: every stream spans several Arrow batches (row numbers, counts, prefetch).
    return Settings(lakehouse_root=tmp_path / "lake", extract_batch_rows=7)


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    duckdb_extensions.import_extension("delta", con=con)
    con.execute("LOAD delta")
    con.execute("SET TimeZone = 'UTC'")
    return con


def read_delta(path: Path, order: str | None = None) -> list[dict[str, Any]]:
    """Rows of a Delta table (through DuckDB's delta reader)."""
    con = _con()
    try:
        sql = f"SELECT * FROM delta_scan('{path}')" + (f" ORDER BY {order}" if order else "")
        return con.execute(sql).to_arrow_table().to_pylist()
    finally:
        con.close()


def delta_types(path: Path) -> dict[str, str]:
    con = _con()
    try:
        return {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM delta_scan('{path}')").fetchall()}
    finally:
        con.close()


def bronze_rows(settings: Settings, table: str) -> list[dict[str, Any]]:
    return read_delta(table_path(settings, table), order=", ".join(TABLES[table].keys) + ", _ingested_at")


def latest(settings: Settings, table: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Latest bronze version per key (max(_ingested_at, upd_tm)), source columns only."""
    keys = TABLES[table].keys
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in bronze_rows(settings, table):
        k = tuple(row[c] for c in keys)
        if k not in out or (row["_ingested_at"], row["upd_tm"]) >= (out[k]["_ingested_at"], out[k]["upd_tm"]):
            out[k] = row
    names = [c.name for c in metadata.tables[table].columns]
    return {k: {c: v[c] for c in names} for k, v in out.items()}


def source_rows(db: CoreDB, table: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Source rows as bronze should hold them (typed, CHAR padding dropped)."""
    t = metadata.tables[table]
    plans = {p.name: p for p in plan_columns(t)}
    cols = [sa.type_coerce(c, sa.String) if plans[c.name].kind in ("char", "text") else c for c in t.columns]
    with warnings.catch_warnings(), db.engine.connect() as conn:
        warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively")
        result = conn.execute(sa.select(*cols)).mappings().all()
    out = {}
    for row in result:
        clean = {}
        for name, value in row.items():
            p = plans[name]
            if p.kind == "char" and value is not None:
                value = value.rstrip(" ")
            elif p.kind == "decimal" and value is not None:
                value = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(p.target.split(",")[1][:-1])))
            clean[name] = value
        out[tuple(clean[k] for k in TABLES[table].keys)] = clean
    return out


def batch(report: CoreExtractReport, table: str) -> bronze.BatchLog:
    [log] = [b for b in report.batches if b.source_object == table]
    return log


def assert_reconciled(report: CoreExtractReport) -> None:
    for b in report.batches:
        assert b.reconciled, b
        assert b.rows_read == b.rows_bronze + b.rows_quarantine + b.rows_already_loaded


def quarantine_rows(settings: Settings) -> list[dict[str, Any]]:
    path = bronze.meta_path(settings.bronze_dir, "quarantine")
    return (
        read_delta(path, order="source_object, batch_id, row_number")
        if DeltaTable.is_deltatable(str(path))
        else []
    )


# ---------------------------------------------------------------------------------------- tests
def test_column_plans_follow_core_schema() -> None:
    plans = {p.name: p for p in plan_columns(metadata.tables["dp_unit_acct"])}
    assert (plans["bal"].target, plans["bal"].kind) == ("DECIMAL(16,2)", "decimal")
    assert plans["unit_prop"].target == "DECIMAL(5,4)"
    assert (plans["pay_cnt"].target, plans["pay_cnt"].kind) == ("INTEGER", "integer")
    assert (plans["unit_no"].target, plans["unit_no"].kind) == ("VARCHAR", "char")
    assert plans["bal"].label == "bal(单位账户余额)"
    # every core column has a mapping
    for table in metadata.sorted_tables:
        assert len(plan_columns(table)) == len(table.columns)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_first_extraction_loads_every_row_with_lineage(make_core_db, settings, dialect) -> None:
    db = make_core_db(dialect)
    seed(db)
    report = extract_core(settings, db.url)

    assert report.ok, report.summary()
    assert_reconciled(report)
    assert {b.source_object for b in report.batches} == set(TABLES)
    for table in TABLES:
        assert DeltaTable.is_deltatable(str(table_path(settings, table))), table  # empty ones too
    for table in SEEDED:
        log = batch(report, table)
        n = db.count(table)
        assert (log.rows_read, log.rows_bronze, log.rows_quarantine, log.rows_already_loaded) == (n, n, 0, 0)
        assert log.extra["seq"] == "1"
        rows = bronze_rows(settings, table)
        assert len(rows) == n
        for row in rows:
            assert row["_source_system"] == "core"
            assert row["_source_object"] == table
            assert row["_batch_id"] == log.batch_id
            assert re.fullmatch(r"[0-9a-f]{32}", row["_row_hash"])
            assert row["_ingested_at"].tzinfo is not None
        assert latest(settings, table) == source_rows(db, table)
        assert DeltaTable(str(table_path(settings, table))).transaction_version(f"core:{table}") == 1

    assert batch(report, "dp_indi_txn").batch_id == f"core:dp_indi_txn:0-{T0}"
    assert batch(report, "dp_indi_txn").watermark_to == T0
    assert batch(report, "pb_bank").batch_id == "core:pb_bank:full-20231201090000"
    # declared types, not the source's storage types
    types = delta_types(table_path(settings, "dp_unit_acct"))
    assert types["bal"] == "DECIMAL(16,2)" and types["unit_prop"] == "DECIMAL(5,4)"
    assert types["pay_cnt"] == "INTEGER" and types["unit_no"] == "VARCHAR"
    assert types["_ingested_at"] == "TIMESTAMP WITH TIME ZONE" and types["_row_hash"] == "VARCHAR"
    # 16 significant digits survive SQLite's REAL storage; CHAR padding is gone
    bal = {r["unit_no"]: r["bal"] for r in bronze_rows(settings, "dp_unit_acct")}
    assert bal["411200000001"] == Decimal("12345678901234.56")
    assert {r["bank_cd"] for r in bronze_rows(settings, "pb_bank")} == {"102", "105", "C1"}
    # every batch is in the ingestion log
    log_rows = read_delta(bronze.meta_path(settings.bronze_dir, "ingestion_log"))
    assert sorted(r["source_object"] for r in log_rows) == sorted(TABLES)
    assert "dp_indi_txn" in report.summary() and "TOTAL" in report.summary()


@pytest.mark.integration
def test_bronze_is_identical_whichever_database(make_core_db, tmp_path) -> None:
    contents = {}
    for dialect in ("sqlite", "postgresql", "mysql"):
        db = make_core_db(dialect)
        seed(db)
        # more digits than the scale: each database rounds the written value half away from zero
        db.update(
            "dp_indi_txn", {"txn_no": "T000000000000001"}, amt=Decimal("1.005"), int_amt=Decimal("10.075")
        )
        settings = Settings(lakehouse_root=tmp_path / dialect, extract_batch_rows=7)
        report = extract_core(settings, db.url, tables=SEEDED)
        assert report.ok, report.summary()
        contents[dialect] = {
            table: (
                delta_types(table_path(settings, table)),
                [{k: v for k, v in r.items() if k != "_ingested_at"} for r in bronze_rows(settings, table)],
            )
            for table in SEEDED
        }
    txn = {r["txn_no"]: r for r in contents["sqlite"]["dp_indi_txn"][1]}["T000000000000001"]
    assert (txn["amt"], txn["int_amt"]) == (Decimal("1.01"), Decimal("10.08"))
    assert contents["postgresql"] == contents["sqlite"]
    assert contents["mysql"] == contents["sqlite"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_incremental_run_brings_exactly_new_and_updated_rows(make_core_db, settings, dialect) -> None:
    db = make_core_db(dialect)
    seed(db)
    first = extract_core(settings, db.url, tables=SEEDED)
    assert first.ok, first.summary()
    at_t0 = [r for r in source_rows(db, "dp_indi_txn").values() if r["upd_tm"] == T0]

    t1 = "20240106100000"
    # an update with a new stamp, a new row, and — within the watermark's own second — an update and an insert
    db.update("dp_indi_txn", {"txn_no": "T000000000000003"}, amt=Decimal("999.99"), upd_tm=t1)
    db.insert("dp_indi_txn", [{**_txn(100), "upd_tm": t1}, {**_txn(101), "upd_tm": T0}])
    db.update("dp_indi_txn", {"txn_no": at_t0[0]["txn_no"]}, remark="同秒更正", upd_tm=T0)
    db.update("dp_unit_acct", {"unit_no": "411200000002"}, bal=Decimal("77.70"), upd_tm=t1)

    second = extract_core(settings, db.url, tables=SEEDED)
    assert second.ok, second.summary()
    assert_reconciled(second)
    log = batch(second, "dp_indi_txn")
    assert log.watermark_from == T0 and log.watermark_to == t1
    assert log.batch_id == f"core:dp_indi_txn:{T0}-{t1}"
    assert log.rows_bronze == 4
    # rows of the watermark's second that did not change are read again but not re-loaded
    assert log.rows_already_loaded == len(at_t0) - 1
    assert log.extra["seq"] == "2"
    new = [r for r in bronze_rows(settings, "dp_indi_txn") if r["_batch_id"] == log.batch_id]
    assert sorted(r["txn_no"] for r in new) == sorted(
        ["T000000000000003", f"T{100:015d}", f"T{101:015d}", at_t0[0]["txn_no"]]
    )
    assert batch(second, "dp_unit_acct").rows_bronze == 1
    for table in ("pb_bank", "fn_subject", "ln_plan"):
        assert batch(second, table).rows_bronze == 0
    for table in SEEDED:
        assert latest(settings, table) == source_rows(db, table), table
    assert len(bronze_rows(settings, "dp_indi_txn")) == 20 + 4  # append-only: old versions stay

    versions = {t: DeltaTable(str(table_path(settings, t))).version() for t in SEEDED}
    third = extract_core(settings, db.url, tables=SEEDED)
    assert third.ok, third.summary()
    assert_reconciled(third)
    for b in third.batches:
        assert b.rows_bronze == 0 and b.rows_quarantine == 0
        assert b.rows_read == b.rows_already_loaded > 0
        assert "seq" not in b.extra  # no commit, no sequence number consumed
    assert {t: DeltaTable(str(table_path(settings, t))).version() for t in SEEDED} == versions
    assert DeltaTable(str(table_path(settings, "dp_indi_txn"))).transaction_version("core:dp_indi_txn") == 2


def _txn(i: int) -> dict[str, Any]:
    return {
        "txn_no": f"T{i:015d}",
        "indi_acct": "411200000001",
        "txn_type": "HJ",
        "dc": "C",
        "acct_dt": "20240106",
        "amt": Decimal("10.00") + i,
        "rev_flag": "0",
    }


@pytest.mark.parametrize("dialect", DIALECTS)
def test_reference_tables_append_only_changed_rows(make_core_db, settings, dialect) -> None:
    db = make_core_db(dialect)
    seed(db)
    tables = ["pb_bank", "fn_subject"]
    first = extract_core(settings, db.url, tables=tables)
    assert [batch(first, t).rows_bronze for t in tables] == [3, 3]

    unchanged = extract_core(settings, db.url, tables=tables)
    assert [(b.rows_read, b.rows_bronze, b.rows_already_loaded) for b in unchanged.batches] == [
        (3, 0, 3),
        (3, 0, 3),
    ]

    db.update("pb_bank", {"bank_cd": "105"}, bank_nm="建设银行", upd_tm="20240201090000")
    db.delete("fn_subject", {"subj_cd": "101"})
    changed = extract_core(settings, db.url, tables=tables)
    assert changed.ok, changed.summary()
    assert_reconciled(changed)
    assert (batch(changed, "pb_bank").rows_bronze, batch(changed, "pb_bank").rows_already_loaded) == (1, 2)
    assert batch(changed, "fn_subject").rows_bronze == 0
    assert batch(changed, "fn_subject").extra["keys_missing_at_source"] == "1"
    assert "不在源表" in batch(changed, "fn_subject").message

    # back to the old name: differs from the latest version, so it is appended again
    db.update("pb_bank", {"bank_cd": "105"}, bank_nm="中国建设银行", upd_tm="20240301090000")
    reverted = extract_core(settings, db.url, tables=["pb_bank"])
    assert batch(reverted, "pb_bank").rows_bronze == 1
    assert latest(settings, "pb_bank") == source_rows(db, "pb_bank")
    assert len(bronze_rows(settings, "pb_bank")) == 5


@pytest.mark.parametrize("method", ["auto", "sqlalchemy"])
def test_bad_values_go_to_quarantine_and_nothing_is_lost(make_core_db, settings, method) -> None:
    db = make_core_db("sqlite")  # only SQLite lets a core table hold text in a NUMERIC column
    seed(db)
    db.execute(
        "INSERT INTO dp_indi_txn (txn_no, indi_acct, txn_type, dc, acct_dt, amt, rev_flag, upd_tm) "
        "VALUES ('TBAD00000000001', '411200000001', 'HJ', 'C', '20240105', 'abc', '0', '20240104093000'), "
        "('TBAD00000000002', '411200000001', 'HJ', 'C', '20240105', 5, '0', 'garbage-stamp')"
    )
    db.execute(
        "INSERT INTO fn_subject (subj_cd, subj_nm, subj_lvl, upd_tm) VALUES ('999', '错误级别', 1.5, '20231201090000')"
    )
    first = extract_core(settings, db.url, tables=SEEDED, method=method)
    assert not any(b.status == "error" for b in first.batches), first.summary()
    assert first.ok
    assert_reconciled(first)

    txn = batch(first, "dp_indi_txn")
    assert (txn.rows_read, txn.rows_bronze, txn.rows_quarantine) == (22, 20, 2)
    assert txn.watermark_to == T0  # the malformed stamp does not move the watermark
    assert batch(first, "fn_subject").rows_quarantine == 1
    quarantined = {
        r["source_object"] + ":" + json.loads(r["raw"])[TABLES[r["source_object"]].keys[0]]: r
        for r in quarantine_rows(settings)
    }
    assert set(quarantined) == {
        "dp_indi_txn:TBAD00000000001",
        "dp_indi_txn:TBAD00000000002",
        "fn_subject:999",
    }

    amt = quarantined["dp_indi_txn:TBAD00000000001"]
    assert amt["field"] == "amt"
    assert "无法转换为数值" in amt["reason"] and "not numeric" in amt["reason"] and "'abc'" in amt["reason"]
    assert json.loads(amt["raw"])["amt"] == "abc"
    assert amt["batch_id"] == txn.batch_id and amt["source_system"] == "core"
    # a database row is identified by its key (in the raw row); its position in the batch is 1-based but
    # follows the parallel read, not a guaranteed source order
    assert json.loads(amt["raw"])["txn_no"] == "TBAD00000000001"
    assert 1 <= amt["row_number"] <= txn.rows_read

    stamp = quarantined["dp_indi_txn:TBAD00000000002"]
    assert (
        stamp["field"] == "upd_tm"
        and "YYYYMMDDHHMMSS" in stamp["reason"]
        and "garbage-stamp" in stamp["reason"]
    )
    level = quarantined["fn_subject:999"]
    assert level["field"] == "subj_lvl" and "整数" in level["reason"] and "'1.5'" in level["reason"]

    bronze_keys = {r["txn_no"] for r in bronze_rows(settings, "dp_indi_txn")}
    assert not bronze_keys & {"TBAD00000000001", "TBAD00000000002"}
    assert len(bronze_keys) == 20
    # the typed scan gave way to text for this table; it left no stray files behind
    if method == "auto":
        assert "re-read as text" in txn.message
        table_dir = table_path(settings, "dp_indi_txn")
        committed = {Path(u).name for u in DeltaTable(str(table_dir)).file_uris()}
        assert {p.name for p in table_dir.glob("*.parquet")} == committed
    # exact amounts on the text path too
    bal = {r["unit_no"]: r["bal"] for r in bronze_rows(settings, "dp_unit_acct")}
    assert bal["411200000001"] == Decimal("12345678901234.56")

    again = extract_core(settings, db.url, tables=SEEDED, method=method)
    assert again.ok, again.summary()
    assert_reconciled(again)
    assert batch(again, "dp_indi_txn").rows_quarantine == 0
    assert batch(again, "dp_indi_txn").extra["already_quarantined"] == "2"
    assert batch(again, "fn_subject").extra["already_quarantined"] == "1"
    assert len(quarantine_rows(settings)) == 3


def test_a_flood_of_bad_rows_aborts_the_batch_instead(make_core_db, settings, monkeypatch) -> None:
    db = make_core_db("sqlite")
    seed(db)
    db.execute(f"UPDATE dp_indi_txn SET amt = 'n/a' WHERE upd_tm >= '{T0}'")  # 5 bad rows
    monkeypatch.setattr(core_extract, "QUARANTINE_MAX_ROWS", 3)
    report = extract_core(settings, db.url, tables=["dp_indi_txn", "pb_bank"])
    log = batch(report, "dp_indi_txn")
    assert log.status == "error" and "bad rows" in log.message and not report.ok
    assert batch(report, "pb_bank").status == "ok"
    table_dir = table_path(settings, "dp_indi_txn")
    assert not DeltaTable.is_deltatable(str(table_dir))  # nothing committed ...
    assert not list(table_dir.glob("*.parquet"))  # ... and nothing left behind
    assert quarantine_rows(settings) == []


def test_typed_scan_and_text_read_give_the_same_rows(make_core_db, settings) -> None:
    """SQLite REALs with more digits than the column's scale round as written (1.005 -> 1.01, as
    PostgreSQL does), whether the table is read by the typed scan or as text inside SQLite."""
    db = make_core_db("sqlite")
    seed(db)
    db.execute(f"UPDATE dp_indi_txn SET amt = 1.005, int_amt = 10.075, bal = 0.1 + 0.2 WHERE upd_tm = '{T0}'")
    first = extract_core(settings, db.url, tables=["dp_indi_txn"])
    assert batch(first, "dp_indi_txn").extra["read"] == "scan"
    at_t0 = [r for r in bronze_rows(settings, "dp_indi_txn") if r["upd_tm"] == T0]
    assert {(r["amt"], r["int_amt"], r["bal"]) for r in at_t0} == {
        (Decimal("1.01"), Decimal("10.08"), Decimal("0.30"))
    }

    # the watermark's second (5 of 20 rows) is read again, now as text inside SQLite: same hashes
    second = extract_core(settings, db.url, tables=["dp_indi_txn"])
    log = batch(second, "dp_indi_txn")
    assert log.extra["read"] == "native"
    assert (log.rows_read, log.rows_already_loaded, log.rows_bronze) == (5, 5, 0)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sqlalchemy_stream_gives_the_same_bronze_as_the_scanner(make_core_db, tmp_path, dialect) -> None:
    db = make_core_db(dialect)
    seed(db)
    results = {}
    for method in ("scanner", "sqlalchemy"):
        settings = Settings(lakehouse_root=tmp_path / method, extract_batch_rows=7)
        report = extract_core(settings, db.url, tables=SEEDED, method=method)
        assert report.ok, report.summary()
        assert report.method.startswith("duckdb" if method == "scanner" else "sqlalchemy")
        results[method] = {
            t: [{k: v for k, v in r.items() if k != "_ingested_at"} for r in bronze_rows(settings, t)]
            for t in SEEDED
        }
    assert results["sqlalchemy"] == results["scanner"]


def test_a_failing_table_does_not_stop_the_others(make_core_db, settings) -> None:
    db = make_core_db("sqlite")
    seed(db)
    db.execute("DROP TABLE ln_plan")
    report = extract_core(settings, db.url, tables=SEEDED)
    assert not report.ok
    failed = batch(report, "ln_plan")
    assert failed.status == "error" and "ln_plan" in failed.message
    for table in set(SEEDED) - {"ln_plan"}:
        assert batch(report, table).status == "ok"
        assert batch(report, table).rows_bronze == db.count(table)
    assert "FAILED" in report.summary() and "ln_plan" in report.summary()
    logged = {
        r["source_object"]: r["status"]
        for r in read_delta(bronze.meta_path(settings.bronze_dir, "ingestion_log"))
    }
    assert logged["ln_plan"] == "error" and logged["dp_indi_txn"] == "ok"


def test_reconciliation_mismatch_fails_the_report_and_keeps_the_watermark(
    make_core_db, settings, monkeypatch
) -> None:
    db = make_core_db("sqlite")
    seed(db)
    real = core_extract._committed_rows

    def short_by_one(path: Path, batch_id: str, seq: int | None) -> int:
        return real(path, batch_id, seq) - 1

    monkeypatch.setattr(core_extract, "_committed_rows", short_by_one)
    report = extract_core(settings, db.url, tables=["dp_indi_txn"])
    log = batch(report, "dp_indi_txn")
    assert not report.ok and log.status == "error" and not log.reconciled
    assert "对账不平" in log.message and "reconciliation mismatch" in log.message
    assert "UNRECONCILED" in report.summary()

    # the failed batch does not count as the watermark: the next run re-reads and finds it all loaded
    monkeypatch.setattr(core_extract, "_committed_rows", real)
    again = extract_core(settings, db.url, tables=["dp_indi_txn"])
    assert again.ok
    assert batch(again, "dp_indi_txn").watermark_from is None
    assert (batch(again, "dp_indi_txn").rows_bronze, batch(again, "dp_indi_txn").rows_already_loaded) == (
        0,
        20,
    )


def test_cli_ingest_exits_1_when_the_core_extraction_is_not_ok(make_core_db, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from gjj.cli import app
    from gjj.settings import get_settings

    db = make_core_db("sqlite")
    seed(db)
    monkeypatch.setenv("GJJ_LAKEHOUSE_ROOT", str(tmp_path / "cli"))
    get_settings.cache_clear()
    try:
        ok = CliRunner().invoke(app, ["ingest", "--no-feeds", "--core-db-url", db.url])
        assert ok.exit_code == 0, ok.output
        assert "core extraction" in ok.output and "OK" in ok.output

        db.insert("dp_indi_txn", [{**_txn(200), "upd_tm": "20240201000000"}])
        monkeypatch.setattr(core_extract, "_committed_rows", lambda path, batch_id, seq: 0)
        failed = CliRunner().invoke(app, ["ingest", "--no-feeds", "--core-db-url", db.url])
        assert failed.exit_code == 1
        assert "UNRECONCILED" in failed.output and "对账不平" in failed.output
    finally:
        get_settings.cache_clear()


def test_watermark_lives_in_the_ingestion_log_and_can_be_rewound(make_core_db, settings) -> None:
    db = make_core_db("sqlite")
    seed(db)
    extract_core(settings, db.url, tables=["dp_indi_txn"])
    con = _con()
    try:
        assert core_extract.current_watermarks(settings.bronze_dir, con) == {"dp_indi_txn": T0}
    finally:
        con.close()

    # a steward rewinds the table by logging an earlier watermark
    rewind = bronze.BatchLog("manual-rewind", "core", "dp_indi_txn", datetime.now(UTC), datetime.now(UTC))
    rewind.watermark_to = "20240102000000"
    bronze.write_log(settings.bronze_dir, [rewind])
    report = extract_core(settings, db.url, tables=["dp_indi_txn"])
    log = batch(report, "dp_indi_txn")
    assert log.watermark_from == "20240102000000" and log.watermark_to == T0
    assert log.rows_read == 15 and log.rows_already_loaded == 15 and log.rows_bronze == 0


def test_missing_bronze_table_is_extracted_again_in_full(make_core_db, settings) -> None:
    db = make_core_db("sqlite")
    seed(db)
    extract_core(settings, db.url, tables=["dp_indi_txn"])
    # a reset bronze table: the log still remembers a watermark, the table is gone
    table_path(settings, "dp_indi_txn").rename(str(table_path(settings, "dp_indi_txn")) + "_old")
    report = extract_core(settings, db.url, tables=["dp_indi_txn"])
    log = batch(report, "dp_indi_txn")
    assert report.ok and log.watermark_from is None and log.rows_bronze == 20
    assert "full re-extract" in log.message


def test_unreachable_source_fails_every_table(settings, tmp_path) -> None:
    report = extract_core(settings, f"sqlite:///{tmp_path / 'missing.sqlite'}", tables=SEEDED)
    assert not report.ok
    assert report.error and "core database not found" in report.error
    assert [b.status for b in report.batches] == ["error"] * len(SEEDED)
    assert "ERROR" in report.summary()


def test_unknown_table_is_refused(settings) -> None:
    with pytest.raises(ValueError, match="unknown core tables"):
        extract_core(settings, "sqlite:///x.sqlite", tables=["nope"])
