"""Simulated partner-department feeds (数据共享 inbound), derived from the core business system.

Five departments send files into ``landing/<feed>/`` in the formats they really use:

| feed | department | format | file |
| --- | --- | --- | --- |
| bdc  | 不动产登记 real-estate registry | CSV, GB18030, Chinese headers | ``bdc_YYYYMMDD.csv`` daily |
| mz   | 民政 marriage registry | CSV, UTF-8 with BOM | ``mz_YYYYMMDD.csv`` daily |
| ga   | 公安 population register | JSON Lines, UTF-8 | ``ga_YYYYMMDD.jsonl`` daily |
| sb   | 社保 contribution bases | xlsx, sheet 缴费基数 | ``sb_YYYYMMDD.xlsx`` monthly (month end) |
| scjg | 市场监管 business registry | CSV, GBK | ``scjg_YYYYMMDD.csv`` daily |

The feeds agree with the core system (same ID numbers, flats, units) except where violations of the
audit rules that need partner data are planted (``feed_plants.yaml``), plus feed-quality defects.
Everything planted is listed in ``ground_truth/feeds-YYYYMMDD.csv``.

Initial generation writes the full history as of ``end`` (one file per daily feed dated ``end``,
the last ``SB_INITIAL_MONTHS`` monthly sb files). An incremental run writes one file per day in (start, end] (empty
days give header-only files) with the records that new core activity implies: every record has a
*trigger* — the core date that makes it known (withdrawal application, loan issue, mortgage release,
first account opening, unit opening/closing) — and is written in the run whose window holds it.

Timeliness: a file's name carries its data date; its arrival time is the file's modification time
(set here to the simulated delivery time: daily files the next morning before 08:00, monthly files
on the 3rd of the next month). In an incremental run one daily file arrives ``delay_days`` after its
deadline (its name keeps the earlier data date, its arrival time is later): the loader records both
(``bronze/_meta/loaded_files``: ``file_date``, ``arrived_at``) and ``feed_loader.check_freshness``
compares them with the contract's SLA.

Randomness is keyed: per-record choices come from a stable hash of (seed, purpose, record key), so
the same record gets the same attributes in an initial and in an incremental run; the per-feed
numpy Generator (seeded from seed + feed name + end date) only jitters arrival times.
"""

from __future__ import annotations

import csv
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import duckdb
import numpy as np
import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict

from gjj.settings import Settings
from ingestion.feed_contracts import CHINA_TZ, FeedContract, load_contracts
from ingestion.simulator import identity
from ingestion.simulator.writer import duckdb_attach

FEEDS = ("bdc", "mz", "ga", "sb", "scjg")
CENTER = "三门峡市住房公积金管理中心"
BANK_MORTGAGEE = "中国建设银行股份有限公司三门峡分行"
PLAN_PATH = Path(__file__).with_name("feed_plants.yaml")
TRUTH_COLUMNS = ["rule_id", "kind", "dimension", "source", "table", "record_key", "note"]
_D = pl.Date


# ============================================================================ plan and result


class RulePlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    share: float
    min_count: int = 0
    dimension: str = ""
    description: str = ""


class LatePlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feed: str = "mz"
    delay_days: int = 3


class FeedPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    audit: dict[str, RulePlan]
    quality: dict[str, RulePlan]
    late_file: LatePlan = LatePlan()
    core_pair_share: float = 0.3

    def rule(self, rule_id: str) -> RulePlan:
        return self.audit.get(rule_id) or self.quality[rule_id]


def load_plan(path: Path = PLAN_PATH) -> FeedPlan:
    return FeedPlan.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass
class FeedGeneration:
    start: date
    end: date
    seed: int
    initial: bool
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    truth_path: Path | None = None
    truth_rows: int = 0
    truth_by_rule: dict[str, int] = field(default_factory=dict)
    late_file: Path | None = None

    def summary(self) -> str:
        mode = "initial (full history)" if self.initial else f"incremental ({self.start}, {self.end}]"
        lines = [
            f"partner feeds {mode}: {len(self.files)} files, ground truth {self.truth_rows} rows → {self.truth_path}"
        ]
        lines += [f"  {f:<5} {n:>10,} rows" for f, n in self.rows.items()]
        lines.append("  planted: " + ", ".join(f"{r} {n}" for r, n in sorted(self.truth_by_rule.items())))
        if self.late_file:
            lines.append(f"  late file: {self.late_file.name}")
        return "\n".join(lines)


# ============================================================================ keyed randomness

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _hash64(keys: np.ndarray | pl.Series | list[str], salt: str) -> np.ndarray:
    """Stable 64-bit hash of each key (FNV-1a over UTF-8 bytes, then a splitmix finaliser)."""
    arr = np.asarray(keys.to_numpy() if isinstance(keys, pl.Series) else keys, dtype=str)
    n = len(arr)
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for byte in salt.encode("utf-8"):
            h = (h ^ np.uint64(byte)) * _FNV_PRIME
        if n:
            enc = np.char.encode(arr, "utf-8")
            width = max(enc.dtype.itemsize, 1)
            mat = np.frombuffer(enc.tobytes(), dtype=np.uint8).reshape(n, width)
            for j in range(width):
                col = mat[:, j].astype(np.uint64)
                h = np.where(col > 0, (h ^ col) * _FNV_PRIME, h)
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def _u01(keys: np.ndarray | pl.Series | list[str], salt: str) -> np.ndarray:
    return (_hash64(keys, salt) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass
class _Ctx:
    seed: int
    start: date
    end: date
    initial: bool
    plan: FeedPlan
    truth: list[dict[str, str]] = field(default_factory=list)

    def u(self, keys: pl.Series | np.ndarray | list[str], purpose: str) -> np.ndarray:
        return _u01(keys, f"{self.seed}|{purpose}")

    def ui(self, keys: pl.Series, purpose: str, lo: int, hi: int) -> pl.Series:
        """Keyed integer in [lo, hi]."""
        return pl.Series((lo + np.floor(self.u(keys, purpose) * (hi - lo + 1))).astype(np.int64))

    def rng(self, feed: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(feed.encode()), self.end.toordinal()])

    def window(self, col: str = "_trigger") -> pl.Expr:
        c = pl.col(col)
        if self.initial:
            return c.is_not_null() & (c <= self.end)
        return (c > self.start) & (c <= self.end)

    @property
    def window_years(self) -> float:
        return max((self.end - self.start).days, 1) / 365.0

    def pick(self, keys: pl.Series, rule: str, population: bool = False, salt: str = "") -> np.ndarray:
        """Records planted for ``rule`` among ``keys`` (eligible records). Initial generation takes the
        exact top-k by keyed hash (k ≥ min_count); an incremental run takes each record with
        probability share (scaled to the window for whole-population rules)."""
        spec = self.plan.rule(rule)
        u = self.u(keys, f"pick|{rule}|{salt}")
        n = len(u)
        if self.initial:
            k = min(n, max(spec.min_count, round(spec.share * n)))
            mask = np.zeros(n, dtype=bool)
            mask[np.argsort(u, kind="stable")[:k]] = True
            return mask
        share = spec.share * (self.window_years if population else 1.0)
        return u < share

    def add_truth(
        self,
        rule: str,
        source: str,
        table: str,
        keys: pl.Series | list[str],
        notes: pl.Series | list[str] | str,
    ) -> None:
        kind = "quality" if rule in self.plan.quality else "audit"
        dim = self.plan.quality[rule].dimension if kind == "quality" else ""
        key_list = keys.to_list() if isinstance(keys, pl.Series) else list(keys)
        note_list = (
            [notes] * len(key_list)
            if isinstance(notes, str)
            else (notes.to_list() if isinstance(notes, pl.Series) else notes)
        )
        self.truth += [
            {
                "rule_id": rule,
                "kind": kind,
                "dimension": dim,
                "source": source,
                "table": table,
                "record_key": str(k),
                "note": str(n),
            }
            for k, n in zip(key_list, note_list, strict=True)
        ]


def _fmt(template: str, *args: pl.Expr | str) -> pl.Expr:
    """Like ``pl.format`` but built with ``+``: polars 1.35's format panics on columns whose chunks
    are laid out differently (a frame column next to a freshly made Series); ``+`` aligns them."""
    parts = template.split("{}")
    assert len(parts) == len(args) + 1, template
    out: pl.Expr = pl.lit(parts[0])
    for arg, text in zip(args, parts[1:], strict=True):
        out = out + (pl.col(arg) if isinstance(arg, str) else arg).cast(pl.String)
        if text:
            out = out + pl.lit(text)
    return out


def _days(n: pl.Expr | pl.Series | int) -> pl.Expr:
    return pl.duration(days=pl.lit(n) if isinstance(n, pl.Series) else n)


# ============================================================================ core system


@dataclass
class _Core:
    persons: pl.DataFrame  # cust_no, cert_no, name, sex, marital, home_addr, birth, first_open, valid_id
    accounts: pl.DataFrame  # indi_acct, cust_no, unit_no, base_amt, acct_st, open_d, close_d, last_pay
    draws: pl.DataFrame  # draw_no, indi_acct, cust_no, draw_rsn, apply_d, prop_*, house_*, buy_d
    loans: pl.DataFrame
    units: pl.DataFrame


_DATE = "try_strptime(nullif(trim({0}), ''), '%Y%m%d')::DATE"


def _d(col: str) -> str:
    return _DATE.format(col)


