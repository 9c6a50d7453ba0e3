"""Real-time screening (事中风控): a pending business transaction against the same rule SQL as the batch.

A :class:`Screener` keeps one DuckDB connection open with the marts of the published snapshot and the
audit's reference tables (``lakehouse/audit/screening.duckdb``: the staging/intermediate tables the
screening rules read, refreshed by each batch run) behind views named like the warehouse tables. The
pending transaction is written into small overlay tables, so each table a rule reads is
"current data + the pending record" (the pending record replacing a stored one with the same key), and
the rule's own rendered SQL runs unchanged, filtered to the pending record's keys. Decision by the
highest severity hit: none → 通过, 低 → 增强身份验证, 中 → 人工复核, 高 → 止付.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from audit.catalog import (
    FAR_FUTURE,
    PARAMS_TABLE,
    SEVERITY_RANK,
    Catalog,
    Rule,
    input_tables,
    load_catalog,
    render,
)
from gjj.settings import Settings

Kind = Literal["withdrawal", "loan", "remittance", "account_change"]
KINDS: tuple[Kind, ...] = ("withdrawal", "loan", "remittance", "account_change")

# Tables a pending transaction of each kind adds a row to (table → key column).
OVERLAYS: dict[str, dict[str, str]] = {
    "withdrawal": {"marts.withdrawal": "tqsqh", "staging.stg_core__withdrawals": "tqsqh"},
    "loan": {"staging.stg_core__loan_contracts": "jkhtbh"},
    "remittance": {"staging.stg_core__unit_transactions": "ywlsh", "staging.stg_core__personal_transactions": "ywlsh"},
    "account_change": {"staging.stg_core__persons": "khh"},
}
# The neighbourhood of a request each table is cut to (sets in memory.main.ctx: G accounts, Z ID numbers,
# K customer numbers, B flats, L agent/payee links, D units, H loan contracts, P loan accounts). Every
# record a screening rule needs to judge the pending record lies in it; tables not listed are read whole.
SCOPES: dict[str, str] = {
    "marts.member_account": "grzh IN {G} OR upper(zjhm) IN {Z}",
    "marts.withdrawal": "grzh IN {G} OR bdcdyh IN {B}",
    "staging.stg_core__withdrawals": "grzh IN {G} OR bdcdyh IN {B} OR upper(dbrzjhm) IN {L} OR dbrsjhm IN {L} OR skzhhm IN {L}",
    "marts.member_transaction": "grzh IN {G}",
    "marts.account_status_history": "grzh IN {G}",
    "marts.loan_account": "jkrgjjzh IN {G} OR upper(jkrzjh) IN {Z} OR jkhtbh IN {H}",
    "marts.unit_summary": "dwzh IN {D}",
    "staging.stg_core__co_borrowers": "gtjkrgjjzh IN {G} OR upper(gtjkrzjhm) IN {Z} OR jkhtbh IN {H}",
    "staging.stg_core__loan_contracts": "jkrgjjzh IN {G} OR upper(jkrzjh) IN {Z} OR jkhtbh IN {H}",
    "staging.stg_core__loan_plans": "dkzh IN {P}",
    "staging.stg_core__personal_accounts": "grzh IN {G}",
    "staging.stg_core__persons": "khh IN {K} OR upper(zjhm) IN {Z}",
    "staging.stg_core__ban_list": "upper(zjhm) IN {Z}",
    "staging.stg_ga__population_register": "upper(zjhm) IN {Z}",
    "staging.stg_bdc__property_registrations": "upper(qlrzjhm) IN {Z} OR bdcdyh IN {B}",
    "staging.stg_mz__marriage_registrations": "upper(nfzjhm) IN {Z} OR upper(vfzjhm) IN {Z}",
    "staging.stg_core__unit_transactions": "dwzh IN {D}",
    "staging.stg_core__personal_transactions": "dwzh IN {D}",
    "staging.stg_core__units": "dwzh IN {D}",
}
SETS = "GZKBLDHP"


def _scope(table: str) -> str:
    pred = SCOPES.get(table)
    if pred is None:
        return "TRUE"
    return pred.format(**{x: f"(SELECT v FROM memory.main.ctx WHERE s = '{x}')" for x in SETS})


DECISIONS = {0: ("pass", "通过"), 1: ("enhanced_verification", "增强身份验证"), 2: ("manual_review", "人工复核"),
             3: ("stop_payment", "止付")}
TQLB = {"01": "gf", "02": "gf", "06": "hd", "07": "zf", "03": "lt"}


class ScreeningError(ValueError):
    """The request cannot be screened (e.g. unknown member); the message names the field."""

    def __init__(self, field_name: str, zh: str, en: str) -> None:
        super().__init__(f"{field_name}: {en}")
        self.field, self.zh, self.en = field_name, zh, en


@dataclass
class Hit:
    rule_id: str
    rule_name: str
    severity: str
    record_key: str
    evidence: dict[str, Any]


@dataclass
class Decision:
    kind: str
    decision: str
    decision_zh: str
    hits: list[Hit] = field(default_factory=list)
    rules_evaluated: int = 0
    elapsed_ms: float = 0.0
    record_keys: list[str] = field(default_factory=list)


def screening_store_path(settings: Settings) -> Path:
    return settings.root / "audit" / "screening.duckdb"


def screening_rules(catalog: Catalog, kind: str) -> list[Rule]:
    return [r for r in catalog.rules if r.enabled and kind in r.screening]


def reference_tables(catalog: Catalog, asof: dt.date = dt.date(2026, 1, 1)) -> list[str]:
    """Non-mart tables the screening rules read (copied into the screening store)."""
    tables = {t for k in KINDS for r in screening_rules(catalog, k) for t in input_tables(r, asof)}
    tables |= {t for ov in OVERLAYS.values() for t in ov}
    tables |= {"intermediate.int_policy_parameters", "staging.stg_core__system_controls"}
    return sorted(t for t in tables if not t.startswith("marts."))


def publish_screening_store(con: duckdb.DuckDBPyConnection, settings: Settings, catalog: Catalog) -> Path:
    """Copy the reference tables from the attached warehouse into a new screening store, switched atomically."""
    path = screening_store_path(settings)
    tmp = path.with_name(f".screening-{uuid.uuid4().hex[:8]}.duckdb")
    con.execute(f"ATTACH '{tmp}' AS scr_new")
    existing = {f"{s}.{t}" for s, t in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database()").fetchall()}
    try:
        for t in reference_tables(catalog):
            if t not in existing:  # a broken rule's table: the rule fails on its own, the store goes on
                continue
            schema, name = t.split(".")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS scr_new.{schema}")
            con.execute(f"CREATE TABLE scr_new.{schema}.{name} AS SELECT * FROM {schema}.{name}")
    finally:
        con.execute("DETACH scr_new")
    os.replace(tmp, path)
    return path


class Screener:
    """Evaluates screening rules for pending transactions; thread-safe (one connection behind a lock)."""

    def __init__(self, marts_db: Path, reference_db: Path, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or load_catalog()
        self._lock = threading.Lock()
        con = duckdb.connect()
        con.execute(f"ATTACH '{marts_db}' AS snap (READ_ONLY)")
        con.execute(f"ATTACH '{reference_db}' AS ref (READ_ONLY)")
        self.asof = con.execute(
            "SELECT max(ctl_date) FROM ref.staging.stg_core__system_controls WHERE ctl_key = 'BIZ_DATE'"
        ).fetchone()[0] or dt.date.today()  # type: ignore[index]
        overlay_keys = {t: k for ov in OVERLAYS.values() for t, k in ov.items()}
        needed = {t for k in KINDS for r in screening_rules(self.catalog, k) for t in input_tables(r, self.asof)}
        needed |= set(overlay_keys) | {"marts.member_account"}
        con.execute("CREATE TABLE memory.main.ctx (s VARCHAR, v VARCHAR)")
        self._src: dict[str, str] = {}
        for t in sorted(needed):
            schema, name = t.split(".")
            src = f"snap.marts.{name}" if schema == "marts" else f"ref.{schema}.{name}"
            self._src[t] = src
            con.execute(f"CREATE SCHEMA IF NOT EXISTS memory.{schema}")
            if t in overlay_keys:
                key = overlay_keys[t]
                con.execute(f"CREATE TABLE memory.main.pending_{schema}__{name} AS SELECT * FROM {src} LIMIT 0")
                con.execute(f"""CREATE VIEW memory.{schema}.{name} AS
                    SELECT * FROM {src} WHERE ({_scope(t)})
                      AND {key} NOT IN (SELECT {key} FROM memory.main.pending_{schema}__{name})
                    UNION ALL BY NAME SELECT * FROM memory.main.pending_{schema}__{name}""")
            else:
                con.execute(f"CREATE VIEW memory.{schema}.{name} AS SELECT * FROM {src} WHERE {_scope(t)}")
        con.execute(f"""CREATE TABLE memory.main.{PARAMS_TABLE} AS
            SELECT '*' AS rule_id, csdm, CAST(csz AS DOUBLE) AS csz, valid_from,
                   coalesce(valid_to, DATE '{FAR_FUTURE}') AS valid_to FROM ref.intermediate.int_policy_parameters""")
        rows = [(r, n, v, f, t or FAR_FUTURE) for r, n, v, f, t in self.catalog.parameter_rows()]
        con.executemany(f"INSERT INTO memory.main.{PARAMS_TABLE} VALUES (?, ?, ?, ?, ?)", rows)
        con.execute("USE memory")
        self._overlay_columns = {
            t: [r[0] for r in con.execute(f"DESCRIBE memory.main.pending_{t.replace('.', '__')}").fetchall()]
            for t in overlay_keys
        }
        # precompiled: each kind's rules rendered once, filtered to the record keys of the request
        self._sql: dict[str, list[tuple[Rule, str]]] = {k: [(r, f"SELECT * FROM ({render(r, self.asof)}) q WHERE CAST(q.record_key AS VARCHAR) IN "
                             "(SELECT unnest(CAST($keys AS VARCHAR[])))") for r in screening_rules(self.catalog, k)]
                     for k in KINDS}
        self.con = con

    @classmethod
    def from_settings(cls, settings: Settings, catalog: Catalog | None = None) -> Screener:
        from publish import read_current

        version = read_current(settings.snapshots_dir)
        if version is None:
            raise FileNotFoundError("no published snapshot (run gjj publish)")
        return cls(settings.snapshots_dir / f"v{version}" / "snapshot.duckdb", screening_store_path(settings), catalog)

    def close(self) -> None:
        self.con.close()

    # ------------------------------------------------------------------------------------------ requests

    def member(self, grzh: str) -> dict[str, Any]:
        cur = self.con.execute(f"SELECT * FROM {self._src['marts.member_account']} WHERE grzh = ?", [grzh])
        row = cur.fetchone()
        if row is None:
            raise ScreeningError("grzh", f"个人账号 {grzh} 不存在", f"personal account {grzh} not found")
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def screen(self, kind: str, payload: dict[str, Any]) -> Decision:
        """Screen one pending transaction of ``kind`` (withdrawal | loan | remittance | account_change)."""
        if kind not in KINDS:
            raise ScreeningError("kind", f"不支持的业务类型 {kind}", f"unknown screening kind {kind}")
        with self._lock:
            started = time.perf_counter()
            overlay, keys = getattr(self, f"_prepare_{kind}")(payload)
            try:
                self._set_context(kind, payload, overlay)
                for table, rows in overlay.items():
                    self._write_overlay(table, rows)
                hits = self._evaluate(kind, keys)
            finally:
                for table in overlay:
                    self.con.execute(f"DELETE FROM memory.main.pending_{table.replace('.', '__')}")
                self.con.execute("DELETE FROM memory.main.ctx")
            elapsed = (time.perf_counter() - started) * 1000
        rank = max((SEVERITY_RANK[h.severity] for h in hits), default=0)
        code, zh = DECISIONS[rank]
        return Decision(kind, code, zh, hits, len(self._sql[kind]), elapsed, sorted(keys))

    def _q(self, sql: str, *args: Any) -> set[str]:
        return {str(r[0]) for r in self.con.execute(sql, list(args)).fetchall() if r[0] is not None}

    def _set_context(self, kind: str, p: dict[str, Any], overlay: dict[str, list[dict[str, Any]]]) -> None:
        """The request's neighbourhood (see SCOPES), looked up in the sources, not the scoped views."""
        acct, wd, loans = (self._src.get(t, "") for t in ("marts.member_account", "staging.stg_core__withdrawals",
                                                            "marts.loan_account"))
        sets: dict[str, set[str]] = {x: set() for x in SETS}
        grzh = p.get("grzh") or p.get("jkrgjjzh")
        if kind == "remittance":
            sets["D"] = {p["dwzh"]}
            sets["G"] = {x["grzh"] for x in p["persons"]}
        else:
            z0 = self._q(f"SELECT upper(zjhm) FROM {acct} WHERE grzh = ?", grzh)
            if p.get("jkrzjh"):
                z0.add(str(p["jkrzjh"]).upper())
            if p.get("zjhm"):
                z0.add(str(p["zjhm"]).upper())
            g = {str(grzh)} | self._q(f"SELECT grzh FROM {acct} WHERE upper(zjhm) IN (SELECT unnest(?))", sorted(z0))
            if kind == "withdrawal":
                sets["B"] = {str(p["bdcdyh"])} if p.get("bdcdyh") else set()
                sets["L"] = {str(v).upper() if k == "dbrzjhm" else str(v)
                             for k, v in p.items() if k in ("dbrzjhm", "dbrsjhm", "skzhhm") and v}
                g |= self._q(f"""SELECT grzh FROM {wd} WHERE bdcdyh IN (SELECT unnest(?)) OR upper(dbrzjhm) IN (SELECT unnest(?))
                                 OR dbrsjhm IN (SELECT unnest(?)) OR skzhhm IN (SELECT unnest(?))""",
                             sorted(sets["B"]), sorted(sets["L"]), sorted(sets["L"]), sorted(sets["L"]))
            sets["G"] = g
            sets["Z"] = z0 | self._q(f"SELECT upper(zjhm) FROM {acct} WHERE grzh IN (SELECT unnest(?))", sorted(g))
            sets["K"] = self._q(f"SELECT khh FROM {acct} WHERE grzh IN (SELECT unnest(?))", sorted(g))
            if loans:
                sets["H"] = {str(r["jkhtbh"]) for r in overlay.get("staging.stg_core__loan_contracts", [])} | self._q(
                    f"SELECT jkhtbh FROM {loans} WHERE jkrgjjzh IN (SELECT unnest(?)) OR upper(jkrzjh) IN (SELECT unnest(?))",
                    sorted(g), sorted(sets["Z"]))
                sets["P"] = self._q(f"SELECT dkzh FROM {loans} WHERE jkhtbh IN (SELECT unnest(?))", sorted(sets["H"]))
        self.con.executemany("INSERT INTO memory.main.ctx VALUES (?, ?)",
                             [(x, v) for x, vals in sets.items() for v in sorted(vals)])

    def _write_overlay(self, table: str, rows: list[dict[str, Any]]) -> None:
        cols = self._overlay_columns[table]
        unknown = {c for r in rows for c in r} - set(cols)
        if unknown:
            raise ScreeningError(sorted(unknown)[0], "字段不属于该业务表", f"not a column of {table}")
        name = f"memory.main.pending_{table.replace('.', '__')}"
        placeholders = ", ".join("?" for _ in cols)
        self.con.executemany(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({placeholders})",
                             [[r.get(c) for c in cols] for r in rows])

    def _evaluate(self, kind: str, keys: Iterable[str]) -> list[Hit]:
        key_list = list(keys)
        hits: list[Hit] = []
        for rule, sql in self._sql[kind]:
            cur = self.con.execute(sql, {"keys": key_list})
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                rec = dict(zip(names, row, strict=True))
                ev = {c: _plain(rec.get(c)) for c in rule.evidence}
                hits.append(Hit(rule.id, rule.name, rule.severity, str(rec["record_key"]), ev))
        return hits

    # ------------------------------------------------------------------------------------ per kind

    def _prepare_withdrawal(self, p: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
        m = self.member(p["grzh"])
        key = p.get("tqsqh") or f"PENDING-{uuid.uuid4().hex[:10]}"
        day = p.get("sqrq") or self.asof
        common = {"tqsqh": key, "grzh": m["grzh"], "tqyy": p["tqyy"], "tqje": p["tqje"], "sqrq": day,
                  "sprq": p.get("sprq") or day, "jkhtbh": p.get("jkhtbh"), "fwzj": p.get("fwzj"),
                  "bdcdyh": p.get("bdcdyh"), "gfrq": p.get("gfrq"), "tqfs": p.get("tqfs", "02"),
                  "qd": p.get("qd", "SJ"), "tqzt": p.get("tqzt", "0"), "tqlb": TQLB.get(p["tqyy"], "qt"),
                  "tqqye": p.get("tqqye", m["grzhye"])}
        mart = {**common, "dwzh": p.get("dwzh") or m["dwzh"]}
        staged = {**common, "skzhhm": p.get("skzhhm"), "skzhmc": p.get("skzhmc"), "dbrzjhm": p.get("dbrzjhm"),
                  "dbrsjhm": p.get("dbrsjhm"), "bdcqzh": p.get("bdcqzh"), "fwzl": p.get("fwzl")}
        year_key = f"{m['grzh']}|{day.year if isinstance(day, dt.date) else str(day)[:4]}"  # TQ-16: per person-year
        return {"marts.withdrawal": [mart], "staging.stg_core__withdrawals": [staged]}, {key, year_key}

    def _prepare_loan(self, p: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
        m = self.member(p["jkrgjjzh"])
        key = p.get("jkhtbh") or f"PENDING-{uuid.uuid4().hex[:10]}"
        row = {c: p.get(c) for c in self._overlay_columns["staging.stg_core__loan_contracts"] if c in p}
        row |= {"jkhtbh": key, "jkrgjjzh": m["grzh"], "jkrzjh": p.get("jkrzjh") or m["zjhm"],
                "jkrxm": p.get("jkrxm") or m["xingming"], "sqrq": p.get("sqrq") or self.asof}
        return {"staging.stg_core__loan_contracts": [row]}, {key}

    def _prepare_remittance(self, p: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
        key = p.get("ywlsh") or f"PENDING-{uuid.uuid4().hex[:10]}"
        persons = p["persons"]
        unit = {"ywlsh": key, "dwzh": p["dwzh"], "ywmxlx": p.get("ywmxlx", "01"), "czbz": "01",
                "fse": p["fse"], "fsrs": p.get("fsrs", len(persons)), "hbjny": p["hbjny"], "jzrq": p.get("jzrq") or self.asof}
        rows = [{"ywlsh": f"{key}-{i}", "grzh": x["grzh"], "dwzh": p["dwzh"], "dwywlsh": key,
                 "gjhtqywlx": unit["ywmxlx"], "czbz": "01", "jdbz": "C", "fse": x["fse"], "hbjny": p["hbjny"],
                 "jzrq": unit["jzrq"]} for i, x in enumerate(persons)]
        keys = {key, p["dwzh"], *(x["grzh"] for x in persons)}
        return {"staging.stg_core__unit_transactions": [unit], "staging.stg_core__personal_transactions": rows}, keys

    def _prepare_account_change(self, p: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
        m = self.member(p["grzh"])
        cur = self.con.execute(f"SELECT * FROM {self._src['staging.stg_core__persons']} WHERE khh = ?", [m["khh"]])
        row = dict(zip([d[0] for d in cur.description], cur.fetchone() or (), strict=False))
        if not row:
            raise ScreeningError("grzh", "未找到该账户的个人信息", "no person record for this account")
        row |= {k: v for k, v in p.items() if k in row and k not in ("khh",) and v is not None}
        return {"staging.stg_core__persons": [row]}, {m["khh"]}


def _plain(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)
