"""Masked editions of a published snapshot: every table of ``marts`` re-created through the role's masking
expressions (CREATE TABLE … AS SELECT, whole columns in DuckDB). The analyst edition (``analyst.duckdb`` next
to ``snapshot.duckdb``, same schema and table names) is what Superset and notebooks read; the full snapshot stays
restricted.

Free-text columns: the analyzer runs once per *distinct* text (摘要 repeats: 年度结息, 汇缴 …), the results go
into a temporary mapping table, and the column is masked by a join to it — set-based apart from the analyzer.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from masking.anonymize import anonymize_text
from masking.classify import CLASSIFICATION_FILE
from masking.operators import MaskingKeyMissing, column_sql, key_fingerprint, masking_key
from masking.policy import Operator, Policies, load_policies

log = logging.getLogger("masking")
EDITION_TABLE = "_masking_edition"


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[Column]:
    rows = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ? "
                       "AND table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
                       [catalog, table]).fetchall()
    return [Column(str(n), str(t)) for n, t in rows]


def needs_key(policies: Policies, role: str, tables: dict[str, list[Column]]) -> bool:
    return any(policies.operator(role, t, c.name).name == "pseudonym" for t, cols in tables.items() for c in cols)


def free_text_map(con: duckdb.DuckDBPyConnection, source: str, column: str, name: str,
                  where: str | None = None) -> str:
    """A temp table (original, masked) for the distinct values of a free-text column."""
    filt = f" AND {where}" if where else ""
    values = [v for (v,) in con.execute(f"SELECT DISTINCT {_q(column)} FROM {source} AS src WHERE {_q(column)} IS NOT NULL"
                                        f"{filt}").fetchall()]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (original VARCHAR PRIMARY KEY, masked VARCHAR)")
    if values:
        con.executemany(f"INSERT INTO {name} VALUES (?, ?)", [(v, anonymize_text(str(v))) for v in values])
    return f"temp.main.{name}"


# A pseudonym column whose values repeat (a ledger's 个人账号: one member, many rows) is hashed once per *distinct*
# value into a temp dictionary joined back — the same HMAC expression, so the same tokens. Each HMAC costs two
# DuckDB sha256 calls, so this pays from about two rows per value on (ADR 0021).
PSEUDONYM_DICTIONARY_MAX_DISTINCT_SHARE = 0.5


def pseudonym_map(con: duckdb.DuckDBPyConnection, source: str, column: Column, key: bytes, name: str,
                  where: str | None = None) -> str | None:
    """A temp table (original, masked) of the column's distinct values and their pseudonyms, or None when the values
    hardly repeat (then the HMAC is computed inline)."""
    filt = f" AND {where}" if where else ""
    base = f"FROM {source} AS src WHERE {_q(column.name)} IS NOT NULL{filt}"
    distinct, rows = con.execute(f"SELECT approx_count_distinct({_q(column.name)}), count(*) {base}").fetchone()  # type: ignore[misc]
    if not rows or distinct > rows * PSEUDONYM_DICTIONARY_MAX_DISTINCT_SHARE:
        return None
    expr = column_sql(Operator("pseudonym"), "", "original", column.dtype, key, f"pseudonym dictionary {name}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT original, {expr} AS masked "
                f"FROM (SELECT DISTINCT {_q(column.name)} AS original {base})")
    return f"temp.main.{name}"


def pseudonym_expr(con: duckdb.DuckDBPyConnection, source: str, column: Column, key: bytes, name: str,
                   where: str | None = None) -> str:
    """The pseudonym of ``src.<column>``: a lookup in its dictionary when the values repeat, else the HMAC inline."""
    ref = f"src.{_q(column.name)}"
    pm = pseudonym_map(con, source, column, key, name, where)
    if pm is not None:
        return f"(SELECT m.masked FROM {pm} AS m WHERE m.original = {ref})"
    return column_sql(Operator("pseudonym"), "", ref, column.dtype, key, name)


def masked_select(con: duckdb.DuckDBPyConnection, policies: Policies, role: str, dataset: str, source: str,
                  columns: list[Column], key: bytes | None, where: str | None = None) -> str:
    """``SELECT <masking expressions> FROM source`` for ``role``; column names and order are kept."""
    exprs = []
    for i, col in enumerate(columns):
        op = policies.operator(role, dataset, col.name)
        ref = f"src.{_q(col.name)}"
        ft = free_text_map(con, source, col.name, f"ft_{dataset}_{i}", where) if op.name == "free_text" else None
        if op.name == "pseudonym" and key is not None:
            exprs.append(f"{pseudonym_expr(con, source, col, key, f'pm_{dataset}_{i}', where)} AS {_q(col.name)}")
            continue
        exprs.append(f"{column_sql(op, policies.entity(dataset, col.name), ref, col.dtype, key, f'{dataset}.{col.name}', ft)}"
                     f" AS {_q(col.name)}")
    return f"SELECT {', '.join(exprs)} FROM {source} AS src" + (f" WHERE {where}" if where else "")


def edition_fingerprint(policies_text: str, key: bytes | None) -> str:
    import hashlib

    return hashlib.sha256((policies_text + (key_fingerprint(key) if key else "")).encode()).hexdigest()[:16]


ANALYST_EDITION = "analyst.duckdb"


class EditionMismatch(RuntimeError):
    """The masked edition does not hold the snapshot's rows (fails the publish)."""