def _load_core(con: duckdb.DuckDBPyConnection) -> _Core:
    persons = con.sql(
        f"""
        with p as (
            select cust_no, cust_nm as name, sex, cert_no, marital, home_addr
            from core.cm_person where cert_type = 'A' and cert_no is not null
            qualify row_number() over (partition by upper(cert_no) order by cust_no) = 1
        ), a as (select cust_no, min({_d("open_dt")}) as first_open from core.dp_indi_acct group by cust_no)
        select p.*, upper(p.cert_no) as id_no, try_strptime(substr(p.cert_no, 7, 8), '%Y%m%d')::DATE as birth, a.first_open
        from p left join a using (cust_no) order by p.cust_no
        """
    ).pl()
    valid = np.zeros(persons.height, dtype=bool)
    ids = persons["id_no"].fill_null("").to_numpy().astype(str)
    shape_ok = (
        np.array([len(x) == 18 and x[:17].isdigit() for x in ids]) & persons["birth"].is_not_null().to_numpy()
    )
    if shape_ok.any():
        body = np.array([x[:17] for x in ids[shape_ok]])
        valid[shape_ok] = identity.id_check_digit(body) == np.array([x[17] for x in ids[shape_ok]])
    persons = persons.with_columns(pl.Series("valid_id", valid))
    accounts = con.sql(
        f"""
        select indi_acct, cust_no, unit_no, base_amt::DOUBLE as base_amt, acct_st, {_d("open_dt")} as open_d,
               {_d("close_dt")} as close_d, nullif(trim(last_pay_ym), '') as last_pay_ym
        from core.dp_indi_acct order by indi_acct
        """
    ).pl()
    if accounts.height and accounts["last_pay_ym"].null_count() == accounts.height:
        last = con.sql(
            "select indi_acct, max(pay_ym) as last_pay_ym from core.dp_indi_txn "
            "where txn_type = 'HJ' and rev_flag = '0' group by indi_acct"
        ).pl()
        accounts = accounts.drop("last_pay_ym").join(last, on="indi_acct", how="left")
    accounts = accounts.with_columns(last_pay=pl.col("last_pay_ym").str.strptime(_D, "%Y%m", strict=False))
    draws = con.sql(
        f"""
        select d.draw_no, d.indi_acct, a.cust_no, d.draw_rsn, {_d("d.apply_dt")} as apply_d,
               nullif(trim(d.prop_cert_no), '') as prop_cert_no, nullif(trim(d.prop_unit_no), '') as prop_unit_no,
               nullif(trim(d.house_addr), '') as house_addr, d.house_price::DOUBLE as house_price, {_d("d.buy_dt")} as buy_d
        from core.dw_draw d join core.dp_indi_acct a using (indi_acct)
        where d.status = '1' and d.draw_rsn in ('0101', '0105', '0203', '0204') order by d.draw_no
        """
    ).pl()
    loans = con.sql(
        f"""
        with acc as (
            select contract_no, {_d("issue_dt")} as issue_d, bal::DOUBLE as bal, loan_st, {_d("settle_dt")} as settle_d
            from core.ln_account qualify row_number() over (partition by contract_no order by loan_acct) = 1
        ), m as (
            select contract_no, nullif(trim(prop_cert_no), '') as m_title, nullif(trim(other_right_no), '') as proof,
                   nullif(trim(prop_unit_no), '') as m_unit, nullif(trim(house_addr), '') as m_addr,
                   {_d("reg_dt")} as mort_d, {_d("release_dt")} as release_d
            from core.ln_mortgage qualify row_number() over (partition by contract_no order by mort_no) = 1
        ), s as (
            select contract_no, cust_nm as spouse_nm, upper(cert_no) as spouse_id
            from core.ln_coborrower where relation = '1' and cert_no is not null
            qualify row_number() over (partition by contract_no order by cobr_no) = 1
        )
        select c.contract_no, c.indi_acct, ia.cust_no, c.borrower_nm, upper(c.borrower_cert_no) as borrower_id,
               {_d("c.sign_dt")} as sign_d, c.loan_amt::DOUBLE as loan_amt, c.house_kind,
               nullif(trim(c.house_addr), '') as house_addr, c.house_area::DOUBLE as house_area,
               c.house_price::DOUBLE as house_price, nullif(trim(c.prop_unit_no), '') as prop_unit_no, c.seller_nm,
               acc.issue_d, acc.bal, acc.loan_st, acc.settle_d, m.* exclude (contract_no), s.* exclude (contract_no)
        from core.ln_contract c
        left join core.dp_indi_acct ia on ia.indi_acct = c.indi_acct
        left join acc using (contract_no) left join m using (contract_no) left join s using (contract_no)
        where c.borrower_cert_no is not null
        order by c.contract_no
        """
    ).pl()
    units = con.sql(
        f"""
        with staff as (select unit_no, count(*) as active_staff from core.dp_indi_acct where acct_st = '0' group by unit_no)
        select u.unit_no, u.unit_nm, upper(u.uscc) as uscc, u.legal_nm, u.addr, {_d("u.found_dt")} as found_d,
               ua.acct_st, {_d("ua.open_dt")} as open_d, {_d("ua.close_dt")} as close_d,
               coalesce(staff.active_staff, 0) as active_staff
        from core.cm_unit u left join core.dp_unit_acct ua using (unit_no) left join staff using (unit_no)
        where u.uscc is not null and length(u.uscc) = 18
        qualify row_number() over (partition by upper(u.uscc) order by u.unit_no) = 1
        order by u.unit_no
        """
    ).pl()
    return _Core(persons, accounts, draws, loans, units)


# ============================================================================ synthetic identities


def _pick_from(arr: np.ndarray, u: np.ndarray) -> np.ndarray:
    return arr[np.minimum((u * len(arr)).astype(np.int64), len(arr) - 1)]


def _names(ctx: _Ctx, keys: pl.Series, purpose: str) -> pl.Series:
    """Keyed Chinese names (stable per key)."""
    s = _pick_from(identity.SURNAMES, ctx.u(keys, purpose + "|s"))
    g1 = _pick_from(identity.GIVEN, ctx.u(keys, purpose + "|g1"))
    g2 = _pick_from(identity.GIVEN, ctx.u(keys, purpose + "|g2"))
    two = ctx.u(keys, purpose + "|n") < 0.7
    return pl.Series(np.char.add(s, np.where(two, np.char.add(g1, g2), g1)))


def _id_numbers(
    ctx: _Ctx, keys: pl.Series, purpose: str, birth: pl.Series, male: pl.Series, area: pl.Series
) -> pl.Series:
    """Keyed GB 11643 ID numbers for given birth dates, sexes and area codes."""
    if keys.len() == 0:
        return pl.Series([], dtype=pl.String)
    seq = (np.floor(ctx.u(keys, purpose) * 500).astype(np.int64) * 2 + male.cast(pl.Int64).to_numpy()).astype(
        str
    )
    body = np.char.add(
        np.char.add(area.to_numpy().astype(str), birth.dt.strftime("%Y%m%d").to_numpy().astype(str)),
        np.char.zfill(seq, 3),
    )
    return pl.Series(np.char.add(body, identity.id_check_digit(body)))


def _fresh_id_numbers(
    ctx: _Ctx, keys: pl.Series, purpose: str, birth: pl.Series, male: pl.Series, area: pl.Series,
    taken: pl.Series,
) -> pl.Series:
    """``_id_numbers`` that belong to nobody in ``taken`` and to no other key: the colliding draws (only those)
    are drawn again with a further salt until none collides."""
    ids = _id_numbers(ctx, keys, purpose, birth, male, area)
    taken = taken.drop_nulls().str.to_uppercase().implode()
    for attempt in range(1, 100):
        clash = ids.is_in(taken) | ~ids.is_first_distinct()
        if not clash.any():
            return ids
        at = clash.arg_true()
        ids = ids.scatter(at, _id_numbers(ctx, keys.gather(at), f"{purpose}|{attempt}", birth.gather(at),
                                          male.gather(at), area.gather(at)))
    raise RuntimeError(f"no free ID number for {purpose}")  # pragma: no cover - 500 numbers per sex and day


def _addresses(ctx: _Ctx, keys: pl.Series, purpose: str, area: pl.Series | None = None) -> pl.Series:
    districts = np.array(list(identity.DISTRICTS))
    codes = (
        area.to_numpy().astype(str)
        if area is not None
        else _pick_from(districts, ctx.u(keys, purpose + "|a"))
    )
    dist = np.array([identity.DISTRICTS.get(c, "湖滨区") for c in codes])
    road = _pick_from(identity.ROADS, ctx.u(keys, purpose + "|r"))
    comm = _pick_from(identity.COMMUNITIES, ctx.u(keys, purpose + "|c"))
    no, bld = ctx.ui(keys, purpose + "|no", 1, 399), ctx.ui(keys, purpose + "|b", 1, 29)
    unit, room = ctx.ui(keys, purpose + "|u", 1, 4), ctx.ui(keys, purpose + "|rm", 101, 3204)
    return (
        pl.DataFrame({"d": dist, "r": road, "no": no, "c": comm, "b": bld, "u": unit, "rm": room})
        .select(
            _fmt(
                "河南省三门峡市{}{}{}号{}{}号楼{}单元{}室",
                *[pl.col(c) for c in ("d", "r", "no", "c", "b", "u", "rm")],
            )
        )
        .to_series()
    )


def _local_area(id_no: pl.Expr) -> pl.Expr:
    a = id_no.str.slice(0, 6)
    return pl.when(a.is_in(list(identity.DISTRICTS))).then(a).otherwise(pl.lit("411202"))


# ============================================================================ bdc 不动产登记


def _synth_unit_no(ctx: _Ctx, keys: pl.Series, area: pl.Series) -> pl.Series:
    a = ctx.ui(keys, "unit|a", 1, 999).cast(pl.String).str.zfill(3)
    b = ctx.ui(keys, "unit|b", 1, 99999).cast(pl.String).str.zfill(5)
    c = ctx.ui(keys, "unit|c", 1, 99_999_999).cast(pl.String).str.zfill(8)
    return (
        pl.DataFrame({"area": area, "a": a, "b": b, "c": c})
        .select(_fmt("{}001{}GB{}F{}", "area", "a", "b", "c"))
        .to_series()
    )


def _title(ctx: _Ctx, keys: pl.Series, year: pl.Series, kind: str) -> pl.Series:
    no = ctx.ui(keys, f"title|{kind}", 1, 9_999_999).cast(pl.String).str.zfill(7)
    return (
        pl.DataFrame({"y": year.cast(pl.String), "n": no})
        .select(_fmt(f"豫({{}})三门峡市不动产{kind}第{{}}号", "y", "n"))
        .to_series()
    )


def _developer_names(ctx: _Ctx, keys: pl.Series) -> np.ndarray:
    stem = _pick_from(identity.COMMUNITIES, ctx.u(keys, "dev"))
    for suffix in ("小区", "花园", "家园", "新城", "苑", "园", "城", "郡"):
        stem = np.char.replace(stem, suffix, "")
    return np.char.add(np.char.add("三门峡", stem), "置业有限公司")


