"""Real-time screening (事中风控): a pending business transaction against the same rule SQL as the batch.

Where the time goes, and why this layout (ADR 0030): a rule's query over whole marts costs seconds at scale
1.0, and a DuckDB point query is a column scan (ms), so the rules never touch the big tables at request time.

1. The batch run writes the **screening store** ``lakehouse/audit/screening.sqlite``: every table a screening
   rule reads (marts, staging, intermediate), with a B-tree index on each neighbourhood key (``SCOPES``) and
   the DuckDB column types beside it (``_screening_schema``).
2. Per request, the request's **neighbourhood** (the applicant's accounts and ID numbers, the same flat, the same
   agent/phone/payee, the unit, the loan contracts) is gathered by indexed SQLite point lookups (≈ 0.05 ms each)
   and loaded, with the pending record on top, into empty in-memory DuckDB tables named like the warehouse's.
3. Each applicable rule's **own rendered SQL**, prepared once per worker (``PREPARE``), runs over those tiny
   tables, filtered to the pending record's keys; the transaction is rolled back, so the tables are empty again.

Workers (one DuckDB + one SQLite connection each, one per core) serve requests concurrently. Decision by the
highest severity hit: none → 通过, 低 → 增强身份验证, 中 → 人工复核, 高 → 止付.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from audit.catalog import (
    FAR_FUTURE,
    PARAMS_TABLE,
    SEVERITY_RANK,
    Catalog,
    Rule,
    input_tables,
    load_catalog,
    render,
    used_columns,
)
from gjj.settings import Settings
from publish.serving_store import sqlite_type

Kind = Literal["withdrawal", "loan", "remittance", "account_change"]
KINDS: tuple[Kind, ...] = ("withdrawal", "loan", "remittance", "account_change")

# Tables a pending transaction of each kind adds a row to (table → key column).
OVERLAYS: dict[str, dict[str, str]] = {
    "withdrawal": {"marts.withdrawal": "tqsqh", "staging.stg_core__withdrawals": "tqsqh"},
    "loan": {"staging.stg_core__loan_contracts": "jkhtbh"},
    "remittance": {"staging.stg_core__unit_transactions": "ywlsh", "staging.stg_core__personal_transactions": "ywlsh"},
    "account_change": {"staging.stg_core__persons": "khh"},
}
# The neighbourhood of a request each table is cut to: (key expression, set) pairs, a row belongs when any of
# its keys is in the set (G accounts, Z ID numbers, K customer numbers, B flats, L agent/payee links, D units,
# H loan contracts, P loan accounts, U unit remittance batches). Every record a screening rule needs to judge the pending record lies in
# it; each key expression has an index in the screening store. Tables not listed are small and kept whole.
SCOPES: dict[str, tuple[tuple[str, str], ...]] = {
    "marts.member_account": (("grzh", "G"), ("upper(zjhm)", "Z")),
    "marts.withdrawal": (("grzh", "G"), ("bdcdyh", "B")),
    "staging.stg_core__withdrawals": (("grzh", "G"), ("bdcdyh", "B"), ("upper(dbrzjhm)", "L"), ("dbrsjhm", "L"),
                                      ("skzhhm", "L")),
    "marts.member_transaction": (("grzh", "G"),),
    "marts.account_status_history": (("grzh", "G"),),
    "marts.loan_account": (("jkrgjjzh", "G"), ("upper(jkrzjh)", "Z"), ("jkhtbh", "H")),
    "marts.unit_summary": (("dwzh", "D"),),
    "staging.stg_core__co_borrowers": (("gtjkrgjjzh", "G"), ("upper(gtjkrzjhm)", "Z"), ("jkhtbh", "H")),
    "staging.stg_core__loan_contracts": (("jkrgjjzh", "G"), ("upper(jkrzjh)", "Z"), ("jkhtbh", "H")),
    "staging.stg_core__loan_plans": (("dkzh", "P"),),
    "staging.stg_core__personal_accounts": (("grzh", "G"),),
    "staging.stg_core__persons": (("khh", "K"), ("upper(zjhm)", "Z")),
    "staging.stg_core__ban_list": (("upper(zjhm)", "Z"),),
    "staging.stg_ga__population_register": (("upper(zjhm)", "Z"),),
    "staging.stg_bdc__property_registrations": (("upper(qlrzjhm)", "Z"), ("bdcdyh", "B")),
    "staging.stg_mz__marriage_registrations": (("upper(nfzjhm)", "Z"), ("upper(vfzjhm)", "Z")),
    "staging.stg_core__unit_transactions": (("dwzh", "D"),),
    "staging.stg_core__personal_transactions": (("dwywlsh", "U"),),
    "staging.stg_core__units": (("dwzh", "D"),),
}
SETS = "GZKBLDHPU"
# Read from the published snapshot's serving store (``serving.sqlite``, ADR 0004: clustered on grzh, same
# text encoding) instead of a second copy: the biggest table, already indexed for exactly this lookup.
FROM_SERVING = {"marts.member_transaction": "member_transaction"}
# Columns the screener itself reads besides the rules' (lookups, the account-change overlay's full person row);
# every other table keeps only the columns the screening rules, neighbourhood keys and overlay keys use.
OWN_COLUMNS: dict[str, set[str] | None] = {
    "marts.member_account": {"grzh", "zjhm", "khh", "dwzh", "grzhye", "xingming", "grzhzt"},
    "marts.loan_account": {"jkhtbh", "dkzh", "jkrgjjzh", "jkrzjh"},
    "intermediate.int_policy_parameters": {"csdm", "csz", "valid_from", "valid_to"},
    "staging.stg_core__system_controls": {"ctl_key", "ctl_date"},
    "staging.stg_core__persons": None,  # all
}
WHOLE_TABLE_MAX_ROWS = 10_000  # an unscoped table is copied whole into every worker: keep that small
SCHEMA_TABLE = "_screening_schema"

DECISIONS = {0: ("pass", "通过"), 1: ("enhanced_verification", "增强身份验证"), 2: ("manual_review", "人工复核"),
             3: ("stop_payment", "止付")}
TQLB = {"01": "gf", "02": "gf", "06": "hd", "07": "zf", "03": "lt"}


def lite_name(table: str) -> str:
    return table.replace(".", "__")


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
    return settings.root / "audit" / "screening.sqlite"


def screening_rules(catalog: Catalog, kind: str) -> list[Rule]:
    return [r for r in catalog.rules if r.enabled and kind in r.screening]


def screening_tables(catalog: Catalog, asof: dt.date = dt.date(2026, 1, 1)) -> list[str]:
    """Every table the screening rules read, plus the overlay and lookup tables (copied into the store)."""
    tables = {t for k in KINDS for r in screening_rules(catalog, k) for t in input_tables(r, asof)}
    tables |= {t for ov in OVERLAYS.values() for t in ov}
    tables |= {"marts.member_account", "intermediate.int_policy_parameters", "staging.stg_core__system_controls"}
    return sorted(tables)


def key_column(expr: str) -> str:
    return expr.removeprefix("upper(").removesuffix(")")


def kept_columns(catalog: Catalog, schema: dict[str, dict[str, dict[str, str]]], asof: dt.date) -> dict[str, set[str]]:
    """Per screening table, the columns the store keeps (see OWN_COLUMNS)."""
    keep: dict[str, set[str]] = {}
    for kind in KINDS:
        for rule in screening_rules(catalog, kind):
            for t, cols in used_columns(rule, schema, asof).items():
                keep.setdefault(t, set()).update(cols)
    for t, scopes in SCOPES.items():
        keep.setdefault(t, set()).update(key_column(e) for e, _ in scopes)
    for ov in OVERLAYS.values():
        for t, key in ov.items():
            keep.setdefault(t, set()).add(key)
    for t, own in OWN_COLUMNS.items():
        s, n = t.split(".")
        keep.setdefault(t, set()).update(own if own is not None else schema.get(s, {}).get(n, {}))
    return keep


WITHDRAWAL_TABLES = {"marts.withdrawal", "staging.stg_core__withdrawals"}


def subject_filter(rule: Rule, asof: dt.date) -> set[str] | None:
    """The 提取原因 values a withdrawal rule can hit, when that is decidable from its SQL alone: the outermost
    SELECT reads a withdrawal table as ``w``, returns ``w.tqsqh`` as record_key, and its WHERE has a top-level
    ``w.tqyy = '…'`` / ``w.tqyy IN ('…', …)``. Then a hit on a pending application is that row itself, so an
    application with another reason cannot be hit. Else None (the rule always runs)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(render(rule, asof), dialect="duckdb")
    if not isinstance(tree, exp.Select):
        return None
    frm = tree.args.get("from_") or tree.args.get("from")
    sources = [frm.this if frm is not None else None, *(j.this for j in tree.args.get("joins") or [])]
    aliases = {t.alias_or_name for t in sources if isinstance(t, exp.Table) and f"{t.db}.{t.name}" in WITHDRAWAL_TABLES}
    key = next((p for p in tree.selects if p.alias_or_name == "record_key"), None)
    key = key.this if isinstance(key, exp.Alias) else key
    if not (isinstance(key, exp.Column) and key.name == "tqsqh" and key.table in aliases):
        return None
    where = tree.args.get("where")
    conjuncts = list(where.this.flatten()) if where is not None and isinstance(where.this, exp.And) else (
        [where.this] if where is not None else [])
    allowed: set[str] | None = None
    for c in conjuncts:
        col = c.this if isinstance(c, exp.EQ | exp.In) else None
        if not (isinstance(col, exp.Column) and col.name == "tqyy" and col.table == key.table):
            continue
        values = [c.expression] if isinstance(c, exp.EQ) else c.expressions
        if not all(isinstance(v, exp.Literal) and v.is_string for v in values):
            return None
        vals = {v.this for v in values}
        allowed = vals if allowed is None else allowed & vals
    return allowed


