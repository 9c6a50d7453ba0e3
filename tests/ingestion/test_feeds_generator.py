"""Partner-feed generator: determinism, loadability, planted ground truth, overlap with the core.

Runs against a small core-system fixture built here from ``core_schema.metadata`` (SQLite), with
activity on both sides of the initial generation date so that an advance run has new records.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import create_engine

from gjj.settings import Settings
from ingestion import feed_loader
from ingestion.simulator import feeds, identity
from ingestion.simulator.core_schema import metadata

INITIAL_END = date(2026, 10, 31)
ADVANCE_END = date(2026, 11, 10)
SEED = 7


def _ymd(d: date | None) -> str | None:
    return None if d is None else d.strftime("%Y%m%d")


def build_core(path: Path, seed: int = 11, persons: int = 600) -> str:
    """A small, internally consistent core system: units, persons, accounts, withdrawals, loans."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    stamp = "20261110120000"
    n_units = 24
    uscc = identity.uscc_codes(rng, n_units, np.full(n_units, "411202"))
    uscc[:16] = np.array(["91" + u[2:] for u in uscc[:16]])  # most units are enterprises
    unit_st = ["N"] * 18 + ["X"] * 3 + ["F"] * 3
    units, unit_accts = [], []
    for i in range(n_units):
        no = f"U{i:011d}"
        found = date(2005, 1, 1) + timedelta(days=int(rng.integers(0, 4000)))
        opened = found + timedelta(days=int(rng.integers(30, 400)))
        closed = date(2024, 6, 30) if unit_st[i] == "X" else None
        units.append(
            (
                no,
                f"三门峡市第{i}实业有限公司",
                uscc[i],
                "湖滨区崤山路1号",
                str(identity.person_names(rng, 1)[0]),
                _ymd(found),
                stamp,
            )
        )
        unit_accts.append((no, unit_st[i], _ymd(opened), _ymd(closed), stamp))
    birth = (np.datetime64("1966-01-01") + rng.integers(0, 12000, persons)).astype("datetime64[D]")
    male = rng.random(persons) < 0.5
    certs = identity.id_numbers(rng, birth, male)
    names = identity.person_names(rng, persons)
    age = (np.datetime64("2026-10-31") - birth).astype(int) / 365.25
    marital = np.where(age < 24, "WH", rng.choice(np.array(["YH", "YH", "YH", "WH", "LY", "SO"]), persons))
    people, accts = [], []
    active_units = [u for u, st in zip(units, unit_st, strict=True) if st == "N"]
    for i in range(persons):
        cust = f"C{i:09d}"
        unit = active_units[i % len(active_units)][0]
        # the last 20 persons open their account in the advance window (new depositors)
        opened = (
            date(2026, 11, 1) + timedelta(days=i % 10)
            if i >= persons - 20
            else date(2012, 1, 1) + timedelta(days=int(rng.integers(0, 5000)))
        )
        last = "202610" if opened <= INITIAL_END else "202611"
        people.append(
            (
                cust,
                str(names[i]),
                "M" if male[i] else "F",
                "A",
                str(certs[i]),
                str(birth[i]).replace("-", ""),
                str(marital[i]),
                None,
                stamp,
            )
        )
        accts.append(
            (f"A{i:011d}", cust, unit, float(rng.integers(2100, 15000)), "0", _ymd(opened), None, last, stamp)
        )
    draws = []
    seq = 0

    def draw(acct: str, rsn: str, day: date, **kw: object) -> None:
        nonlocal seq
        seq += 1
        draws.append(
            (
                f"D{seq:013d}",
                acct,
                rsn,
                _ymd(day),
                1000.0,
                kw.get("unit"),
                kw.get("addr"),
                kw.get("price"),
                _ymd(kw.get("buy")),
                "1",
                stamp,
            )
        )  # type: ignore[arg-type]

    for i in range(0, 80):  # purchases, some in the advance window
        day = (
            date(2026, 11, 2) + timedelta(days=i % 8)
            if i >= 74
            else date(2016, 1, 1) + timedelta(days=int(rng.integers(0, 3900)))
        )
        draw(
            f"A{i:011d}",
            "0101",
            day,
            unit=f"411202001{i:03d}GB{i:05d}F{i:08d}",
            addr=f"河南省三门峡市湖滨区和平路{i}号",
            price=400000.0,
            buy=day - timedelta(days=40),
        )
    for i in range(80, 160):  # rent withdrawals, three a year
        for k in range(3):
            draw(f"A{i:011d}", "0105", date(2023, 3, 1) + timedelta(days=120 * k + i))
    for i in range(160, 185):  # deaths
        day = date(2026, 11, 3) if i >= 182 else date(2019, 1, 1) + timedelta(days=int(rng.integers(0, 2700)))
        draw(f"A{i:011d}", "0204", day)
        accts[i] = (*accts[i][:4], "4", accts[i][5], _ymd(day), "201812", stamp)
    for i in range(185, 195):  # hukou moved
        draw(f"A{i:011d}", "0203", date(2022, 5, 1) + timedelta(days=i))
    loans, loan_accts, morts, cobr = [], [], [], []
    for j, i in enumerate(range(200, 300)):
        no = f"L{j:013d}"
        sign = (
            date(2026, 10, 25) if j >= 96 else date(2015, 6, 1) + timedelta(days=int(rng.integers(0, 3900)))
        )
        issue = sign + timedelta(days=10)
        settled = j % 5 == 0 and issue < date(2025, 1, 1)
        unit_no = f"411203002{j:03d}GB{j:05d}F{j:08d}"
        loans.append(
            (
                no,
                f"A{i:011d}",
                str(names[i]),
                str(certs[i]),
                _ymd(sign),
                300000.0,
                "XF" if j % 2 else "ES",
                f"河南省三门峡市陕州区甘棠路{j}号",
                90.0,
                500000.0,
                unit_no,
                "三门峡建业置业有限公司",
                stamp,
            )
        )
        loan_accts.append(
            (
                f"K{j:013d}",
                no,
                _ymd(issue),
                0.0 if settled else 250000.0,
                "3" if settled else "1",
                _ymd(issue + timedelta(days=900)) if settled else None,
                stamp,
            )
        )
        morts.append(
            (
                f"M{j:013d}",
                no,
                f"豫(2020)三门峡市不动产权第{j:07d}号",
                f"豫(2020)三门峡市不动产证明第{j:07d}号",
                unit_no,
                _ymd(issue - timedelta(days=3)),
                _ymd(issue + timedelta(days=915)) if settled else None,
                stamp,
            )
        )
        if j % 2:
            sp_birth = np.array([birth[i] + np.timedelta64(400, "D")], dtype="datetime64[D]")
            cobr.append(
                (
                    f"B{j:015d}",
                    no,
                    str(identity.person_names(rng, 1)[0]),
                    str(identity.id_numbers(rng, sp_birth, np.array([not male[i]]))[0]),
                    "1",
                    stamp,
                )
            )
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "insert into cm_unit (unit_no, unit_nm, uscc, addr, legal_nm, found_dt, upd_tm) values (?,?,?,?,?,?,?)",
            units,
        )
        con.executemany(
            "insert into dp_unit_acct (unit_no, acct_st, open_dt, close_dt, upd_tm) values (?,?,?,?,?)",
            unit_accts,
        )
        con.executemany(
            "insert into cm_person (cust_no, cust_nm, sex, cert_type, cert_no, birth_dt, marital, home_addr, upd_tm) values (?,?,?,?,?,?,?,?,?)",
            people,
        )
        con.executemany(
            "insert into dp_indi_acct (indi_acct, cust_no, unit_no, base_amt, acct_st, open_dt, close_dt, last_pay_ym, upd_tm) values (?,?,?,?,?,?,?,?,?)",
            accts,
        )
        con.executemany(
            "insert into dw_draw (draw_no, indi_acct, draw_rsn, apply_dt, draw_amt, prop_unit_no, house_addr, house_price, buy_dt, status, upd_tm) values (?,?,?,?,?,?,?,?,?,?,?)",
            draws,
        )
        con.executemany(
            "insert into ln_contract (contract_no, indi_acct, borrower_nm, borrower_cert_no, sign_dt, loan_amt, house_kind, house_addr, house_area, house_price, prop_unit_no, seller_nm, upd_tm) values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            loans,
        )
        con.executemany(
            "insert into ln_account (loan_acct, contract_no, issue_dt, bal, loan_st, settle_dt, upd_tm) values (?,?,?,?,?,?,?)",
            loan_accts,
        )
        con.executemany(
            "insert into ln_mortgage (mort_no, contract_no, prop_cert_no, other_right_no, prop_unit_no, reg_dt, release_dt, upd_tm) values (?,?,?,?,?,?,?,?)",
            morts,
        )
        con.executemany(
            "insert into ln_coborrower (cobr_no, contract_no, cust_nm, cert_no, relation, upd_tm) values (?,?,?,?,?,?)",
            cobr,
        )
    con.close()
    return url


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def core_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_core(tmp_path_factory.mktemp("core") / "core.sqlite")