_BDC_COLS = [
    "unit_no", "title_no", "location", "holder_name", "holder_id_no", "co_ownership", "reg_type", "reg_date",
    "floor_area", "price", "mortgagee", "proof_no", "secured_amount", "contract_no", "_trigger", "_planted", "_gkey",
]  # fmt: skip
_NULL_S, _NULL_F = pl.lit(None, pl.String), pl.lit(None, pl.Float64)


def _bdc(ctx: _Ctx, core: _Core) -> pl.DataFrame:
    p = core.persons.select("cust_no", "id_no", "name")
    loans = core.loans.with_columns(_trigger=pl.coalesce("issue_d", "sign_d")).filter(
        pl.col("_trigger").is_not_null()
    )
    spouses = loans["spouse_id"].drop_nulls().implode()
    buys = _bdc_purchases(ctx, core, p, loans)
    ln = buys.loans
    buys_df = _plant_tq09_tq11(ctx, buys.frame, loans["borrower_id"].implode(), spouses)
    own = _plant_tq15(ctx, core, p, buys_df, spouses)
    # ---- mortgage, release and first (developer) registrations of the loans
    common: dict[str, Any] = {
        "co_ownership": pl.lit("单独所有"),
        "floor_area": "house_area",
        "_planted": pl.lit(False),
    }
    mort = ln.select(
        "unit_no", "title_no", "location", "proof_no", "contract_no", "_trigger", holder_id_no="borrower_id",
        holder_name="borrower_nm", reg_type=pl.lit("抵押登记"), reg_date="mort_date", price=_NULL_F,
        mortgagee=pl.lit(CENTER), secured_amount="loan_amt", **common,
    ).with_columns(_gkey=_fmt("M|{}", "contract_no"))  # fmt: skip
    settled = ln.filter(pl.col("loan_st") == "3")
    rel = (
        settled.with_columns(
            reg_date=pl.coalesce("release_d", pl.col("settle_d") + _days(ctx.ui(settled["contract_no"], "rel", 7, 30)))
        )
        .filter(pl.col("reg_date").is_not_null())
        .select(
            "unit_no", "title_no", "location", "proof_no", "contract_no", "reg_date", _trigger="reg_date",
            holder_id_no="borrower_id", holder_name="borrower_nm", reg_type=pl.lit("抵押注销登记"), price=_NULL_F,
            mortgagee=pl.lit(CENTER), secured_amount="loan_amt", **common,
        )
        .with_columns(_gkey=_fmt("X|{}", "contract_no"))
    )  # fmt: skip
    xf = ln.filter(pl.col("house_kind") == "XF")
    xk = xf["contract_no"]
    dev_id = np.char.add(
        "91411200", np.char.zfill((_hash64(xk, f"{ctx.seed}|dev") % np.uint64(10**10)).astype(str), 10)
    )
    first = xf.with_columns(
        holder_id_no=pl.Series(dev_id, dtype=pl.String),
        holder_name=pl.when(pl.col("seller_nm").str.contains("公司"))
        .then("seller_nm")
        .otherwise(pl.Series(_developer_names(ctx, xk), dtype=pl.String)),
        reg_date=pl.col("reg_date") - _days(ctx.ui(xk, "first", 60, 500)),
        title_no=_title(ctx, xk, xf["reg_date"].dt.year() - 1, "权"),
    ).select(
        "unit_no", "title_no", "location", "holder_id_no", "holder_name", "reg_date", "_trigger", "contract_no",
        proof_no=_NULL_S, reg_type=pl.lit("首次登记"), price=_NULL_F, mortgagee=_NULL_S, secured_amount=_NULL_F,
        _gkey=_fmt("F|{}", "contract_no"), **common,
    )  # fmt: skip
    mort, released = _plant_dk14_dk15(ctx, mort, ln)
    out = pl.concat([f.select(_BDC_COLS) for f in (buys_df, own, mort, rel, first, released)])
    out = out.filter(ctx.window())
    if not ctx.initial:  # a registration reported in the file of day D was registered on day D
        out = out.with_columns(reg_date=pl.col("reg_date").clip(ctx.start + timedelta(days=1), ctx.end))
    out = out.with_columns(_file_date=pl.lit(ctx.end) if ctx.initial else pl.col("reg_date"))
    out = out.sort("reg_date", "unit_no", "reg_type", "holder_id_no")
    seq = pl.int_range(1, pl.len() + 1).over("reg_date").cast(pl.String).str.zfill(8)
    return out.with_columns(business_no=_fmt("DJ{}{}", pl.col("reg_date").dt.strftime("%Y%m%d"), seq))


@dataclass
class _Buys:
    frame: pl.DataFrame
    loans: pl.DataFrame


def _bdc_purchases(ctx: _Ctx, core: _Core, p: pl.DataFrame, loans: pl.DataFrame) -> _Buys:
    """Transfer registrations: one per (flat, buyer) over purchase withdrawals and loans."""
    dr = core.draws.filter(pl.col("draw_rsn") == "0101").join(p, on="cust_no", how="inner")
    k = dr["draw_no"]
    dr = dr.with_columns(
        area=_local_area(pl.col("id_no")),
        buy=pl.coalesce("buy_d", pl.col("apply_d") - _days(ctx.ui(k, "buy", 20, 200))),
        f_area=pl.Series((60 + ctx.u(k, "area") * 80).round(2)),
        f_uprice=pl.Series(3500 + ctx.u(k, "uprice") * 3500),
    )
    dr = dr.with_columns(
        unit_no=pl.coalesce("prop_unit_no", _synth_unit_no(ctx, k, dr["area"])),
        location=pl.coalesce("house_addr", _addresses(ctx, k, "draw", dr["area"])),
        reg_date=pl.min_horizontal(
            pl.col("buy") + _days(ctx.ui(k, "reglag", 3, 30)), pl.col("apply_d") - _days(1)
        ),
        price=pl.coalesce("house_price", (pl.col("f_area") * pl.col("f_uprice") / 100).round(0) * 100),
    )
    dr = dr.with_columns(title_no=pl.coalesce("prop_cert_no", _title(ctx, k, dr["reg_date"].dt.year(), "权")))
    draw_buys = dr.select(
        "unit_no", "title_no", "location", "price", "reg_date", floor_area="f_area", holder_id_no="id_no",
        holder_name="name", _trigger="apply_d", src=pl.lit("draw"), src_key="draw_no", contract_no=_NULL_S,
        spouse=pl.lit(False),
    )  # fmt: skip
    lk = loans["contract_no"]
    area = loans.select(_local_area(pl.col("borrower_id")))["borrower_id"]
    ln = loans.with_columns(
        unit_no=pl.coalesce("m_unit", "prop_unit_no", _synth_unit_no(ctx, lk, area)),
        location=pl.coalesce("m_addr", "house_addr", _addresses(ctx, lk, "loan", area)),
        mort_date=pl.coalesce("mort_d", pl.col("_trigger") - _days(ctx.ui(lk, "mortlag", 1, 10))),
    )
    ln = ln.with_columns(
        reg_date=pl.min_horizontal(
            pl.coalesce("sign_d", "_trigger") + _days(ctx.ui(lk, "reglag", 1, 15)), "mort_date"
        )
    )
    ln = ln.with_columns(
        title_no=pl.coalesce("m_title", _title(ctx, lk, ln["reg_date"].dt.year(), "权")),
        proof_no=pl.coalesce("proof", _title(ctx, lk, ln["mort_date"].dt.year(), "证明")),
    )
    base = ["unit_no", "title_no", "location", "reg_date", "_trigger", "contract_no"]
    loan_buys = pl.concat(
        [
            ln.select(*base, floor_area="house_area", price="house_price", holder_id_no="borrower_id",
                      holder_name="borrower_nm", spouse=pl.col("spouse_id").is_not_null()),
            ln.filter(pl.col("spouse_id").is_not_null()).select(
                *base, floor_area="house_area", price="house_price", holder_id_no="spouse_id",
                holder_name="spouse_nm", spouse=pl.lit(True)),
        ]
    ).with_columns(src=pl.lit("loan"), src_key=pl.col("contract_no"))  # fmt: skip
    buys = (
        pl.concat([draw_buys, loan_buys.select(draw_buys.columns)])
        .sort("_trigger", "src", "src_key")
        .group_by("unit_no", "holder_id_no", maintain_order=True)
        .agg(
            pl.col("title_no", "location", "floor_area", "price", "holder_name", "_trigger", "contract_no").first(),
            pl.col("reg_date").min(),
            pl.col("src").unique().sort().str.join(",").alias("srcs"),
            pl.col("src_key").filter(pl.col("src") == "draw").alias("draw_nos"),
            pl.col("spouse").any(),
        )
        .with_columns(
            reg_type=pl.lit("转移登记"),
            co_ownership=pl.when(pl.col("spouse") | (pl.len().over("unit_no") > 1))
            .then(pl.lit("共同共有")).otherwise(pl.lit("单独所有")),
            mortgagee=_NULL_S, proof_no=_NULL_S, secured_amount=_NULL_F, _planted=pl.lit(False),
            _gkey=_fmt("T|{}|{}", "unit_no", "holder_id_no"), _n_holder=pl.len().over("holder_id_no"),
        )
    )  # fmt: skip
    return _Buys(buys, ln)