class EditionUnavailable(RuntimeError):
    """The current snapshot has no analyst edition (published without GJJ_MASKING_KEY)."""


def _edition_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [str(t) for (t,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'marts' "
        "ORDER BY table_name", [catalog]).fetchall()]


def write_edition(snapshot_db: Path, out: Path, role: str = "analyst", policies: Policies | None = None,
                  memory_limit: str | None = None, base: Path | None = None,
                  deltas: dict[str, tuple[str, str, str]] | None = None) -> dict[str, object]:
    """Write the ``role`` edition of ``snapshot_db`` to ``out``. Returns a summary (role, fingerprint, masked
    columns, how each table was written).

    ``base`` (the previous version's edition) and ``deltas`` ({table: (key, stamp column, previous newest stamp)})
    let the ledger marts be carried over: when the base edition was masked with the same policies and key, only
    the rows stamped after the previous snapshot are masked and replace their keys' rows; every other table is
    masked whole.
    """
    from masking.policy import POLICY_FILE

    policies = policies or load_policies()
    if out.exists():
        out.unlink()
    con = duckdb.connect(config={"memory_limit": memory_limit} if memory_limit else {})
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{snapshot_db}' AS snap (READ_ONLY)")
        tables = _edition_tables(con, "snap")
        cols = {t: table_columns(con, "snap", t) for t in tables}
        key = masking_key() if needs_key(policies, role, cols) else None
        fingerprint = edition_fingerprint(POLICY_FILE.read_text(encoding="utf-8")
                                          + CLASSIFICATION_FILE.read_text(encoding="utf-8"), key)
        reuse = False
        if base is not None and base.is_file() and deltas:
            con.execute(f"ATTACH '{base}' AS prev (READ_ONLY)")
            row = con.execute(f"SELECT role, fingerprint FROM prev.main.{EDITION_TABLE}").fetchone()
            reuse = row is not None and tuple(row) == (role, fingerprint)
            con.execute("DETACH prev")
        if reuse:
            assert base is not None
            shutil.copyfile(base, out)
        con.execute(f"ATTACH '{out}' AS ed")
        con.execute("CREATE SCHEMA IF NOT EXISTS ed.marts")
        for gone in set(_edition_tables(con, "ed")) - set(tables):
            con.execute(f"DROP TABLE ed.marts.{_q(gone)}")
        written: dict[str, str] = {}
        for t in tables:
            source = f"snap.marts.{_q(t)}"
            # the delta replaces rows by their (masked) key: only when the key's mask is one-to-one
            one_to_one = deltas is not None and t in deltas and policies.operator(role, t, deltas[t][0]).name in (
                "keep", "pseudonym")
            if reuse and deltas and t in deltas and one_to_one and t in _edition_tables(con, "ed"):
                key_col, stamp_col, since = deltas[t]
                where = f"src.{_q(stamp_col)} > CAST('{since}' AS TIMESTAMP)"
                sql = masked_select(con, policies, role, t, source, cols[t], key, where)
                con.execute(f"CREATE OR REPLACE TEMP TABLE masked_delta AS {sql}")
                con.execute(f"DELETE FROM ed.marts.{_q(t)} WHERE {_q(key_col)} IN "
                            f"(SELECT {_q(key_col)} FROM masked_delta)")
                con.execute(f"INSERT INTO ed.marts.{_q(t)} BY NAME SELECT * FROM masked_delta")
                n = con.execute("SELECT count(*) FROM masked_delta").fetchone()
                written[t] = f"delta of {n[0] if n else 0} rows"
                continue
            sql = masked_select(con, policies, role, t, source, cols[t], key)
            con.execute(f"CREATE OR REPLACE TABLE ed.marts.{_q(t)} AS {sql}")
            written[t] = "whole"
        for t in tables:  # the edition must hold exactly the snapshot's rows
            got = con.execute(f"SELECT (SELECT count(*) FROM ed.marts.{_q(t)}), (SELECT count(*) FROM snap.marts.{_q(t)})"
                              ).fetchone()
            if got is None or got[0] != got[1]:
                raise EditionMismatch(f"analyst edition {t}: {got[0] if got else '?'} rows, snapshot "
                                      f"{got[1] if got else '?'} / 脱敏分析库行数与快照不一致")
        summary: dict[str, object] = {
            "file": out.name, "role": role, "fingerprint": fingerprint, "tables": written,
            "masked_columns": {t: [c.name for c in cols[t] if not policies.operator(role, t, c.name).unmasked]
                               for t in tables}}
        con.execute(f"CREATE OR REPLACE TABLE ed.main.{EDITION_TABLE} AS "
                    "SELECT ? AS role, ? AS fingerprint, ? AS summary",
                    [role, fingerprint, json.dumps(summary, ensure_ascii=False)])
        con.execute("DETACH ed")
    finally:
        con.close()
    return summary