def _generate(
    root: Path, url: str, advance: bool = False
) -> tuple[Settings, feeds.FeedGeneration, feeds.FeedGeneration | None]:
    s = Settings(lakehouse_root=root)
    first = feeds.generate_feeds(s, url, INITIAL_END, INITIAL_END, SEED, initial=True)
    second = feeds.generate_feeds(s, url, INITIAL_END, ADVANCE_END, SEED, initial=False) if advance else None
    return s, first, second


@pytest.fixture(scope="module")
def generated(
    tmp_path_factory: pytest.TempPathFactory, core_url: str
) -> tuple[Settings, feeds.FeedGeneration, feeds.FeedGeneration]:
    s, first, second = _generate(tmp_path_factory.mktemp("feeds"), core_url, advance=True)
    assert second is not None
    return s, first, second


@pytest.fixture(scope="module")
def loaded(generated):  # type: ignore[no-untyped-def]
    s, _, _ = generated
    return s, feed_loader.load_feeds(s)


def _truth(path: Path | None) -> pl.DataFrame:
    assert path is not None
    return pl.read_csv(path, infer_schema=False)


def _core(url: str, sql: str) -> set[str]:
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return {str(r[0]) for r in con.execute(sql)}
    finally:
        con.close()


def _landed(s: Settings, feed: str, name: str) -> Path:
    """A generated file, waiting in landing or already moved to processed/ by the loader."""
    path = s.landing_dir / feed / name
    return path if path.exists() else s.landing_dir / feed / "processed" / name


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------ tests


