"""Masking throughput (issue #5): a ROWS-row, 10-column frame of personal data masked with the real policies.

    gjj pii bench --rows 1000000        → bench/results/masking.json

Measured in one run, on the same DuckDB table (materialised: CREATE TEMP TABLE … AS SELECT):
- partial masks (身份证 / 手机 / 银行卡 / 姓名 / 地址) compiled from masking/policies.yaml → cells/s, and the bare
  DuckDB expressions for the same masks written by hand (the practical limit) → ratio;
- keyed pseudonyms (HMAC-SHA256 in SQL) on ID number and account → cells/s, vs a bare unkeyed ``sha256`` → ratio;
  side by side, the same HMAC in Python (OpenSSL through hashlib, the key's pad blocks hashed once: an Arrow UDF)
  and the same two columns through the analyst edition's own route (the ID numbers of the frame repeat: 15,000
  distinct values → hashed once each through its dictionary; the account numbers are unique → inline);
- keyed pseudonyms on a ledger-shaped column (LEDGER_ROWS_PER_VALUE rows per 个人账号) through the analyst edition's
  own code (masked_select: HMAC once per distinct value, joined back; ADR 0021) vs a bare ``sha256`` per row;
- the whole analyst policy over all 10 columns → cells/s;
- free text: the distinct corpus snippets through the analyzer + anonymizer on one core, in passes that each start
  from cold caches (best pass) → snippets/s of wall time and of the process's CPU time (the machine is shared).
presidio-structured is not in the lock (adding it would change uv.lock), so that comparison is skipped and the
result says so.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from bench.machine import write_result
from masking.operators import KEY_ENV, column_sql, masking_key
from masking.policy import Operator, load_policies

BENCH_KEY = "bench-only-masking-key-not-a-secret"
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "masking" / "corpus"

# bench column → (entity, dataset.column of the real policy, or None for the entity rule), type
COLUMNS: dict[str, tuple[str, tuple[str, str] | None, str]] = {
    "zjhm": ("CN_ID", ("member_account", "zjhm"), "VARCHAR"),
    "sjhm": ("CN_MOBILE", None, "VARCHAR"),
    "yhkh": ("BANK_CARD", None, "VARCHAR"),
    "xingming": ("PERSON", ("member_account", "xingming"), "VARCHAR"),
    "dz": ("ADDRESS", None, "VARCHAR"),
    "grzh": ("ACCOUNT_NO", ("member_account", "grzh"), "VARCHAR"),
    "grzhye": ("AMOUNT", ("member_account", "grzhye"), "DECIMAL(18,2)"),
    "csny": ("BIRTH_DATE", ("member_account", "csny"), "DATE"),
    "nl": ("AGE", ("member_account", "nl"), "INTEGER"),
    "dwzh": ("UNIT_ID", ("member_account", "dwzh"), "VARCHAR"),
}
PARTIAL = ("zjhm", "sjhm", "yhkh", "xingming", "dz")
PSEUDO = ("zjhm", "grzh")
BARE_PARTIAL = {
    "zjhm": "left(zjhm, 4) || '**********' || right(zjhm, 4)",
    "sjhm": "left(sjhm, 3) || '****' || right(sjhm, 4)",
    "yhkh": "left(yhkh, 6) || '*********' || right(yhkh, 4)",
    "xingming": "left(xingming, 1) || repeat('*', length(xingming) - 1)",
    "dz": "regexp_extract(dz, '^.*?[区县]', 0) || '****'",
}


def _frame(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    con.execute(f"""
        CREATE TEMP TABLE frame AS
        SELECT
            '4112' || lpad(CAST(i % 100 AS VARCHAR), 2, '0') || strftime(DATE '1960-01-01' + CAST(i % 15000 AS INTEGER),
                '%Y%m%d') || lpad(CAST(i % 1000 AS VARCHAR), 3, '0') || CAST(i % 10 AS VARCHAR) AS zjhm,
            '1' || CAST(3 + i % 7 AS VARCHAR) || lpad(CAST(i % 1000000000 AS VARCHAR), 9, '0') AS sjhm,
            '622202' || lpad(CAST(i AS VARCHAR), 13, '0') AS yhkh,
            CASE WHEN i % 50 = 0 THEN '欧阳' ELSE ['王','李','张','刘','陈','杨','赵','黄'][1 + i % 8] END
                || ['伟','芳','娜','敏','静','强','磊','洋'][1 + (i // 8) % 8]
                || CASE WHEN i % 3 = 0 THEN '' ELSE ['明','华','军','丽'][1 + i % 4] END AS xingming,
            ['河南省三门峡市湖滨区','三门峡市陕州区','渑池县','灵宝市'][1 + i % 4] || ['六峰路','黄河路','崤山路'][1 + i % 3]
                || CAST(1 + i % 300 AS VARCHAR) || '号' || CAST(1 + i % 30 AS VARCHAR) || '号楼' AS dz,
            '4112' || lpad(CAST(i AS VARCHAR), 8, '0') AS grzh,
            CAST((i * 7919) % 50000000 / 100.0 AS DECIMAL(18,2)) AS grzhye,
            DATE '1960-01-01' + CAST(i % 15000 AS INTEGER) AS csny,
            CAST(18 + i % 45 AS INTEGER) AS nl,
            '4112' || lpad(CAST(i % 5000 AS VARCHAR), 8, '0') AS dwzh
        FROM range({rows}) AS t(i)""")


def _timed(con: duckdb.DuckDBPyConnection, select: str, table: str = "frame") -> float:
    con.execute("DROP TABLE IF EXISTS masked")
    start = time.perf_counter()
    con.execute(f"CREATE TEMP TABLE masked AS SELECT {select} FROM {table}")
    return time.perf_counter() - start


def _best(con: duckdb.DuckDBPyConnection, select: str, repeat: int = 3, table: str = "frame") -> float:
    return min(_timed(con, select, table) for _ in range(repeat))


LEDGER_ROWS_PER_VALUE = 10


def _ledger_pseudonyms(con: duckdb.DuckDBPyConnection, rows: int, key: bytes) -> tuple[float, float]:
    """(seconds through the edition's masked_select incl. its dictionary, seconds of a bare sha256 per row)."""
    from masking.edition import Column, masked_select

    con.execute(f"CREATE TEMP TABLE ledger AS SELECT '4112' || lpad(CAST(i % {max(rows // LEDGER_ROWS_PER_VALUE, 1)} "
                f"AS VARCHAR), 8, '0') AS grzh FROM range({rows}) AS t(i)")
    policies = load_policies()

    def once() -> float:
        con.execute("DROP TABLE IF EXISTS masked")
        start = time.perf_counter()
        sql = masked_select(con, policies, "analyst", "member_transaction", "ledger", [Column("grzh", "VARCHAR")], key)
        con.execute(f"CREATE TEMP TABLE masked AS {sql}")
        return time.perf_counter() - start

    return min(once() for _ in range(3)), _best(con, "sha256(grzh) AS grzh", table="ledger")


def _python_hmac(con: duckdb.DuckDBPyConnection, key: bytes) -> str:
    """Registers ``py_pseudonym(v)``: the same HMAC through Python's hashlib (OpenSSL), its two pad blocks hashed
    once and each value starting from copies of those states (what SQL cannot do), one Arrow batch at a time — the
    alternative to the SQL HMAC, measured side by side."""
    from masking.operators import PSEUDONYM_HEX, _pads

    ipad, opad = (hashlib.sha256(bytes.fromhex(p)) for p in _pads(key))

    def pseudonyms(col: pa.Array) -> pa.Array:
        out: list[str | None] = []
        for v in col.to_pylist():
            if v is None:
                out.append(None)
                continue
            inner, outer = ipad.copy(), opad.copy()
            inner.update(v.encode())
            outer.update(inner.digest())
            out.append("P" + outer.hexdigest()[:PSEUDONYM_HEX])
        return pa.array(out, pa.string())

    con.create_function("py_pseudonym", pseudonyms, ["VARCHAR"], "VARCHAR", type="arrow",  # type: ignore[call-overload]
                        null_handling="special", side_effects=False)
    return ", ".join(f"py_pseudonym({c}) AS {c}" for c in PSEUDO)


def _edition_route(con: duckdb.DuckDBPyConnection, key: bytes) -> float:
    """Seconds for the frame's pseudonym columns through the edition's route (dictionary where values repeat)."""
    from masking.edition import Column, pseudonym_expr

    def once() -> float:
        con.execute("DROP TABLE IF EXISTS masked")
        start = time.perf_counter()
        exprs = [f"{pseudonym_expr(con, 'frame', Column(c, 'VARCHAR'), key, f'pm_bench_{c}')} AS {c}" for c in PSEUDO]
        con.execute(f"CREATE TEMP TABLE masked AS SELECT {', '.join(exprs)} FROM frame AS src")
        return time.perf_counter() - start

    return min(once() for _ in range(3))


def _policy_exprs(role: str, cols: tuple[str, ...], op: Operator | None, key: bytes) -> str:
    p = load_policies()
    exprs = []
    for c in cols:
        entity, real, dtype = COLUMNS[c]
        if op is not None:
            use = op
        elif real is not None:
            use = p.operator(role, *real)
        else:
            use = p.entities[role].get(entity) or p.levels[role]["sensitive"]
        exprs.append(f"{column_sql(use, entity, c, dtype, key, f'bench.{c}')} AS {c}")
    return ", ".join(exprs)


def _free_text(n: int) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, snippets) of the best pass over the distinct corpus snippets; passes enough to
    anonymize at least ``n`` snippets in all, each starting with the analyzer's caches cleared."""
    from masking.anonymize import anonymize_text
    from masking.detect import analyzer

    texts = sorted({json.loads(line)["text"] for f in sorted(CORPUS.glob("*.jsonl"))
                    for line in f.read_text(encoding="utf-8").splitlines() if line.strip()})
    anonymize_text(texts[0])  # load jieba and the analyzer outside the timing
    passes = []
    for _ in range(max(1, math.ceil(n / len(texts)))):
        analyzer().nlp_engine.clear_caches()  # type: ignore[attr-defined]
        start, cpu = time.perf_counter(), time.process_time()
        for t in texts:
            anonymize_text(t)
        passes.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, cpu_s = min(passes)
    return wall, cpu_s, len(texts)


def run(rows: int = 1_000_000, snippets: int = 2000) -> str:
    os.environ.setdefault(KEY_ENV, BENCH_KEY)  # the benchmark's own key: the value does not change the cost
    key = masking_key()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    _frame(con, rows)
    partial = _best(con, _policy_exprs("analyst", PARTIAL, Operator("partial"), key))
    bare = _best(con, ", ".join(f"{e} AS {c}" for c, e in BARE_PARTIAL.items()))
    pseudo = _best(con, _policy_exprs("analyst", PSEUDO, Operator("pseudonym"), key))
    bare_sha = _best(con, ", ".join(f"sha256({c}) AS {c}" for c in PSEUDO))
    py_hmac = _best(con, _python_hmac(con, key))
    edition_route = _edition_route(con, key)
    analyst = _best(con, _policy_exprs("analyst", tuple(COLUMNS), None, key))
    ledger, ledger_bare = _ledger_pseudonyms(con, rows, key)
    ft_seconds, ft_cpu, ft_n = _free_text(snippets)
    metrics: dict[str, float | int | str] = {
        "rows": rows, "columns": len(COLUMNS), "duckdb_threads": int(con.execute("SELECT current_setting('threads')")
                                                                     .fetchone()[0]),  # type: ignore[index]
        "partial_mask_cells_per_s": round(rows * len(PARTIAL) / partial),
        "bare_partial_cells_per_s": round(rows * len(PARTIAL) / bare),
        "partial_vs_bare_ratio": round(partial / bare, 3),
        "pseudonym_hmac_cells_per_s": round(rows * len(PSEUDO) / pseudo),
        "bare_sha256_cells_per_s": round(rows * len(PSEUDO) / bare_sha),
        "pseudonym_vs_bare_sha256_ratio": round(pseudo / bare_sha, 3),
        "pseudonym_python_hmac_cells_per_s": round(rows * len(PSEUDO) / py_hmac),
        "pseudonym_python_hmac_vs_bare_sha256_ratio": round(py_hmac / bare_sha, 3),
        "pseudonym_edition_route_cells_per_s": round(rows * len(PSEUDO) / edition_route),
        "pseudonym_edition_route_vs_bare_sha256_ratio": round(edition_route / bare_sha, 3),
        "ledger_rows_per_value": LEDGER_ROWS_PER_VALUE,
        "ledger_pseudonym_cells_per_s": round(rows / ledger),
        "ledger_bare_sha256_cells_per_s": round(rows / ledger_bare),
        "ledger_pseudonym_vs_bare_sha256_ratio": round(ledger / ledger_bare, 3),
        "analyst_policy_cells_per_s": round(rows * len(COLUMNS) / analyst),
        "analyst_policy_seconds": round(analyst, 3),
        "free_text_snippets": ft_n,
        "free_text_snippets_per_s": round(ft_n / ft_seconds, 1),
        "free_text_snippets_per_cpu_s": round(ft_n / ft_cpu, 1),
        "free_text_ms": round(ft_seconds / ft_n * 1000, 3),
        "presidio_structured": "skipped: not in uv.lock (adding it changes the lock); see ADR 0021",
    }
    con.close()
    return str(write_result("masking", rows / 1_000_000, metrics))