def _plant_tq09_tq11(ctx: _Ctx, buys: pl.DataFrame, borrowers: pl.Series, spouses: pl.Series) -> pl.DataFrame:
    """TQ-09: purchase withdrawal without registration (70%) or registered to somebody else (30%).
    TQ-11: two withdrawal buyers within 12 months → the second registered on the first one's flat."""
    eligible = buys.filter(
        ctx.window() & (pl.col("srcs") == "draw") & (pl.col("_n_holder") == 1)
        & ~pl.col("holder_id_no").is_in(borrowers) & ~pl.col("holder_id_no").is_in(spouses)
    )  # fmt: skip
    picked = pl.Series(ctx.pick(eligible["_gkey"], "TQ-09"))
    tq09, rest = eligible.filter(picked), eligible.filter(~picked)
    # each picked first buyer is followed by the next eligible buyer registered within 330 days
    first = rest.filter(pl.Series(ctx.pick(rest["_gkey"], "TQ-11"))).sort("reg_date", "_gkey")
    pool = rest.filter(~pl.col("_gkey").is_in(first["_gkey"].implode())).sort("reg_date", "_gkey")
    pairs = (
        first.select("_gkey", "reg_date")
        .join_asof(
            pool.select(pl.col("_gkey").alias("b_key"), pl.col("reg_date").alias("b_date"), pl.col("reg_date").alias("_on")),
            left_on="reg_date", right_on="_on", strategy="forward", tolerance=timedelta(days=330), allow_exact_matches=False,
        )
        .drop_nulls("b_key")
        .unique("b_key", keep="first", maintain_order=True)
    )  # fmt: skip
    a = first.join(pairs.select("_gkey", "b_key"), on="_gkey").sort("reg_date", "_gkey")
    b = (
        a.select("b_key")
        .join(pool, left_on="b_key", right_on="_gkey", maintain_order="left")
        .rename({"b_key": "_gkey"})
    )
    b = b.select(a.drop("b_key").columns)
    a = a.drop("b_key")
    moved = b.with_columns(
        unit_no=a["unit_no"], location=a["location"], floor_area=a["floor_area"], _planted=pl.lit(True),
        reg_date=pl.max_horizontal(pl.col("reg_date"), a["reg_date"] + _days(30)),
    ).with_columns(reg_date=pl.min_horizontal("reg_date", pl.col("_trigger") - _days(1)))  # fmt: skip
    for x, y in zip(a.iter_rows(named=True), moved.iter_rows(named=True), strict=True):
        note = f"flat {x['unit_no']} transferred {x['reg_date']} and {y['reg_date']}, each with a purchase withdrawal"
        keys = x["draw_nos"] + y["draw_nos"]
        ctx.add_truth("TQ-11", "core", "dw_draw", keys, [note] * len(keys))
    other = pl.Series(ctx.u(tq09["_gkey"], "tq09|variant") >= 0.7)
    dropped, swapped = tq09.filter(~other), tq09.filter(other)
    sk = swapped["_gkey"]
    swapped = swapped.with_columns(
        holder_name=_names(ctx, sk, "tq09"),
        holder_id_no=_id_numbers(
            ctx, sk, "tq09|id", swapped["reg_date"] - timedelta(days=365 * 35), pl.Series(ctx.u(sk, "sex") < 0.5),
            swapped["unit_no"].str.slice(0, 6),
        ),
        _planted=pl.lit(True),
    )  # fmt: skip
    for rows, variant in (
        (dropped, "无不动产登记 / no registration"),
        (swapped, "权利人非本人 / right-holder is somebody else"),
    ):
        ex = rows.explode("draw_nos")
        ctx.add_truth(
            "TQ-09", "core", "dw_draw", ex["draw_nos"], [f"{variant}; flat {u}" for u in ex["unit_no"]]
        )
    gone = pl.concat([tq09["_gkey"], b["_gkey"]]).implode()
    return pl.concat([buys.filter(~pl.col("_gkey").is_in(gone)), swapped, moved])


def _plant_tq15(
    ctx: _Ctx, core: _Core, p: pl.DataFrame, buys: pl.DataFrame, spouses: pl.Series
) -> pl.DataFrame:
    """TQ-15: rent withdrawers who own a flat. Planted: a registration before the first rent
    withdrawal; the truth also lists natural cases (a core purchase registered before the rent)."""
    rent = core.draws.filter(pl.col("draw_rsn") == "0105").join(p, on="cust_no")
    owners = buys.group_by("holder_id_no").agg(own_from=pl.col("reg_date").min())
    first = rent.group_by("id_no", "name").agg(first_rent=pl.col("apply_d").min()).sort("id_no")
    renters = first.filter(
        ctx.window("first_rent")
        & ~pl.col("id_no").is_in(owners["holder_id_no"].implode())
        & ~pl.col("id_no").is_in(spouses)
    )
    renters = renters.filter(pl.Series(ctx.pick(renters["id_no"], "TQ-15")))
    rk = renters["id_no"]
    area = renters.select(_local_area(pl.col("id_no")))["id_no"]
    own = renters.with_columns(
        reg_date=pl.col("first_rent") - _days(ctx.ui(rk, "tq15", 60, 400)),
        floor_area=pl.Series((60 + ctx.u(rk, "tq15|a") * 60).round(2)),
        unit_no=_synth_unit_no(ctx, rk, area),
        location=_addresses(ctx, rk, "tq15", area),
    )
    own = own.with_columns(title_no=_title(ctx, rk, own["reg_date"].dt.year(), "权")).select(
        "unit_no", "title_no", "location", "floor_area", "reg_date", price=(pl.col("floor_area") * 45).round(0) * 100,
        holder_id_no="id_no", holder_name="name", _trigger="first_rent", contract_no=_NULL_S,
        reg_type=pl.lit("转移登记"), co_ownership=pl.lit("单独所有"), mortgagee=_NULL_S, proof_no=_NULL_S,
        secured_amount=_NULL_F, _planted=pl.lit(True), _gkey=_fmt("R|{}", "id_no"),
    )  # fmt: skip
    owned = (
        pl.concat([owners, own.select("holder_id_no", own_from="reg_date")])
        .group_by("holder_id_no")
        .agg(pl.col("own_from").min())
    )
    hits = (
        rent.filter(ctx.window("apply_d"))
        .join(owned, left_on="id_no", right_on="holder_id_no")
        .filter(pl.col("apply_d") > pl.col("own_from"))
        .sort("draw_no")
    )
    planted = own["holder_id_no"].implode()
    notes = hits.select(
        pl.when(pl.col("id_no").is_in(planted))
        .then(_fmt("planted: owns a flat registered {}", "own_from"))
        .otherwise(_fmt("natural: core purchase/loan registered {} before the rent withdrawal", "own_from"))
    ).to_series()
    ctx.add_truth("TQ-15", "core", "dw_draw", hits["draw_no"], notes)
    return own