def test_deterministic_for_a_seed(tmp_path: Path, core_url: str) -> None:
    a = _generate(tmp_path / "a", core_url, advance=True)
    b = _generate(tmp_path / "b", core_url, advance=True)
    files_a = {p.name: (_sha(p), p.stat().st_mtime) for p in a[1].files + a[2].files}  # type: ignore[union-attr]
    files_b = {p.name: (_sha(p), p.stat().st_mtime) for p in b[1].files + b[2].files}  # type: ignore[union-attr]
    assert files_a == files_b and len(files_a) > 20
    for x, y in ((a[1], b[1]), (a[2], b[2])):
        assert x is not None and y is not None
        assert _truth(x.truth_path).equals(_truth(y.truth_path))
    other = feeds.generate_feeds(
        Settings(lakehouse_root=tmp_path / "c"), core_url, INITIAL_END, INITIAL_END, SEED + 1, initial=True
    )
    assert not _truth(other.truth_path).equals(_truth(a[1].truth_path))


def test_formats_as_departments_send_them(generated) -> None:  # type: ignore[no-untyped-def]
    s, first, _ = generated
    names = {p.name for p in first.files}
    assert {"bdc_20261031.csv", "mz_20261031.csv", "ga_20261031.jsonl", "scjg_20261031.csv"} <= names
    assert sum(n.startswith("sb_") for n in names) == feeds.SB_INITIAL_MONTHS  # the last monthly files
    bdc = _landed(s, "bdc", "bdc_20261031.csv").read_bytes()
    assert bdc.decode("gb18030").startswith("业务号,不动产单元号")
    mz = _landed(s, "mz", "mz_20261031.csv").read_bytes()
    assert mz.startswith(b"\xef\xbb\xbf")
    assert _landed(s, "scjg", "scjg_20261031.csv").read_bytes().decode("gbk").startswith("统一社会信用代码")
    line = _landed(s, "ga", "ga_20261031.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert set(json.loads(line)) == {
        "id_no",
        "name",
        "sex",
        "birth_date",
        "hukou_address",
        "status",
        "death_date",
        "move_out_date",
    }