def write_analyst_edition(staging: Path, base: Path | None, base_manifest: dict[str, object] | None,
                          delta_tables: dict[str, tuple[str, str]], memory_limit: str | None = None
                          ) -> dict[str, object]:
    """The publisher's hook: ``staging/analyst.duckdb`` from ``staging/snapshot.duckdb``. Without
    GJJ_MASKING_KEY nothing is written (the manifest says why) and :func:`analyst_edition_path` refuses."""
    try:
        masking_key()
    except MaskingKeyMissing as exc:
        log.warning("analyst edition not written: %s", exc)
        return {"file": None, "reason": str(exc)}
    deltas: dict[str, tuple[str, str, str]] = {}
    stamps = (base_manifest or {}).get("stamps") or {}
    for t, (key_col, stamp_col) in delta_tables.items():
        since = stamps.get(t) if isinstance(stamps, dict) else None
        if since:
            deltas[t] = (key_col, stamp_col, str(since))
    prev = base / ANALYST_EDITION if base is not None else None
    return write_edition(staging / "snapshot.duckdb", staging / ANALYST_EDITION, "analyst",
                         memory_limit=memory_limit, base=prev, deltas=deltas)


def analyst_edition_path(snapshot_dir: Path) -> Path:
    """The masked analyst edition of a snapshot folder (what Superset and notebooks open, read-only)."""
    path = snapshot_dir / ANALYST_EDITION
    if not path.is_file():
        raise EditionUnavailable(f"快照 {snapshot_dir.name} 没有脱敏分析库（analyst.duckdb），不提供未脱敏的 snapshot.duckdb："
                                 f"请设置 GJJ_MASKING_KEY 后重新发布（gjj publish） / snapshot {snapshot_dir.name} has no "
                                 "masked analyst edition and the unmasked snapshot.duckdb is never offered instead: "
                                 "set GJJ_MASKING_KEY and publish again")
    return path