class _Worker:
    """One DuckDB connection and one read-only SQLite connection to the screening store.

    The neighbourhood of a request goes into DuckDB in ONE insert (a DuckDB statement costs ≈ 1 ms however
    small, so one per table would dominate): all scoped tables share a wide table ``main.nb`` (a ``tbl``
    discriminator, one typed column per table column), and each warehouse name is a view over its slice.
    The rules' prepared plans read those views; small unscoped tables are real tables loaded once."""

    def __init__(self, s: Screener) -> None:
        self.s = s
        self.lite = sqlite3.connect(f"file:{s.store}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self.lite.execute("ATTACH DATABASE ? AS serving", [f"file:{s.serving}?mode=ro&immutable=1"])
        con = duckdb.connect(config={"threads": 1})
        # the plans are made once over EMPTY tables: optimizers that read table statistics would fold every
        # scan of them to an empty result (or compress by a min/max that later rows exceed)
        con.execute("SET disabled_optimizers = 'statistics_propagation,compressed_materialization'")
        # text slots c0..cK (a table's i-th column in slot i): no cast on insert, the views cast
        self.slots = max(len(cols) for t, cols in s.columns.items() if t in SCOPES)
        body = ", ".join(f"c{i} VARCHAR" for i in range(self.slots))
        con.execute(f"CREATE TABLE main.nb (tbl VARCHAR, req_key VARCHAR, {body})")
        con.execute("CREATE VIEW main.req_keys AS SELECT req_key AS k FROM main.nb WHERE tbl = 'req_keys'")
        for table, cols in s.columns.items():
            schema, name = table.split(".")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            if table in SCOPES:
                select = ", ".join(f'CAST(c{i} AS {d}) AS "{c}"' for i, (c, d) in enumerate(cols))
                con.execute(f"CREATE VIEW {table} AS SELECT {select} FROM main.nb WHERE tbl = '{table}'")
                continue
            con.execute(f"CREATE TABLE {table} ({', '.join(f'{chr(34)}{c}{chr(34)} {d}' for c, d in cols)})")
            rows = self.lite.execute(f"SELECT * FROM {lite_name(table)}").fetchall()  # small, read whole: once
            if rows:
                arrow = pa.Table.from_arrays([_array(list(col)) for col in zip(*rows, strict=True)], names=[c for c, _ in cols])
                con.from_arrow(arrow).insert_into(table)
        con.execute(f"""CREATE TABLE main.{PARAMS_TABLE} AS
            SELECT '*' AS rule_id, csdm, CAST(csz AS DOUBLE) AS csz, valid_from,
                   coalesce(valid_to, DATE '{FAR_FUTURE}') AS valid_to FROM intermediate.int_policy_parameters""")
        rows = [(r, n, v, f, t or FAR_FUTURE) for r, n, v, f, t in s.catalog.parameter_rows()]
        con.executemany(f"INSERT INTO main.{PARAMS_TABLE} VALUES (?, ?, ?, ?, ?)", rows)
        # each rule's own rendered SQL, filtered to the request's record keys; the rules that apply to a request
        # are planned once as ONE statement (UNION ALL; per-statement overhead is the cost on a tiny neighbourhood)
        self.parts: dict[str, list[str]] = {}
        for kind in KINDS:
            self.parts[kind] = []
            for i, rule in enumerate(s.rules[kind]):
                ev = ", ".join(f'"{c}" := q."{c}"' for c in rule.evidence)
                self.parts[kind].append(
                    f"SELECT {i} AS rule_index, CAST(q.record_key AS VARCHAR) AS record_key, "
                    f"{f'to_json(struct_pack({ev}))' if ev else 'NULL'}::VARCHAR AS evidence "
                    f"FROM ({render(rule, s.asof)}) q "
                    "WHERE CAST(q.record_key AS VARCHAR) IN (SELECT k FROM main.req_keys)")
        self.statements: dict[tuple[str, tuple[int, ...]], str] = {}
        self.con = con
        for kind in KINDS:  # the full set of each kind now (a broken rule shows at start); subsets when first used
            self.statement(kind, tuple(range(len(s.rules[kind]))))

    def statement(self, kind: str, indices: tuple[int, ...]) -> str:
        """The prepared statement evaluating these rules of ``kind`` (prepared on first use)."""
        name = self.statements.get((kind, indices))
        if name is None:
            name = f"screen_{kind}_{len(self.statements)}"
            self.con.execute(f"PREPARE {name} AS " + "\nUNION ALL\n".join(self.parts[kind][i] for i in indices))
            self.statements[(kind, indices)] = name
        return name

    def load(self, tables: dict[str, list[tuple[Any, ...]]], keys: Iterable[str]) -> None:
        """The request's rows (per table, in its column order) and record keys → ``main.nb``, one insert."""
        tbl = [t for t, rows in tables.items() for _ in rows]
        key_list = sorted(keys)
        n_rows = len(tbl)
        arrays = [pa.array(tbl + ["req_keys"] * len(key_list)), pa.array([None] * n_rows + key_list, pa.string())]
        columns: list[list[Any]] = [[] for _ in range(self.slots)]
        for t, rows in tables.items():
            width = len(self.s.columns[t])
            by_col = list(zip(*rows, strict=True)) if rows else [()] * width
            for i in range(self.slots):
                columns[i] += by_col[i] if i < width else [None] * len(rows)
        arrays += [_array(col + [None] * len(key_list), pa.string()) for col in columns]
        names = ["tbl", "req_key", *(f"c{i}" for i in range(self.slots))]
        self.con.from_arrow(pa.Table.from_arrays(arrays, names=names)).insert_into("main.nb")

    def lookup(self, sql: str, *args: Iterable[str] | str) -> set[str]:
        flat: list[str] = []
        parts = sql.split("{}")
        out = parts[0]
        for part, arg in zip(parts[1:], args, strict=True):
            values = [arg] if isinstance(arg, str) else sorted(arg)
            flat += values
            out += "(" + ", ".join("?" for _ in values) + ")" + part
        return {str(r[0]) for r in self.lite.execute(out, flat).fetchall() if r[0] is not None}

    def gather(self, table: str, sets: dict[str, set[str]]) -> list[tuple[Any, ...]]:
        terms, args = [], []
        for expr, s in SCOPES[table]:
            if sets[s]:
                terms.append(f"{expr} IN ({', '.join('?' for _ in sets[s])})")
                args += sorted(sets[s])
        if not terms:
            return []
        cols = ", ".join(f'"{c}"' if sqlite_type(d) == "TEXT" else f'CAST("{c}" AS TEXT)' for c, d in self.s.columns[table])
        source = f"serving.{FROM_SERVING[table]}" if table in FROM_SERVING else lite_name(table)
        return self.lite.execute(f"SELECT {cols} FROM {source} WHERE {' OR '.join(terms)}", args).fetchall()

    def close(self) -> None:
        self.con.close()
        self.lite.close()


class Screener:
    """Evaluates screening rules for pending transactions; thread-safe (a pool of workers, one per core)."""

    def __init__(self, store: Path, serving: Path, catalog: Catalog | None = None, workers: int | None = None) -> None:
        for path, what in ((store, "screening store (run `gjj audit run`)"), (serving, "serving store (run `gjj publish`)")):
            if not Path(path).is_file():
                raise FileNotFoundError(f"{what} {path} is missing")
        self.catalog = catalog or load_catalog()
        self.store, self.serving = Path(store), Path(serving)
        lite = sqlite3.connect(f"file:{self.store}?mode=ro&immutable=1", uri=True)
        try:
            self.columns: dict[str, list[tuple[str, str]]] = {}  # kept columns, store order
            self.all_columns: dict[str, set[str]] = {}  # the warehouse table's columns
            for t, c, d, kept in lite.execute(f"SELECT tbl, col, dtype, kept FROM {SCHEMA_TABLE} ORDER BY tbl, pos").fetchall():
                self.all_columns.setdefault(t, set()).add(c)
                if kept:
                    self.columns.setdefault(t, []).append((c, d))
            row = lite.execute("SELECT max(ctl_date) FROM staging__stg_core__system_controls "
                               "WHERE ctl_key = 'BIZ_DATE'").fetchone()
        finally:
            lite.close()
        self.asof = dt.date.fromisoformat(str(row[0])[:10]) if row and row[0] else dt.date.today()
        self.rules: dict[str, list[Rule]] = {k: [r for r in screening_rules(self.catalog, k)
                          if all(t in self.columns for t in input_tables(r, self.asof))] for k in KINDS}
        self.tables: dict[str, list[str]] = {k: sorted({t for r in self.rules[k] for t in input_tables(r, self.asof)} | set(OVERLAYS[k])) for k in KINDS}
        self.only_when: dict[str, dict[int, set[str]]] = {
            k: {i: only for i, r in enumerate(self.rules[k]) if (only := subject_filter(r, self.asof)) is not None}
            for k in KINDS}
        self._pool: queue.Queue[_Worker] = queue.Queue()
        self._workers = [_Worker(self) for _ in range(workers or min(2, os.cpu_count() or 1))]
        for w in self._workers:
            self._pool.put(w)

    @classmethod
    def from_settings(cls, settings: Settings, catalog: Catalog | None = None, workers: int | None = None) -> Screener:
        from publish import read_current

        version = read_current(settings.snapshots_dir)
        if version is None:
            raise FileNotFoundError("no published snapshot (run gjj publish)")
        return cls(screening_store_path(settings), settings.snapshots_dir / f"v{version}" / "serving.sqlite", catalog, workers)

    def close(self) -> None:
        for w in self._workers:
            w.close()

    @contextmanager
    def _worker(self) -> Iterator[_Worker]:
        w = self._pool.get()
        try:
            yield w
        finally:
            self._pool.put(w)

    # ------------------------------------------------------------------------------------------ requests

    def _member(self, w: _Worker, grzh: str) -> dict[str, Any]:
        cols = [c for c, _ in self.columns["marts.member_account"]]
        row = w.lite.execute(f"SELECT {', '.join(cols)} FROM marts__member_account WHERE grzh = ?", [grzh]).fetchone()
        if row is None:
            raise ScreeningError("grzh", f"个人账号 {grzh} 不存在", f"personal account {grzh} not found")
        return dict(zip(cols, row, strict=True))

    def member(self, grzh: str) -> dict[str, Any]:
        with self._worker() as w:
            return self._member(w, grzh)

    def sample_members(self, n: int) -> list[str]:
        """Active members with a balance over 1,000 (spread over the key range), for load tests."""
        with self._worker() as w:
            return [r[0] for r in w.lite.execute(
                "SELECT grzh FROM marts__member_account WHERE grzhzt = '01' AND CAST(grzhye AS REAL) > 1000 "
                "ORDER BY substr(grzh, -4), grzh LIMIT ?", [n]).fetchall()]

    def screen(self, kind: str, payload: dict[str, Any]) -> Decision:
        """Screen one pending transaction of ``kind`` (withdrawal | loan | remittance | account_change)."""
        if kind not in KINDS:
            raise ScreeningError("kind", f"不支持的业务类型 {kind}", f"unknown screening kind {kind}")
        with self._worker() as w:
            started = time.perf_counter()
            overlay, keys = getattr(self, f"_prepare_{kind}")(w, payload)
            sets = self._context(w, kind, payload, overlay)
            for table, rows in overlay.items():
                unknown = {c for r in rows for c in r} - self.all_columns[table]
                if unknown:
                    raise ScreeningError(sorted(unknown)[0], "字段不属于该业务表", f"not a column of {table}")
            tables: dict[str, list[tuple[Any, ...]]] = {}
            for table in self.tables[kind]:
                if table not in SCOPES:
                    continue
                rows = w.gather(table, sets)
                if table in overlay:  # the pending record replaces a stored one with the same key
                    key = OVERLAYS[kind][table]
                    pos = [c for c, _ in self.columns[table]].index(key)
                    pending = {str(r[key]) for r in overlay[table]}
                    rows = [r for r in rows if str(r[pos]) not in pending]
                    rows += [tuple(r.get(c) for c, _ in self.columns[table]) for r in overlay[table]]
                tables[table] = rows
            indices = self._applicable(kind, overlay)
            w.con.execute("BEGIN")
            try:
                w.load(tables, keys)
                hits = self._evaluate(w, kind, indices)
            finally:
                w.con.execute("ROLLBACK")
            elapsed = (time.perf_counter() - started) * 1000
        rank = max((SEVERITY_RANK[h.severity] for h in hits), default=0)
        code, zh = DECISIONS[rank]
        return Decision(kind, code, zh, hits, len(indices), elapsed, sorted(keys))

    def _applicable(self, kind: str, overlay: dict[str, list[dict[str, Any]]]) -> tuple[int, ...]:
        """Indices of the kind's rules that can hit this request: a rule whose hits are the subject rows
        themselves, filtered on a constant 提取原因 (see ``subject_filter``), is left out for other reasons."""
        pending = {str(r.get("tqyy")) for r in overlay.get("marts.withdrawal", [])}
        return tuple(i for i in range(len(self.rules[kind]))
                     if (only := self.only_when[kind].get(i)) is None or pending & only)

    def _context(self, w: _Worker, kind: str, p: dict[str, Any], overlay: dict[str, list[dict[str, Any]]]) -> dict[str, set[str]]:
        """The request's neighbourhood (see SCOPES), by indexed lookups in the screening store."""
        sets: dict[str, set[str]] = {x: set() for x in SETS}
        if kind == "remittance":
            sets["D"] = {str(p["dwzh"])}
            sets["G"] = {str(x["grzh"]) for x in p["persons"]}
            sets["U"] = {str(r["ywlsh"]) for r in overlay["staging.stg_core__unit_transactions"]}
            return sets
        grzh = str(p.get("grzh") or p.get("jkrgjjzh"))
        z0 = w.lookup("SELECT upper(zjhm) FROM marts__member_account WHERE grzh IN {}", grzh)
        z0 |= {str(p[k]).upper() for k in ("jkrzjh", "zjhm") if p.get(k)}
        g = {grzh} | w.lookup("SELECT grzh FROM marts__member_account WHERE upper(zjhm) IN {}", z0)
        if kind == "withdrawal":
            sets["B"] = {str(p["bdcdyh"])} if p.get("bdcdyh") else set()
            sets["L"] = {str(v).upper() if k == "dbrzjhm" else str(v)
                         for k, v in p.items() if k in ("dbrzjhm", "dbrsjhm", "skzhhm") and v}
            if sets["B"] or sets["L"]:
                g |= w.lookup("SELECT grzh FROM staging__stg_core__withdrawals WHERE bdcdyh IN {} OR upper(dbrzjhm) IN {} "
                              "OR dbrsjhm IN {} OR skzhhm IN {}", sets["B"], sets["L"], sets["L"], sets["L"])
        sets["G"] = g
        sets["Z"] = z0 | w.lookup("SELECT upper(zjhm) FROM marts__member_account WHERE grzh IN {}", g)
        sets["K"] = w.lookup("SELECT khh FROM marts__member_account WHERE grzh IN {}", g)
        if "marts.loan_account" in self.columns:
            sets["H"] = {str(r["jkhtbh"]) for r in overlay.get("staging.stg_core__loan_contracts", [])} | w.lookup(
                "SELECT jkhtbh FROM marts__loan_account WHERE jkrgjjzh IN {} OR upper(jkrzjh) IN {}", g, sets["Z"])
            if sets["H"]:
                sets["P"] = w.lookup("SELECT dkzh FROM marts__loan_account WHERE jkhtbh IN {}", sets["H"])
        return sets

    def _evaluate(self, w: _Worker, kind: str, indices: tuple[int, ...]) -> list[Hit]:
        if not indices:
            return []
        rules = self.rules[kind]
        rows = w.con.execute(f"EXECUTE {w.statement(kind, indices)}").fetchall()
        return [Hit(rules[i].id, rules[i].name, rules[i].severity, key, json.loads(ev) if ev else {})
                for i, key, ev in sorted(rows, key=lambda r: (r[0], r[1]))]

    # ------------------------------------------------------------------------------------ per kind

    def _prepare_withdrawal(self, w: _Worker, p: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
        m = self._member(w, p["grzh"])
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

    def _prepare_loan(self, w: _Worker, p: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
        m = self._member(w, p["jkrgjjzh"])
        key = p.get("jkhtbh") or f"PENDING-{uuid.uuid4().hex[:10]}"
        row = {c: p.get(c) for c in self.all_columns["staging.stg_core__loan_contracts"] if c in p}
        row |= {"jkhtbh": key, "jkrgjjzh": m["grzh"], "jkrzjh": p.get("jkrzjh") or m["zjhm"],
                "jkrxm": p.get("jkrxm") or m["xingming"], "sqrq": p.get("sqrq") or self.asof}
        return {"staging.stg_core__loan_contracts": [row]}, {key}

    def _prepare_remittance(self, w: _Worker, p: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
        key = p.get("ywlsh") or f"PENDING-{uuid.uuid4().hex[:10]}"
        persons = p["persons"]
        unit = {"ywlsh": key, "dwzh": p["dwzh"], "ywmxlx": p.get("ywmxlx", "01"), "czbz": "01",
                "fse": p["fse"], "fsrs": p.get("fsrs", len(persons)), "hbjny": p["hbjny"], "jzrq": p.get("jzrq") or self.asof}
        rows = [{"ywlsh": f"{key}-{i}", "grzh": x["grzh"], "dwzh": p["dwzh"], "dwywlsh": key,
                 "gjhtqywlx": unit["ywmxlx"], "czbz": "01", "jdbz": "C", "fse": x["fse"], "hbjny": p["hbjny"],
                 "jzrq": unit["jzrq"]} for i, x in enumerate(persons)]
        keys = {key, p["dwzh"], *(x["grzh"] for x in persons)}
        return {"staging.stg_core__unit_transactions": [unit], "staging.stg_core__personal_transactions": rows}, keys

    def _prepare_account_change(self, w: _Worker, p: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
        m = self._member(w, p["grzh"])
        cols = [c for c, _ in self.columns["staging.stg_core__persons"]]
        found = w.lite.execute(f"SELECT {', '.join(cols)} FROM staging__stg_core__persons WHERE khh = ?", [m["khh"]]).fetchone()
        if not found:
            raise ScreeningError("grzh", "未找到该账户的个人信息", "no person record for this account")
        row = dict(zip(cols, found, strict=True))
        row |= {k: v for k, v in p.items() if k in row and k not in ("khh",) and v is not None}
        return {"staging.stg_core__persons": [row]}, {m["khh"]}


def _array(values: list[Any], kind: pa.DataType | None = None) -> pa.Array:
    """A column as stored in the screening store; request values (dates, numbers in text columns) → text."""
    try:
        return pa.array(values, kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else v.isoformat() if isinstance(v, dt.date) else str(v) for v in values], kind)


def _plain(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)