def test_loads_without_rejections_and_quarantine_matches_truth(loaded, generated) -> None:  # type: ignore[no-untyped-def]
    s, report = loaded
    _, first, second = generated
    assert (
        report.ok
        and report.count("rejected") == 0
        and report.count("loaded") == len(first.files) + len(second.files)
    )
    q = pl.read_delta(str(s.bronze_dir / "_meta" / "quarantine")).select(
        key=pl.format("{}|{}", "source_object", "row_number")
    )
    truth = pl.concat([_truth(first.truth_path), _truth(second.truth_path)])
    planted = truth.filter((pl.col("kind") == "quality") & (pl.col("rule_id") != "FEED-LATE"))
    assert set(q["key"]) == set(planted["record_key"])
    assert set(planted["dimension"]) == {"准确性", "完整性", "规范性"}


def test_planted_audit_rules_present_and_keyed_to_core(generated, core_url: str) -> None:  # type: ignore[no-untyped-def]
    _, first, _ = generated
    truth = _truth(first.truth_path)
    audit = truth.filter(pl.col("kind") == "audit")
    counts = dict(audit.group_by("rule_id").len().iter_rows())
    planned = feeds.load_plan().audit
    assert len(counts) >= 8
    for rule, spec in planned.items():
        assert counts.get(rule, 0) >= min(spec.min_count, 2), rule
    tables = {
        "dw_draw": "select draw_no from dw_draw",
        "ln_contract": "select contract_no from ln_contract",
        "dp_indi_acct": "select indi_acct from dp_indi_acct",
        "cm_person": "select cert_no from cm_person",
        "dp_unit_acct": "select unit_no from dp_unit_acct",
    }
    for table, keys in audit.group_by("table"):
        assert set(keys["record_key"]) <= _core(core_url, tables[str(table[0])]), table
    assert set(audit["source"]) == {"core"}