def _plant_dk14_dk15(ctx: _Ctx, mort: pl.DataFrame, ln: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """DK-14: open loan without a mortgage naming the center (omitted when issued ≥ 60 days ago, else
    registered to a bank). DK-15: mortgage released while the loan is open."""
    state = mort.join(ln.select("contract_no", "loan_st", "bal", "issue_d"), on="contract_no").filter(
        ctx.window() & pl.col("loan_st").is_in(["1", "2"]) & (pl.col("bal") > 0)
    )
    dk14 = state.filter(pl.Series(ctx.pick(state["contract_no"], "DK-14")))
    old = pl.Series(dk14["issue_d"].fill_null(ctx.end) <= ctx.end - timedelta(days=60))
    omitted, bank = dk14.filter(old)["contract_no"], dk14.filter(~old)["contract_no"]
    ctx.add_truth("DK-14", "core", "ln_contract", omitted, "无抵押登记 / no mortgage registration")
    ctx.add_truth(
        "DK-14", "core", "ln_contract", bank, f"抵押权人为{BANK_MORTGAGEE} / mortgagee is not the center"
    )
    pool = state.filter(~pl.col("contract_no").is_in(dk14["contract_no"].implode()))
    dk15 = pool.filter(pl.Series(ctx.pick(pool["contract_no"], "DK-15")))
    u = pl.Series(ctx.u(dk15["contract_no"], "dk15"))
    if ctx.initial:
        when = pl.min_horizontal(pl.col("reg_date") + _days((90 + u * 700).cast(pl.Int64)), pl.lit(ctx.end))
    else:
        span = (ctx.end - ctx.start).days
        when = pl.lit(ctx.start + timedelta(days=1)) + _days((u * span).floor().cast(pl.Int64))
    released = dk15.with_columns(
        reg_type=pl.lit("抵押注销登记"), reg_date=when, _planted=pl.lit(True)
    ).with_columns(_trigger=pl.col("reg_date"), _gkey=_fmt("X|{}", "contract_no"))
    ctx.add_truth(
        "DK-15", "core", "ln_contract", released["contract_no"],
        [f"抵押注销登记 {d} / mortgage released while the loan is open" for d in released["reg_date"]],
    )  # fmt: skip
    mort = mort.filter(~pl.col("contract_no").is_in(omitted.implode())).with_columns(
        mortgagee=pl.when(pl.col("contract_no").is_in(bank.implode()))
        .then(pl.lit(BANK_MORTGAGEE))
        .otherwise("mortgagee"),
        _planted=pl.col("contract_no").is_in(bank.implode()),
    )
    return mort, released.select(mort.columns)


# ============================================================================ ga 公安


def _years(n: float) -> pl.Expr:
    return _days(pl.lit(int(n * 365.25)))


def _person_facts(ctx: _Ctx, core: _Core) -> pl.DataFrame:
    """Valid-ID persons with their death / move-out facts as of ``end`` (death before the withdrawal)."""
    persons = core.persons.filter(pl.col("valid_id"))
    last_pay = core.accounts.group_by("cust_no").agg(pl.col("last_pay").max())
    dr = core.draws.filter(pl.col("apply_d") <= ctx.end)
    death = (
        dr.filter(pl.col("draw_rsn") == "0204")
        .group_by("cust_no")
        .agg(death_draw=pl.col("draw_no").sort_by("apply_d").first(), death_apply=pl.col("apply_d").min())
    )
    move = dr.filter(pl.col("draw_rsn") == "0203").group_by("cust_no").agg(move_apply=pl.col("apply_d").min())
    f = (
        persons.join(last_pay, on="cust_no", how="left")
        .join(death, on="cust_no", how="left")
        .join(move, on="cust_no", how="left")
    )
    k = f["id_no"]
    upper = pl.col("death_apply") - _days(1)
    lower = pl.max_horizontal(
        pl.col("birth") + _years(18), pl.coalesce("last_pay", pl.col("birth") + _years(18))
    )
    lower = pl.when(lower > upper).then(upper - _days(30)).otherwise(lower)
    span = (upper - lower).dt.total_days()
    return f.with_columns(
        death_date=lower + _days((pl.Series(ctx.u(k, "death")) * (span + 1)).floor().cast(pl.Int64)),
        move_out_date=pl.col("move_apply") - _days(ctx.ui(k, "moveout", 10, 120)),
    )


def _ga(ctx: _Ctx, core: _Core) -> pl.DataFrame:
    f = _person_facts(ctx, core)
    bad = core.persons.filter(~pl.col("valid_id") & ctx.window("first_open"))
    ctx.add_truth(
        "JC-17",
        "core",
        "cm_person",
        bad["cert_no"],
        "natural: 证件号码无效，公安查无此人 / ID not in the police register",
    )
    # TQ-04: death withdrawals without a death record (70%) or dated after the withdrawal (30%)
    dw = f.filter(pl.col("death_apply").is_not_null() & ctx.window("death_apply"))
    tq04 = dw.filter(pl.Series(ctx.pick(dw["death_draw"], "TQ-04")))
    after = pl.Series(ctx.u(tq04["id_no"], "tq04|v") >= 0.7) & (
        tq04["death_apply"] + timedelta(days=10) <= ctx.end
    )
    late_death = tq04.filter(after).with_columns(
        death_date=pl.min_horizontal(
            pl.col("death_apply") + _days(ctx.ui(tq04.filter(after)["id_no"], "tq04", 10, 60)),
            pl.lit(ctx.end),
        )
    )
    no_death = tq04.filter(~after)["id_no"]
    ctx.add_truth(
        "TQ-04", "core", "dw_draw", tq04.filter(~after)["death_draw"], "无公安死亡记录 / no death record"
    )
    ctx.add_truth(
        "TQ-04", "core", "dw_draw", late_death["death_draw"],
        [f"死亡日期 {d} 晚于提取 {a} / death after the withdrawal" for d, a in zip(late_death["death_date"], late_death["death_apply"], strict=True)],
    )  # fmt: skip
    f = f.update(late_death.select("id_no", "death_date"), on="id_no").with_columns(
        dead=pl.col("death_apply").is_not_null() & ~pl.col("id_no").is_in(no_death.implode())
    )
    # GJ-08: active contributors recorded dead months before their latest remittance month
    active = core.accounts.filter(
        (pl.col("acct_st") == "0") & (pl.col("last_pay") >= ctx.end - timedelta(days=190))
    )
    acct = (
        active.sort("last_pay", "indi_acct", descending=[True, False])
        .group_by("cust_no", maintain_order=True)
        .first()
    )
    pool = (
        f.join(acct.select("cust_no", "indi_acct", pay=pl.col("last_pay")), on="cust_no")
        .filter(
            pl.col("death_apply").is_null()
            & pl.col("move_apply").is_null()
            & (pl.col("birth") + _years(25) < pl.col("pay"))
        )
        .sort("indi_acct")
    )
    gj08 = pool.filter(pl.Series(ctx.pick(pool["indi_acct"], "GJ-08", population=True)))
    gj08 = gj08.with_columns(
        death_date=pl.col("pay") - _days(ctx.ui(gj08["indi_acct"], "gj08", 40, 400)), dead=pl.lit(True)
    )
    ctx.add_truth(
        "GJ-08", "core", "dp_indi_acct", gj08["indi_acct"],
        [f"公安死亡日期 {d}，最近汇缴所属月 {p:%Y%m} / died before the latest remittance month" for d, p in zip(gj08["death_date"], gj08["pay"], strict=True)],
    )  # fmt: skip
    f = f.update(gj08.select("id_no", "death_date", "dead"), on="id_no")
    # which persons get a record in this run, and in which day's file
    trig = pl.min_horizontal(
        pl.when(ctx.window("first_open")).then("first_open"),
        pl.when(ctx.window("death_apply")).then("death_apply"),
        pl.when(ctx.window("move_apply")).then("move_apply"),
        pl.when(pl.col("id_no").is_in(gj08["id_no"].implode())).then(pl.lit(ctx.end)),
    )
    if ctx.initial:
        trig = pl.when(pl.col("first_open").is_null() | (pl.col("first_open") <= ctx.end)).then(
            pl.lit(ctx.end)
        )
    out = f.with_columns(_file_date=trig).filter(pl.col("_file_date").is_not_null())
    home = _addresses(ctx, out["id_no"], "hukou", out.select(_local_area(pl.col("id_no")))["id_no"])
    out = out.with_columns(
        sex=pl.when(pl.col("id_no").str.slice(16, 1).cast(pl.Int32) % 2 == 1)
        .then(pl.lit("男"))
        .otherwise(pl.lit("女")),
        birth_date=pl.col("birth"),
        hukou_address=pl.coalesce(pl.col("home_addr"), home),
        status=pl.when(pl.col("dead"))
        .then(pl.lit("死亡"))
        .when(pl.col("move_apply").is_not_null())
        .then(pl.lit("迁出"))
        .otherwise(pl.lit("正常")),
        _planted=pl.col("id_no").is_in(pl.concat([gj08["id_no"], late_death["id_no"]]).implode()),
    )
    out = out.with_columns(
        death_date=pl.when(pl.col("status") == "死亡").then("death_date"),
        move_out_date=pl.when(pl.col("status") == "迁出").then("move_out_date"),
    )
    # JC-17: the register spells the name differently
    pool = out.filter(~pl.col("_planted") & (pl.col("name").str.len_chars() >= 2))
    jc17 = pool.filter(pl.Series(ctx.pick(pool["id_no"], "JC-17", population=True)))
    repl = pl.Series(_pick_from(identity.GIVEN, ctx.u(jc17["id_no"], "jc17")))
    renamed = jc17.with_columns(
        name=pl.when(pl.col("name").str.slice(-1) == repl)
        .then(pl.col("name").str.slice(0, pl.col("name").str.len_chars() - 1) + "琦")
        .otherwise(pl.col("name").str.slice(0, pl.col("name").str.len_chars() - 1) + repl),
        _planted=pl.lit(True),
    )
    ctx.add_truth(
        "JC-17", "core", "cm_person", renamed["cert_no"],
        [f"公安姓名 {n} ≠ 核心 {o} / name differs" for n, o in zip(renamed["name"], jc17["name"], strict=True)],
    )  # fmt: skip
    out = out.update(renamed.select("id_no", "name", "_planted"), on="id_no")
    return out.sort("_file_date", "id_no")


# ============================================================================ mz 民政


def _cohort(ctx: _Ctx, persons: pl.DataFrame) -> pl.DataFrame:
    """Persons the center asks about in this run (new depositors; everybody on initial generation)."""
    if ctx.initial:
        return persons.filter(
            pl.col("first_open").is_null() | (pl.col("first_open") <= ctx.end)
        ).with_columns(_file_date=pl.lit(ctx.end))
    return persons.filter(ctx.window("first_open")).with_columns(_file_date=pl.col("first_open"))


def _first_purchase(core: _Core) -> pl.DataFrame:
    draws = core.draws.filter(pl.col("draw_rsn") == "0101").join(
        core.persons.select("cust_no", "id_no"), on="cust_no"
    )
    loans = core.loans.select(
        id_no="borrower_id", d=pl.coalesce("sign_d", "issue_d"), what=_fmt("贷款 {}", "contract_no")
    )
    return (
        pl.concat([draws.select("id_no", d="apply_d", what=_fmt("购房提取 {}", "draw_no")), loans])
        .drop_nulls("d")
        .sort("d", "what")
        .group_by("id_no", maintain_order=True)
        .agg(buy=pl.col("d").first(), buy_what=pl.col("what").first())
    )


def _mz(ctx: _Ctx, core: _Core) -> pl.DataFrame:
    persons = core.persons.filter(pl.col("valid_id")).with_columns(
        male=pl.col("id_no").str.slice(16, 1).cast(pl.Int32) % 2 == 1, area=_local_area(pl.col("id_no"))
    )
    cohort = _cohort(ctx, persons)
    end1 = ctx.end - timedelta(days=1)
    # 1. loan co-borrower spouses of married borrowers
    spouse = (
        core.loans.filter(pl.col("spouse_id").is_not_null())
        .sort("sign_d", "contract_no")
        .group_by("borrower_id", maintain_order=True)
        .agg(pl.col("spouse_id", "spouse_nm", "sign_d").first())
    )
    yh = cohort.filter(pl.col("marital") == "YH")
    lp = yh.join(spouse, left_on="id_no", right_on="borrower_id").with_columns(
        b_birth=pl.col("spouse_id").str.slice(6, 8).str.strptime(_D, "%Y%m%d", strict=False)
    )
    lp = lp.select(
        "id_no", "name", "male", "birth", "area", "_file_date", "marital", b_id="spouse_id", b_name="spouse_nm",
        b_birth=pl.coalesce("b_birth", "birth"), cap="sign_d", kind=pl.lit("loan"),
    )  # fmt: skip
    used = pl.concat([lp["id_no"], lp["b_id"]]).implode()
    # 2. married depositors paired with each other (similar birth order)
    rem = yh.filter(~pl.col("id_no").is_in(used))
    cand = rem.filter(pl.Series(ctx.u(rem["id_no"], "pair") < ctx.plan.core_pair_share))
    men = cand.filter(pl.col("male")).sort("birth", "id_no")
    women = cand.filter(~pl.col("male")).sort("birth", "id_no")
    n = min(men.height, women.height)
    men, women = men.head(n), women.head(n)
    cp = men.select("id_no", "name", "male", "birth", "area", "marital").with_columns(
        b_id=women["id_no"], b_name=women["name"], b_birth=women["birth"], cap=pl.lit(ctx.end), kind=pl.lit("core"),
        _file_date=pl.min_horizontal(men["_file_date"], women["_file_date"]),
    )  # fmt: skip
    used = pl.concat([used.explode(), cp["id_no"], cp["b_id"]]).implode()
    # 3. the others married (or were) non-depositors
    syn = cohort.filter(pl.col("marital").is_in(["YH", "LY", "SO"]) & ~pl.col("id_no").is_in(used))
    known = pl.concat([core.persons["id_no"], core.loans["spouse_id"]])
    sp = _with_synthetic_spouse(
        ctx, syn.select("id_no", "name", "male", "birth", "area", "marital", "_file_date"), known
    )
    couples = pl.concat([c.select(lp.columns) for c in (lp, cp, sp)])
    hb, wb = (
        pl.when(pl.col("male")).then(a).otherwise(b) for a, b in (("birth", "b_birth"), ("b_birth", "birth"))
    )
    lo = pl.max_horizontal(hb + _years(22), wb + _years(20))
    hi = pl.col("cap") - _days(30)
    span = pl.max_horizontal((hi - lo).dt.total_days(), pl.lit(0)).clip(0, 12 * 365)
    couples = couples.with_columns(
        married=pl.min_horizontal(
            lo + _days((pl.Series(ctx.u(couples["id_no"], "married")) * span).floor().cast(pl.Int64)),
            pl.lit(end1),
        ),
        lo=lo,
    )
    couples = couples.with_columns(_u_div=pl.Series(ctx.u(couples["id_no"], "divorce")))
    m_span = (pl.lit(end1) - pl.col("married") - _years(3.2)).dt.total_days()
    divorce_at = (
        pl.when(m_span > 0)
        .then(pl.col("married") + _years(3.2) + _days((pl.col("_u_div") * m_span).floor().cast(pl.Int64)))
        .otherwise(pl.min_horizontal(pl.col("married") + _days(400), pl.lit(end1)))
    )
    couples = couples.with_columns(
        divorced=pl.when(pl.col("marital") == "LY").then(divorce_at), can_divorce=m_span > 0
    )
    # TQ-12: serial marriage changes around a purchase (synthetic-spouse persons with a purchase/loan)
    buys = _first_purchase(core)
    pool = couples.filter((pl.col("kind") == "syn") & pl.col("marital").is_in(["YH", "LY"])).join(
        buys, on="id_no"
    )
    pool = pool.filter((pl.col("buy") - _days(800) > pl.col("lo")) & (pl.col("buy") <= ctx.end))
    tq12 = pool.filter(pl.Series(ctx.pick(pool["id_no"], "TQ-12")))
    events = [_events(couples.filter(~pl.col("id_no").is_in(tq12["id_no"].implode())))]
    events.append(_tq12_events(ctx, tq12))
    # JC-18: the register's latest status differs from cm_person.marital
    taken = pl.concat([tq12["id_no"], lp["id_no"], cp["id_no"], cp["b_id"]]).implode()
    wh = cohort.filter((pl.col("marital") == "WH") & (pl.col("birth") + _years(24) < ctx.end))
    pool = pl.concat(
        [
            couples.filter((pl.col("kind") == "syn") & ~pl.col("id_no").is_in(taken) & (pl.col("can_divorce") | (pl.col("marital") == "LY"))).select("id_no", "marital"),
            wh.select("id_no", "marital"),
        ]
    ).sort("id_no")  # fmt: skip
    jc18 = pool.filter(pl.Series(ctx.pick(pool["id_no"], "JC-18", population=True)))
    picked = jc18["id_no"].implode()
    events[0] = events[0].filter(~pl.col("id_no").is_in(picked))
    flipped = couples.filter(pl.col("id_no").is_in(picked)).with_columns(
        divorced=pl.when(pl.col("marital") == "LY").then(None).otherwise(divorce_at)
    )
    wk = wh.filter(pl.col("id_no").is_in(picked))
    wkk = wk["id_no"]
    wed = _with_synthetic_spouse(
        ctx, wk.select("id_no", "name", "male", "birth", "area", "marital", "_file_date"),
        pl.concat([known, sp["b_id"]]),
    )
    wed = wed.with_columns(
        married=pl.min_horizontal(
            pl.col("birth") + _years(24) + _days(ctx.ui(wkk, "married", 0, 2000)), pl.lit(end1)
        ),
        divorced=pl.lit(None, _D),
    )
    events.append(_events(pl.concat([flipped.select(wed.columns), wed])).with_columns(_planted=pl.lit(True)))
    latest = {"WH": "结婚", "YH": "离婚", "LY": "结婚 (无离婚登记)", "SO": "离婚"}
    ctx.add_truth(
        "JC-18", "core", "cm_person", jc18["id_no"],
        [f"核心婚姻状况 {m}，民政最近登记 {latest[m]} / marital status differs" for m in jc18["marital"]],
    )  # fmt: skip
    ev = pl.concat(events, how="diagonal")
    _natural_tq12(ctx, ev, buys, persons, tq12["id_no"])
    return _registration_numbers(ctx, ev)


def _with_synthetic_spouse(ctx: _Ctx, persons: pl.DataFrame, taken: pl.Series) -> pl.DataFrame:
    """A keyed non-depositor spouse for each person: opposite sex, up to five years apart (the
    husband older), same district; the spouse's ID number is nobody's in ``taken`` (core persons, other
    spouses), else the marriage register would show that person's marriages too (JC-18 false hits)."""
    k = persons["id_no"]
    gap = pl.Series(np.floor(ctx.u(k, "spouse|age") * 5 * 365).astype(np.int64))
    out = persons.with_columns(
        b_birth=pl.when(pl.col("male")).then(pl.col("birth") + _days(gap)).otherwise(pl.col("birth") - _days(gap)),
        b_name=_names(ctx, k, "spouse"), cap=pl.lit(ctx.end), kind=pl.lit("syn"),
    )  # fmt: skip
    return out.with_columns(
        b_id=_fresh_id_numbers(ctx, k, "spouse|id", out["b_birth"], ~out["male"], out["area"], taken)
    )


def _events(c: pl.DataFrame) -> pl.DataFrame:
    """Marriage (and divorce) events of couples: a side = the core person."""
    cols = ["id_no", "name", "male", "b_id", "b_name", "area", "_file_date"]
    m = c.select(*cols, reg_type=pl.lit("结婚"), reg_date="married")
    d = c.filter(pl.col("divorced").is_not_null()).select(*cols, reg_type=pl.lit("离婚"), reg_date="divorced")
    return pl.concat([m, d]).with_columns(_planted=pl.lit(False))


def _tq12_events(ctx: _Ctx, t: pl.DataFrame) -> pl.DataFrame:
    k = t["id_no"]
    end1 = ctx.end - timedelta(days=1)
    t = t.with_columns(
        m0=pl.min_horizontal("married", pl.col("buy") - _days(700)),
        d1=pl.col("buy") - _days(ctx.ui(k, "tq12|d1", 60, 200)),
        after=pl.col("buy") + _days(ctx.ui(k, "tq12|r", 30, 150)),
    )
    # 假离婚: divorce before the purchase, remarriage (to the same spouse, YH) or a second marriage (LY)
    t = t.with_columns(
        again=pl.when(pl.col("after") <= end1)
        .then("after")
        .otherwise(pl.col("buy") - _days(ctx.ui(k, "tq12|b", 1, 40))),
        m2=pl.col("d1") + _days(ctx.ui(k, "tq12|m2", 20, 50)),
        d2=pl.min_horizontal(pl.col("buy") + _days(200), pl.lit(end1)),
    )
    cols = ["id_no", "name", "male", "area", "_file_date"]
    s2 = t.select(
        b_id=_id_numbers(ctx, k, "tq12|id", t["b_birth"], ~t["male"], t["area"]),
        b_name=_names(ctx, k, "tq12|s2"),
    )
    t = t.with_columns(s2_id=s2["b_id"], s2_name=s2["b_name"])
    first = t.select(*cols, "b_id", "b_name", reg_type=pl.lit("结婚"), reg_date="m0")
    div = t.select(*cols, "b_id", "b_name", reg_type=pl.lit("离婚"), reg_date="d1")
    yh = t.filter(pl.col("marital") == "YH").select(
        *cols, "b_id", "b_name", reg_type=pl.lit("结婚"), reg_date="again"
    )
    ly = t.filter(pl.col("marital") == "LY")
    ly2 = pl.concat(
        [
            ly.select(*cols, b_id="s2_id", b_name="s2_name", reg_type=pl.lit("结婚"), reg_date="m2"),
            ly.select(*cols, b_id="s2_id", b_name="s2_name", reg_type=pl.lit("离婚"), reg_date="d2"),
        ]
    )
    ctx.add_truth(
        "TQ-12", "core", "cm_person", t["id_no"],
        [f"planted: 离婚 {d} 后再婚，{w} {b}" for d, w, b in zip(t["d1"], t["buy_what"], t["buy"], strict=True)],
    )  # fmt: skip
    return pl.concat([first, div, yh, ly2], how="diagonal").with_columns(_planted=pl.lit(True))


def _natural_tq12(
    ctx: _Ctx, ev: pl.DataFrame, buys: pl.DataFrame, persons: pl.DataFrame, planted: pl.Series
) -> None:
    """Ground truth for TQ-12 cases that arise from the registrations themselves (not planted)."""
    core_ids = persons["id_no"].implode()
    sides = pl.concat(
        [
            ev.select("id_no", "reg_date"),
            ev.filter(pl.col("b_id").is_in(core_ids)).select(id_no="b_id", reg_date="reg_date"),
        ]
    )
    close = (
        sides.sort("id_no", "reg_date")
        .with_columns(gap=(pl.col("reg_date") - pl.col("reg_date").shift(1).over("id_no")).dt.total_days())
        .filter(pl.col("gap") <= 1095)
        .select("id_no")
        .unique()
        .join(buys, on="id_no")
        .filter(~pl.col("id_no").is_in(planted.implode()))
        .sort("id_no")
    )
    ctx.add_truth(
        "TQ-12",
        "core",
        "cm_person",
        close["id_no"],
        [f"natural: 36 个月内多次婚姻登记，{w}" for w in close["buy_what"]],
    )


def _registration_numbers(ctx: _Ctx, ev: pl.DataFrame) -> pl.DataFrame:
    """结婚证/离婚证字号 J|L + district + year + 6 digits: keyed hash, collisions probed within the run."""
    ev = ev.with_columns(
        husband_name=pl.when("male").then("name").otherwise("b_name"),
        husband_id_no=pl.when("male").then("id_no").otherwise("b_id"),
        wife_name=pl.when("male").then("b_name").otherwise("name"),
        wife_id_no=pl.when("male").then("b_id").otherwise("id_no"),
        registry_office=pl.col("area").replace_strict(
            {k: f"三门峡市{v}民政局婚姻登记处" for k, v in identity.DISTRICTS.items()}, default="三门峡市湖滨区民政局婚姻登记处"
        ),
        _grp=_fmt("{}{}-{}", pl.when(pl.col("reg_type") == "结婚").then(pl.lit("J")).otherwise(pl.lit("L")), "area", pl.col("reg_date").dt.year()),
    )  # fmt: skip
    ev = ev.unique(["_grp", "husband_id_no", "wife_id_no", "reg_date"], keep="first", maintain_order=True)
    keys = ev.select(_fmt("{}|{}|{}", "husband_id_no", "wife_id_no", "reg_date")).to_series()
    ev = ev.with_columns(
        _h=pl.Series((_hash64(keys, f"{ctx.seed}|mzno") % np.uint64(999_999)).astype(np.int64) + 1)
    )
    for _ in range(100):
        ev = ev.sort("_grp", "_h", "husband_id_no", "reg_date")
        dup = (
            ev.select((pl.col("_h") == pl.col("_h").shift(1)) & (pl.col("_grp") == pl.col("_grp").shift(1)))
            .to_series()
            .fill_null(False)
        )
        if not dup.any():
            break
        ev = ev.with_columns(_h=pl.when(dup).then(pl.col("_h") % 999_999 + 1).otherwise("_h"))
    ev = ev.with_columns(registration_no=_fmt("{}-{}", "_grp", pl.col("_h").cast(pl.String).str.zfill(6)))
    return ev.sort("_file_date", "reg_date", "registration_no")


# ============================================================================ sb 社保


# monthly sb workbooks written on initial generation: enough for GJ-18's same-month comparison, and
# small enough that xlsx writing/reading stays within the generation and ingestion budgets at scale 1.0
SB_INITIAL_MONTHS = 3


def _sb_months(ctx: _Ctx) -> list[date]:
    """Month ends of the monthly files: due on the 5th of the next month (last SB_INITIAL_MONTHS on initial)."""
    months = []
    y, m = ctx.end.year, ctx.end.month
    for _ in range(40):
        due = date(y, m, 5)
        prev_end = date(y, m, 1) - timedelta(days=1)
        if due <= ctx.end and (ctx.initial or due > ctx.start):
            months.append(prev_end)
        if (ctx.initial and len(months) == SB_INITIAL_MONTHS) or (not ctx.initial and due <= ctx.start):
            break
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return sorted(months)


def _sb(ctx: _Ctx, core: _Core) -> pl.DataFrame:
    months = _sb_months(ctx)
    if not months:
        return pl.DataFrame()
    mdf = pl.DataFrame({"month_end": months}).with_columns(month_start=pl.col("month_end").dt.month_start())
    acc = (
        core.accounts.filter(pl.col("base_amt").is_not_null() & pl.col("last_pay").is_not_null())
        .join(core.persons.filter(pl.col("valid_id")).select("cust_no", "id_no", "name"), on="cust_no")
        .join(core.units.select("unit_no", unit_uscc="uscc"), on="unit_no")
    )
    rows = acc.join(mdf, how="cross").filter(
        (pl.col("month_start") <= pl.col("last_pay"))
        & (pl.col("open_d").dt.month_start() <= pl.col("month_start"))
        & (pl.col("close_d").is_null() | (pl.col("close_d") >= pl.col("month_start")))
    )
    rows = rows.with_columns(pay_month=pl.col("month_end").dt.strftime("%Y%m")).unique(
        ["id_no", "unit_uscc", "pay_month"], keep="first", maintain_order=True
    )
    rows = rows.sort("month_end", "unit_uscc", "id_no")
    key = rows.select(_fmt("{}|{}", "indi_acct", "pay_month")).to_series()
    factor = pl.Series(0.85 + ctx.u(key, "sb|f") * 0.35)
    pool = rows.select("indi_acct").unique().sort("indi_acct")
    gj18 = pool.filter(pl.Series(ctx.pick(pool["indi_acct"], "GJ-18")))
    hi = pl.Series(ctx.u(gj18["indi_acct"], "gj18|v") < 0.5)
    far = gj18.with_columns(
        far=pl.when(hi).then(1.7 + pl.Series(ctx.u(gj18["indi_acct"], "gj18|f")) * 0.8).otherwise(0.35 + pl.Series(ctx.u(gj18["indi_acct"], "gj18|f")) * 0.25)
    )  # fmt: skip
    rows = rows.with_columns(f=factor).join(far, on="indi_acct", how="left")
    rows = rows.with_columns(
        base_amount=(pl.col("base_amt") * pl.coalesce("far", "f")).round(0),
        _planted=pl.col("far").is_not_null(),
        _file_date=pl.col("month_end"),
    )
    noted = (
        rows.filter(pl.col("_planted"))
        .group_by("indi_acct")
        .agg(
            pl.col("pay_month").min().alias("m0"),
            pl.col("pay_month").max().alias("m1"),
            pl.col("far").first(),
            pl.col("base_amt").first(),
        )
        .sort("indi_acct")
    )
    ctx.add_truth(
        "GJ-18", "core", "dp_indi_acct", noted["indi_acct"],
        [f"社保基数 ≈ {f:.2f}× 公积金基数 {b:.0f}（{a}–{z}）" for f, b, a, z in zip(noted["far"], noted["base_amt"], noted["m0"], noted["m1"], strict=True)],
    )  # fmt: skip
    return rows


# ============================================================================ scjg 市场监管


def _scjg(ctx: _Ctx, core: _Core) -> pl.DataFrame:
    u = core.units.filter(pl.col("uscc").str.starts_with("9"))
    k = u["unit_no"]
    found = pl.coalesce(
        "found_d", pl.col("open_d") - _days(ctx.ui(k, "found", 30, 900)), pl.lit(date(2000, 1, 1))
    )
    u = u.with_columns(
        founded_date=found,
        status=pl.when(pl.col("acct_st") == "X").then(pl.lit("注销"))
        .when((pl.col("acct_st") == "F") & pl.Series(ctx.u(k, "revoked") < 0.1)).then(pl.lit("吊销"))
        .when(pl.Series(ctx.u(k, "inbiz") < 0.2)).then(pl.lit("在业")).otherwise(pl.lit("存续")),
        close_evt=pl.when(pl.col("acct_st") == "X").then(pl.coalesce("close_d", pl.lit(ctx.end))),
    )  # fmt: skip
    u = u.with_columns(
        cancel_date=pl.when(pl.col("status") == "注销")
        .then(pl.max_horizontal(pl.col("close_evt") - _days(ctx.ui(k, "cancel", 0, 60)), pl.col("founded_date") + _days(1)))
        .when(pl.col("status") == "吊销").then(pl.max_horizontal(pl.lit(ctx.end) - _days(ctx.ui(k, "revoke", 30, 700)), pl.col("founded_date") + _days(1))),
        _planted=pl.lit(False),
    )  # fmt: skip
    # GJ-19: cancelled or revoked at 市场监管 while the unit still pays for active staff
    pool = u.filter(
        (pl.col("acct_st") == "N")
        & (pl.col("active_staff") > 0)
        & (pl.col("open_d").fill_null(ctx.end) <= ctx.end)
    )
    gj19 = pool.filter(pl.Series(ctx.pick(pool["unit_no"], "GJ-19", population=True)))
    gk = gj19["unit_no"]
    gj19 = gj19.with_columns(
        status=pl.when(pl.Series(ctx.u(gk, "gj19|v") < 0.7)).then(pl.lit("注销")).otherwise(pl.lit("吊销")),
        cancel_date=pl.max_horizontal(
            pl.lit(ctx.end) - _days(ctx.ui(gk, "gj19", 30, 700)), pl.col("founded_date") + _days(1)
        ),
        _planted=pl.lit(True),
    )
    ctx.add_truth(
        "GJ-19", "core", "dp_unit_acct", gj19["unit_no"],
        [f"市场监管 {s} {d}，单位账户正常，{n} 名在缴职工" for s, d, n in zip(gj19["status"], gj19["cancel_date"], gj19["active_staff"], strict=True)],
    )  # fmt: skip
    u = u.update(gj19.select("unit_no", "status", "cancel_date", "_planted"), on="unit_no")
    if ctx.initial:
        u = u.filter(pl.col("open_d").is_null() | (pl.col("open_d") <= ctx.end)).with_columns(
            _file_date=pl.lit(ctx.end)
        )
    else:
        trig = pl.min_horizontal(
            pl.when(ctx.window("open_d")).then("open_d"),
            pl.when(ctx.window("close_evt")).then("close_evt"),
            pl.when(pl.col("_planted")).then(pl.lit(ctx.end)),
        )
        u = u.with_columns(_file_date=trig).filter(pl.col("_file_date").is_not_null())
    return u.with_columns(name="unit_nm", legal_rep="legal_nm", address="addr").sort("_file_date", "uscc")


# ============================================================================ rendering and files

# defects: (rule, source header, value template) — {y} is a year taken from the row's file date
_DEFECTS = {
    "bdc": [
        ("FEED-REQ", "坐落", ""),
        ("FEED-DATE", "登记日期", "{y}-02-30"),
        ("FEED-CODE", "登记类型", "预告登记"),
    ],
    "mz": [
        ("FEED-REQ", "登记机关", ""),
        ("FEED-DATE", "登记日期", "{y}0230"),
        ("FEED-CODE", "登记类型", "复婚"),
    ],
    "ga": [
        ("FEED-REQ", "name", ""),
        ("FEED-DATE", "birth_date", "{y}-02-30"),
        ("FEED-CODE", "status", "失踪"),
    ],
    "sb": [("FEED-REQ", "姓名", ""), ("FEED-DATE", "缴费年月", "{y}13")],
    "scjg": [
        ("FEED-REQ", "企业名称", ""),
        ("FEED-DATE", "成立日期", "{y}年02月30日"),
        ("FEED-CODE", "登记状态", "迁出"),
    ],
}


def _render(frame: pl.DataFrame, contract: FeedContract) -> pl.DataFrame:
    """String columns named by the contract's source headers, formatted as the department sends them."""
    exprs = []
    for c in contract.columns:
        col = pl.col(c.name) if c.name in frame.columns else pl.lit(None, pl.String)
        if c.type == "date":
            col = col.dt.strftime(c.format or "%Y-%m-%d")
        elif c.type == "decimal":
            col = col.cast(pl.Decimal(c.precision, c.scale))
        exprs.append(col.cast(pl.String).alias(c.source))
    return frame.select(*exprs, "_file_date", "_planted")


def _plant_quality(ctx: _Ctx, feed: str, table: pl.DataFrame, contract: FeedContract) -> pl.DataFrame:
    """Insert defective copies of clean rows (the original stays valid): duplicates, a missing
    required value, an impossible date, a code outside the contract. Rows keep a ``_pos`` order."""
    table = table.rechunk().with_columns(_pos=pl.int_range(0, pl.len()).cast(pl.Float64))
    key_headers = [contract.column(k).source for k in contract.keys]
    key = table.select(
        pl.concat_str([pl.col(h).fill_null("") for h in key_headers], separator="|")
    ).to_series()
    clean = ~table["_planted"]
    taken = np.zeros(table.height, dtype=bool)
    copies = []
    for i, (rule, header, template) in enumerate([("FEED-DUP", "", ""), *_DEFECTS[feed]]):
        avail = clean.to_numpy() & ~taken
        idx = np.flatnonzero(avail)
        if not len(idx):
            break
        chosen = idx[ctx.pick(key.gather(idx), rule, salt=feed)]
        taken[chosen] = True
        rows = table[chosen].with_columns(
            _pos=pl.col("_pos") + 0.1 * (i + 1), _defect=pl.lit(rule), _field=pl.lit(header)
        )
        if header:
            years = rows["_file_date"].dt.year().cast(pl.String)
            rows = rows.with_columns(
                pl.Series(
                    header, [template.format(y=y) if template else None for y in years], dtype=pl.String
                )
            )
        copies.append(rows)
    out = pl.concat(
        [table.with_columns(_defect=pl.lit(None, pl.String), _field=pl.lit(None, pl.String)), *copies]
    )
    return out.sort("_file_date", "_pos")


def _write_csv(path: Path, table: pl.DataFrame, encoding: str) -> None:
    text = table.write_csv(null_value="")
    path.write_bytes(text.encode(encoding, errors="replace"))


def _write_jsonl(path: Path, table: pl.DataFrame) -> None:
    path.write_bytes(
        ("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in table.iter_rows(named=True))).encode(
            "utf-8"
        )
    )


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _write_xlsx(path: Path, table: pl.DataFrame, sheet: str, numeric: set[str]) -> None:
    """A minimal xlsx (one sheet, inline strings, numbers as numbers), built column-wise."""
    table = table.rechunk()
    letters = [chr(ord("A") + i) for i in range(table.width)]
    header = "".join(
        f'<c r="{c}1" t="inlineStr"><is><t>{escape(h)}</t></is></c>'
        for c, h in zip(letters, table.columns, strict=True)
    )
    cells = []
    rownum = pl.int_range(2, pl.len() + 2).cast(pl.String)
    for c, h in zip(letters, table.columns, strict=True):
        v = pl.col(h)
        esc = (
            v.str.replace_all("&", "&amp;", literal=True)
            .str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True)
        )
        if h in numeric:
            cell = _fmt(f'<c r="{c}{{}}"><v>{{}}</v></c>', rownum, v)
            cell = (
                pl.when(v.str.contains(r"^-?\d+(\.\d+)?$"))
                .then(cell)
                .otherwise(_fmt(f'<c r="{c}{{}}" t="inlineStr"><is><t>{{}}</t></is></c>', rownum, esc))
            )
        else:
            cell = _fmt(f'<c r="{c}{{}}" t="inlineStr"><is><t>{{}}</t></is></c>', rownum, esc)
        cells.append(pl.when(v.is_null() | (v == "")).then(pl.lit("")).otherwise(cell))
    rows = table.select(_fmt('<row r="{}">{}</row>', rownum, pl.concat_str(cells)).alias("x"))["x"]
    sheet_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1">{header}</row>' + "".join(rows.to_list()) + "</sheetData></worksheet>"
    )
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{ns}/spreadsheetml/2006/main" '
            f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(
                zipfile.ZipInfo(name, date_time=_ZIP_TIME),
                content.encode("utf-8"),
                compress_type=zipfile.ZIP_DEFLATED,
            )