def test_planted_violations_visible_in_the_feeds(loaded, generated, core_url: str) -> None:  # type: ignore[no-untyped-def]
    s, _ = loaded
    _, first, _ = generated
    truth = _truth(first.truth_path)

    def keys(rule: str) -> list[str]:
        return truth.filter(pl.col("rule_id") == rule)["record_key"].to_list()

    bronze = {f: pl.read_delta(str(s.bronze_dir / "feeds" / f)) for f in feeds.FEEDS}
    ga, bdc, scjg = bronze["ga"], bronze["bdc"], bronze["scjg"]
    # GJ-08: recorded dead before the latest remittance month
    con = sqlite3.connect(core_url.removeprefix("sqlite:///"))
    for acct in keys("GJ-08"):
        cert, last = con.execute(
            "select p.cert_no, a.last_pay_ym from dp_indi_acct a join cm_person p using (cust_no) where indi_acct = ?",
            (acct,),
        ).fetchone()
        rec = ga.filter(pl.col("id_no") == cert).row(0, named=True)
        assert rec["status"] == "死亡" and rec["death_date"].strftime("%Y%m") < last
    # TQ-04: no death record (or one dated after the withdrawal)
    for draw in keys("TQ-04"):
        cert, applied = con.execute(
            "select p.cert_no, d.apply_dt from dw_draw d join dp_indi_acct a using (indi_acct) join cm_person p using (cust_no) where draw_no = ?",
            (draw,),
        ).fetchone()
        rec = ga.filter(pl.col("id_no") == cert)
        assert (
            rec.is_empty() or rec["status"][0] != "死亡" or rec["death_date"][0].strftime("%Y%m%d") > applied
        )
    # JC-17: the register spells the name differently
    for cert in keys("JC-17"):
        (name,) = con.execute("select cust_nm from cm_person where cert_no = ?", (cert,)).fetchone()
        assert ga.filter(pl.col("id_no") == cert)["name"].to_list() in (
            [],
            [n for n in ga.filter(pl.col("id_no") == cert)["name"] if n != name],
        )
    # DK-15: mortgage released while the loan is open; DK-14: no mortgage naming the center
    for contract in keys("DK-15"):
        (unit,) = con.execute(
            "select prop_unit_no from ln_mortgage where contract_no = ?", (contract,)
        ).fetchone()
        assert "抵押注销登记" in bdc.filter(pl.col("unit_no") == unit)["reg_type"].to_list()
    for contract in keys("DK-14"):
        (unit,) = con.execute(
            "select prop_unit_no from ln_mortgage where contract_no = ?", (contract,)
        ).fetchone()
        morts = bdc.filter((pl.col("unit_no") == unit) & (pl.col("reg_type") == "抵押登记"))
        assert feeds.CENTER not in morts["mortgagee"].to_list()
    # GJ-19: cancelled/revoked at 市场监管 while the unit account is normal
    for unit in keys("GJ-19"):
        (uscc,) = con.execute("select uscc from cm_unit where unit_no = ?", (unit,)).fetchone()
        assert scjg.filter(pl.col("uscc") == uscc)["status"].to_list()[0] in ("注销", "吊销")
    # GJ-18: social-security base outside 0.7–1.5× the HPF base
    sb = bronze["sb"].filter(
        pl.col("_source_object").is_in([p.name for p in first.files])
    )  # this run's months
    for acct in keys("GJ-18"):
        cert, base = con.execute(
            "select p.cert_no, a.base_amt from dp_indi_acct a join cm_person p using (cust_no) where indi_acct = ?",
            (acct,),
        ).fetchone()
        ratios = [float(b) / base for b in sb.filter(pl.col("id_no") == cert)["base_amount"]]
        assert ratios and all(r < 0.7 or r > 1.5 for r in ratios)
    # TQ-09: the withdrawing person holds no transfer registration
    for draw in keys("TQ-09"):
        (cert,) = con.execute(
            "select p.cert_no from dw_draw d join dp_indi_acct a using (indi_acct) join cm_person p using (cust_no) where draw_no = ?",
            (draw,),
        ).fetchone()
        assert bdc.filter((pl.col("holder_id_no") == cert) & (pl.col("reg_type") == "转移登记")).is_empty()
    con.close()
    # clean records stay within the agreed band (no planted GJ-18 outside the truth)
    core_ratio = sb.join(
        pl.DataFrame(
            [(c, float(b)) for c, b in sqlite3.connect(core_url.removeprefix("sqlite:///")).execute(
                "select p.cert_no, a.base_amt from dp_indi_acct a join cm_person p using (cust_no)")],
            schema={"id_no": pl.String, "hpf": pl.Float64}, orient="row",
        ),
        on="id_no",
    ).with_columns(r=pl.col("base_amount").cast(pl.Float64) / pl.col("hpf"))  # fmt: skip
    outside = core_ratio.filter((pl.col("r") < 0.7) | (pl.col("r") > 1.5))["id_no"].unique().len()
    assert outside == len(keys("GJ-18"))


def test_overlap_with_core(loaded, core_url: str) -> None:  # type: ignore[no-untyped-def]
    s, _ = loaded
    ga = pl.read_delta(str(s.bronze_dir / "feeds" / "ga"))
    certs = _core(core_url, "select cert_no from cm_person")
    assert set(ga["id_no"]) <= certs and len(set(ga["id_no"])) >= 0.95 * len(certs)
    bdc = pl.read_delta(str(s.bronze_dir / "feeds" / "bdc"))
    flats = _core(
        core_url,
        "select prop_unit_no from dw_draw where draw_rsn = '0101' union select prop_unit_no from ln_mortgage",
    )
    assert len(set(bdc["unit_no"]) & flats) >= 0.9 * len(flats)
    holders = set(bdc.filter(pl.col("reg_type") == "转移登记")["holder_id_no"])
    assert len(holders & certs) >= 100
    scjg = pl.read_delta(str(s.bronze_dir / "feeds" / "scjg"))
    assert set(scjg["uscc"]) <= _core(core_url, "select uscc from cm_unit")
    mz = pl.read_delta(str(s.bronze_dir / "feeds" / "mz"))
    spouses = set(mz["husband_id_no"]) & certs, set(mz["wife_id_no"]) & certs
    assert spouses[0] and spouses[1]
    married_core = mz.filter(
        pl.col("husband_id_no").is_in(list(certs)) & pl.col("wife_id_no").is_in(list(certs))
    )
    assert married_core.height >= 5  # depositors married to each other


def test_advance_run_writes_daily_files_and_one_late_file(generated, loaded) -> None:  # type: ignore[no-untyped-def]
    s, _, second = generated
    days = [(INITIAL_END + timedelta(days=i)).strftime("%Y%m%d") for i in range(1, 11)]
    names = {p.name for p in second.files}
    for feed in ("bdc", "mz", "ga", "scjg"):
        ext = "jsonl" if feed == "ga" else "csv"
        assert {f"{feed}_{d}.{ext}" for d in days} <= names
    assert "sb_20261031.xlsx" in names  # October's bases are due on 5 November
    truth = _truth(second.truth_path)
    late = truth.filter(pl.col("rule_id") == "FEED-LATE").row(0, named=True)
    assert late["dimension"] == "及时性" and late["record_key"] == second.late_file.name
    file_date = datetime.strptime(second.late_file.stem.split("_")[1], "%Y%m%d").date()
    feed = second.late_file.name.split("_")[0]
    fresh = {
        f.feed: f
        for f in feed_loader.check_freshness(
            s, datetime.combine(ADVANCE_END + timedelta(days=8), datetime.min.time())
        )
    }
    assert [x.file for x in fresh[feed].late_files] == [second.late_file.name]
    assert fresh[feed].late_files[0].file_date == file_date
    for f in fresh.values():  # every day of the window delivered (quiet days as empty files)
        assert all(d > ADVANCE_END for d in f.missing_dates), f.feed
        assert f.feed == feed or not f.late_files
    # new core activity in the window shows up: purchases, loans, new depositors
    bdc = pl.read_delta(str(s.bronze_dir / "feeds" / "bdc"))
    window = bdc.filter(pl.col("_source_object").is_in([f"bdc_{d}.csv" for d in days]))
    assert {"转移登记", "抵押登记"} <= set(window["reg_type"])
    ga = pl.read_delta(str(s.bronze_dir / "feeds" / "ga")).filter(
        pl.col("_source_object") != "ga_20261031.jsonl"
    )
    assert ga.height >= 20  # the 20 new depositors and the new deaths


@pytest.mark.integration
def test_real_generator_feeds_load(center: Settings) -> None:
    """The core-system generator writes the feeds too; they load without rejections."""
    report = feed_loader.load_feeds(center)
    assert report.ok and report.count("rejected") == 0 and report.count("loaded") >= 4 + feeds.SB_INITIAL_MONTHS
    truth = pl.concat(
        [pl.read_csv(p, infer_schema=False) for p in center.ground_truth_dir.glob("feeds-*.csv")]
    )
    assert truth.filter(pl.col("kind") == "audit")["rule_id"].n_unique() >= 8