def _file_dates(ctx: _Ctx, feed: str) -> list[date]:
    """Every file this run writes for ``feed``: one per day of the window (daily), one per month (sb)."""
    if feed == "sb":
        return _sb_months(ctx)
    if ctx.initial:
        return [ctx.end]
    return [ctx.start + timedelta(days=i) for i in range(1, (ctx.end - ctx.start).days + 1)]


def _arrival(contract: FeedContract, file_date: date, jitter: float) -> datetime:
    """Simulated delivery: daily files 06:00–07:30 the next morning, monthly files the 3rd of the next month."""
    if contract.freshness.cadence == "monthly":
        due = contract.freshness.due(file_date)
        base = datetime.combine(due.date() - timedelta(days=2), time(10, 0), tzinfo=CHINA_TZ)
    else:
        base = datetime.combine(file_date + timedelta(days=1), time(6, 0), tzinfo=CHINA_TZ)
    return base + timedelta(minutes=int(jitter * 90))


def _set_arrival(path: Path, when: datetime) -> None:
    ts = when.timestamp()
    os.utime(path, (ts, ts))


def _write_feed(
    ctx: _Ctx, feed: str, table: pl.DataFrame, contract: FeedContract, folder: Path
) -> list[tuple[Path, date]]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = ctx.rng(feed)
    ext = {"csv": "csv", "jsonl": "jsonl", "xlsx": "xlsx"}[contract.file.format]
    headers = [c.source for c in contract.columns]
    numeric = {c.source for c in contract.columns if c.type in ("decimal", "integer")}
    written = []
    parts = table.partition_by("_file_date", as_dict=True, maintain_order=True) if table.height else {}
    by_date = {k[0]: v for k, v in parts.items()}
    for d in _file_dates(ctx, feed):
        part = by_date.get(
            d,
            pl.DataFrame(schema=table.schema)
            if table.width
            else pl.DataFrame({h: [] for h in headers}, schema=dict.fromkeys(headers, pl.String)),
        )
        rows = part.with_columns(_row=pl.int_range(1, pl.len() + 1))
        path = folder / f"{feed}_{d:%Y%m%d}.{ext}"
        body = rows.select(headers)
        if ext == "csv":
            _write_csv(path, body, contract.file.encoding or "utf-8")
        elif ext == "jsonl":
            _write_jsonl(path, body)
        else:
            _write_xlsx(path, body, contract.file.sheet or "Sheet1", numeric)
        _set_arrival(path, _arrival(contract, d, float(rng.random())))
        for r in rows.filter(pl.col("_defect").is_not_null()).iter_rows(named=True):
            field_note = f"; field {r['_field']}" if r["_field"] else ""
            ctx.add_truth(
                r["_defect"],
                f"feed:{feed}",
                feed,
                [f"{path.name}|{r['_row']}"],
                [f"data row {r['_row']}{field_note}"],
            )
        written.append((path, d))
    return written


# ============================================================================ entry point


def generate_feeds(
    settings: Settings,
    core_url: str,
    start: date,
    end: date,
    seed: int,
    initial: bool,
    plan: FeedPlan | None = None,
) -> FeedGeneration:
    """Write the partner feeds for (start, end] (``initial``: the full history as of ``end``) into
    ``landing/<feed>/`` and their ground truth into ``ground_truth/feeds-<end>.csv``."""
    ctx = _Ctx(seed, start, end, initial, plan or load_plan())
    con = duckdb.connect()
    try:
        duckdb_attach(con, core_url, "core", read_only=True)
        core = _load_core(con)
    finally:
        con.close()
    contracts = load_contracts()
    frames = {
        "bdc": _bdc(ctx, core),
        "mz": _mz(ctx, core),
        "ga": _ga(ctx, core),
        "sb": _sb(ctx, core),
        "scjg": _scjg(ctx, core),
    }
    result = FeedGeneration(start, end, seed, initial)
    written: dict[str, list[tuple[Path, date]]] = {}
    for feed in FEEDS:
        contract = contracts[feed]
        frame = frames[feed]
        if frame.width == 0:
            types = {"date": _D, "decimal": pl.Float64, "integer": pl.Int64, "string": pl.String}
            frame = pl.DataFrame(
                schema={c.name: types[c.type] for c in contract.columns}
                | {"_file_date": _D, "_planted": pl.Boolean}
            )
        table = _plant_quality(ctx, feed, _render(frame, contract), contract)
        written[feed] = _write_feed(ctx, feed, table, contract, settings.landing_dir / feed)
        result.rows[feed] = table.height
        result.files += [p for p, _ in written[feed]]
    if not initial and written.get(ctx.plan.late_file.feed):
        _delay_one(ctx, contracts[ctx.plan.late_file.feed], written[ctx.plan.late_file.feed], result)
    truth = pl.DataFrame(ctx.truth, schema=dict.fromkeys(TRUTH_COLUMNS, pl.String)).sort(
        "rule_id", "record_key", "note"
    )
    settings.ground_truth_dir.mkdir(parents=True, exist_ok=True)
    result.truth_path = settings.ground_truth_dir / f"feeds-{end:%Y%m%d}.csv"
    with result.truth_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(TRUTH_COLUMNS)
        w.writerows(truth.iter_rows())
    result.truth_rows = truth.height
    result.truth_by_rule = dict(truth.group_by("rule_id").len().sort("rule_id").iter_rows())
    return result


def _delay_one(
    ctx: _Ctx, contract: FeedContract, files: list[tuple[Path, date]], result: FeedGeneration
) -> None:
    """One daily file of an advance run arrives ``delay_days`` after its deadline (及时性)."""
    rng = ctx.rng("late")
    path, d = files[int(rng.integers(0, len(files)))]
    due = contract.freshness.due(d)
    arrived = due + timedelta(days=ctx.plan.late_file.delay_days, hours=int(rng.integers(1, 9)))
    _set_arrival(path, arrived)
    result.late_file = path
    ctx.add_truth(
        "FEED-LATE", f"feed:{contract.feed}", contract.feed, [path.name],
        [f"data date {d}, due {due:%Y-%m-%d %H:%M}, arrived {arrived:%Y-%m-%d %H:%M} (China time)"],
    )  # fmt: skip
