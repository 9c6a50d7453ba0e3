"""Audit benchmark (`gjj audit bench`) → bench/results/audit.json.

1. the whole catalog, full run (fresh audit store) and incremental run (after `--advance-days 1` + ingest +
   dbt build when the bench generated its own center, else with unchanged inputs);
2. recall and precision per planted rule against the simulator's ground truth;
3. real-time screening: withdrawal applications offered open-loop at ``rate``/s for ``seconds`` s against
   the in-process Screener (latency counted from the scheduled send time, so queueing is included);
4. a per-record Python evaluation of 20 row-local rules over ``records`` account records vs the same
   rules' catalog SQL in DuckDB (normalised to the same record count): the set-based ratio.

Targets (issue #6, 2 cores, scale 1.0): catalog ≤ 60 s, incremental ≤ 10 s, screening p99 ≤ 20 ms at 200/s.
Run it at scale ≤ 0.05 yourself; the lead runs scale 1.0:  GJJ_LAKEHOUSE_ROOT=<dir> gjj audit bench --scale 1.0
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from audit.catalog import load_catalog, render
from audit.engine import load_params, open_warehouse, run_audit
from audit.screening import Screener, screening_store_path
from audit.store import audit_db_path, batch_connection
from audit.truth import open_risk_events, planted_violations
from bench.machine import write_result
from gjj.settings import Settings, get_settings

REPO = Path(__file__).resolve().parents[1]
PY_RULES = ["JC-01", "JC-03", "JC-04", "JC-05", "JC-09", "JC-06-P", "JC-08", "JC-11", "JC-13", "JC-14", "JC-15",
            "JC-16", "JC-22", "JC-23", "GJ-01", "GJ-02", "GJ-03-P", "GJ-04", "GJ-05", "GJ-07"]


def _run(settings: Settings, *args: str) -> None:
    env = {**os.environ, "GJJ_LAKEHOUSE_ROOT": str(settings.root)}
    subprocess.run(args, check=True, env=env, cwd=REPO, capture_output=True)


def _gjj(settings: Settings, *args: str) -> None:
    _run(settings, str(Path(sys.executable).with_name("gjj")), *args)


def _dbt(settings: Settings, *args: str) -> None:
    _run(settings, str(Path(sys.executable).with_name("dbt")), *args, "--project-dir", str(REPO / "dbt_project"),
         "--profiles-dir", str(REPO / "dbt_project"), "--quiet")


def recall_precision(settings: Settings) -> dict[str, float]:
    truth, events = planted_violations(settings), open_risk_events(settings)
    catalog = load_catalog()
    out: dict[str, float] = {}
    for (rid,), planted in truth.group_by("rule_id"):
        rules = [r.id for r in catalog.rules if rid in r.ground_truth_ids]
        hits = set(events.filter(pl.col("rule_id").is_in(rules))["record_key"].to_list())
        keys = set(planted["record_key"].to_list())
        tag = str(rid).replace("-", "_").lower()
        out[f"{tag}_recall"] = round(len(keys & hits) / len(keys), 4) if keys else 1.0
        out[f"{tag}_precision"] = round(len(keys & hits) / len(hits), 4) if hits else 0.0
    return dict(sorted(out.items()))


# ------------------------------------------------------------------------------------------- screening

def screening_load(settings: Settings, rate: int, seconds: float, prefix: str = "screening") -> dict[str, float]:
    from publish import publish_snapshot, read_current

    if read_current(settings.snapshots_dir) is None:
        publish_snapshot(settings)
    screener = Screener.from_settings(settings)
    members = screener.sample_members(2000)
    rng = random.Random(7)
    payloads = [{"grzh": rng.choice(members), "tqyy": rng.choice(["06", "07", "01"]), "tqje": rng.choice([500, 2000, 8000])}
                for _ in range(int(rate * seconds))]
    for p in payloads[:5]:  # warm-up
        screener.screen("withdrawal", p)
    latencies: list[float] = []
    service: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.1
    deadline = start + seconds * 3

    def one(i: int, payload: dict[str, Any]) -> None:
        scheduled = start + i / rate
        if time.perf_counter() > deadline:
            return
        decision = screener.screen("withdrawal", payload)
        done = time.perf_counter()
        with lock:
            latencies.append((done - scheduled) * 1000)
            service.append(decision.elapsed_ms)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for i, p in enumerate(payloads):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i, p)
    screener.close()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [float("nan")] * 99
    sq = statistics.quantiles(service, n=100) if len(service) > 2 else [float("nan")] * 99
    out = {"offered_per_s": rate, "requests": len(payloads), "completed": len(latencies),
           "dropped": len(payloads) - len(latencies), "p50_ms": round(q[49], 2), "p99_ms": round(q[98], 2),
           "service_p50_ms": round(sq[49], 2), "service_p99_ms": round(sq[98], 2),
           "rules": len(screener.rules["withdrawal"]), "workers": len(screener._workers)}
    return {f"{prefix}_{k}": v for k, v in out.items()}


# ------------------------------------------------------------------------------- per-record Python

def _id_ok(z: str | None) -> bool:
    if not z or not re.fullmatch(r"\d{17}[\dXx]", z):
        return False
    try:
        dt.datetime.strptime(z[6:14], "%Y%m%d")
    except ValueError:
        return False
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * k for c, k in zip(z[:17], w, strict=True)) % 11] == z[17].upper()


def _param(params: dict[str, list[tuple[dt.date, dt.date, float]]], name: str, day: dt.date) -> float | None:
    return next((v for f, t, v in params.get(name, []) if f <= day <= t), None)


def python_rules(r: dict[str, Any], p: dict[str, list[tuple[dt.date, dt.date, float]]], asof: dt.date) -> list[str]:
    """The 20 PY_RULES for one record (member_account ⨝ persons), the way a row-by-row engine would."""
    hits = []
    z, csny, sex = r["zjhm"], r["csny"], r["xingbie"]
    if r["zjlx"] == "01" and not _id_ok(z):
        hits.append("JC-01")
    if r["zjlx"] == "01" and z and len(z) == 18 and csny and csny.strftime("%Y%m%d") != z[6:14]:
        hits.append("JC-03")
    if r["zjlx"] == "01" and z and len(z) == 18 and z[16].isdigit() and sex in ("1", "2") and sex != ("1" if int(z[16]) % 2 else "2"):
        hits.append("JC-04")
    name = r["xingming"]
    if name is None or len(name.strip()) < 2 or re.search(r"[0-9*?\s]", name):
        hits.append("JC-05")
    if r["sjhm"] is not None and not re.fullmatch(r"1[3-9]\d{9}", r["sjhm"]):
        hits.append("JC-09")
    if name is None or z is None or (r["grjcjs"] is None and r["grzhzt"] == "01") or r["khrq"] is None:
        hits.append("JC-06-P")
    if "UNMAPPED" in (r["hyzk"], r["zjlx"], sex):
        hits.append("JC-08")
    if r["khrq"] and (r["khrq"] > asof or (r["xhrq"] and r["xhrq"] < r["khrq"])):
        hits.append("JC-11")
    if r["grzhzt"] in ("03", "04", "05") and r["grzhye"] != 0:
        hits.append("JC-13")
    if r["grzhye"] < 0:
        hits.append("JC-14")
    if r["grzhye"] != r["grzhsnjzye"] + r["grzhdngjye"]:
        hits.append("JC-15")
    if r["grjcjs"] is not None and (abs(r["gryjce"] - round(r["grjcjs"] * r["grjcbl"])) > 1 or abs(r["dwyjce"] - round(r["grjcjs"] * r["dwjcbl"])) > 1):
        hits.append("JC-16")
    if round(r["grjcbl"] * 100, 2) != r["grjcbl"] * 100 or round(r["dwjcbl"] * 100, 2) != r["dwjcbl"] * 100:
        hits.append("JC-22")
    if csny and r["khrq"] and (r["khrq"].year - csny.year > 80 or csny > r["khrq"]):
        hits.append("JC-23")
    paid = dt.date.fromisoformat(r["jzny"] + "-01") if r["jzny"] else asof
    js_max, js_min = _param(p, "JS_MAX", paid), _param(p, "JS_MIN", paid)
    if r["grzhzt"] in ("01", "02", "06") and js_max is not None and r["grjcjs"] is not None and r["grjcjs"] > js_max:
        hits.append("GJ-01")
    if r["grzhzt"] == "01" and js_min is not None and r["grjcjs"] is not None and r["grjcjs"] < js_min:
        hits.append("GJ-02")
    gmax, gmin = _param(p, "GR_BL_MAX", asof), _param(p, "GR_BL_MIN", asof)
    if r["grzhzt"] == "01" and gmax is not None and gmin is not None and not gmin <= r["grjcbl"] <= gmax:
        hits.append("GJ-03-P")
    ymax = _param(p, "YJCE_MAX", asof)
    if r["grzhzt"] == "01" and ymax is not None and r["gryjce"] + r["dwyjce"] > ymax:
        hits.append("GJ-04")
    if r["grzhzt"] == "01" and r["dwjcbl"] != r["grjcbl"] and _param(p, "P_EQUAL_RATIO", asof) == 1:
        hits.append("GJ-05")
    retire = _param(p, "RETIRE_M" if sex == "1" else "RETIRE_F", asof)
    if r["grzhzt"] == "01" and csny and retire is not None and paid >= asof - dt.timedelta(days=92):
        age = asof.year - csny.year - ((csny.month, csny.day) > (asof.month, asof.day))
        if age > retire + 5:
            hits.append("GJ-07")
    return hits


def per_record_ratio(settings: Settings, records: int) -> dict[str, float]:
    catalog = load_catalog()
    con = batch_connection(settings)
    open_warehouse(con, settings.warehouse_path)
    try:
        load_params(con, catalog)
        asof = con.execute("SELECT max(ctl_date) FROM staging.stg_core__system_controls WHERE ctl_key = 'BIZ_DATE'").fetchone()[0]  # type: ignore[index]
        n_rows = int(con.execute("SELECT count(*) FROM marts.member_account").fetchone()[0])  # type: ignore[index]
        t0 = time.perf_counter()
        sql_hits = 0
        for rid in PY_RULES:
            sql_hits += len(con.execute(render(catalog.by_id[rid], asof)).fetchall())
        sql_seconds = time.perf_counter() - t0
        rows = con.execute("""SELECT m.*, p.zjlx, p.sjhm FROM marts.member_account m
                              JOIN staging.stg_core__persons p USING (khh) ORDER BY m.grzh""").fetchall()
        names = [d[0] for d in con.description]  # type: ignore[union-attr]
        params: dict[str, list[tuple[dt.date, dt.date, float]]] = {}
        for rule_id, csdm, csz, f, t in con.execute("SELECT * FROM audit_params").fetchall():
            if rule_id in ("*", "GJ-05"):
                params.setdefault(csdm, []).append((f, t, float(csz)))
    finally:
        con.close()
    dicts = [dict(zip(names, r, strict=True)) for r in rows]
    t0 = time.perf_counter()
    py_hits = 0
    for i in range(records):
        py_hits += len(python_rules(dicts[i % len(dicts)], params, asof))
    py_seconds = time.perf_counter() - t0
    sql_per_records = sql_seconds * records / max(n_rows, 1)
    return {"per_record_rules": len(PY_RULES), "per_record_records": records, "per_record_python_seconds": round(py_seconds, 3),
            "per_record_sql_seconds": round(sql_seconds, 3), "per_record_sql_rows": n_rows,
            "per_record_sql_seconds_at_same_records": round(sql_per_records, 4),
            "per_record_python_vs_sql_ratio": round(py_seconds / sql_per_records, 1) if sql_per_records else 0.0}


def run_bench(scale: float | None = None, records: int = 100_000, rate: int = 200, seconds: float = 10.0) -> dict[str, Any]:
    settings = get_settings()
    if scale is not None:
        _gjj(settings, "generate", "--scale", str(scale))
        _gjj(settings, "ingest")
        _dbt(settings, "seed")
        _dbt(settings, "build")
    audit_db_path(settings).unlink(missing_ok=True)
    catalog = load_catalog()
    full = run_audit(settings, full=True, publish_screening=False)
    t0 = time.perf_counter()
    con = batch_connection(settings)
    open_warehouse(con, settings.warehouse_path)
    from audit.screening_store import publish_screening_store

    publish_screening_store(con, settings, catalog, full=True)
    con.close()
    store_seconds = time.perf_counter() - t0
    metrics: dict[str, Any] = {
        "rules": len(catalog), "catalog_full_seconds": round(full.seconds, 2), "catalog_full_rules_ran": len(full.ran),
        "catalog_full_rules_failed": len(full.failed), "catalog_full_hits": sum(o.hits for o in full.ran),
        "screening_store_seconds": round(store_seconds, 2),
    }
    slow = sorted(full.ran, key=lambda o: -o.seconds)[:10]
    metrics["slowest_rules"] = {o.rule_id: round(o.seconds, 2) for o in slow}
    metrics.update(recall_precision(settings))
    if scale is not None:
        _gjj(settings, "generate", "--advance-days", "1")
        _gjj(settings, "ingest")
        _dbt(settings, "build")
    inc = run_audit(settings, full=False, publish_screening=False)
    metrics |= {"catalog_incremental_seconds": round(inc.seconds, 2), "catalog_incremental_rules_ran": len(inc.ran),
                "catalog_incremental_rules_skipped": len(inc.skipped),
                "catalog_incremental_inputs_changed": "yes" if scale is not None else "no"}
    if scale is not None:  # the snapshot and the reference store of the advanced day
        from publish import publish_snapshot

        publish_snapshot(settings)
        t0 = time.perf_counter()
        con = batch_connection(settings)
        open_warehouse(con, settings.warehouse_path)
        publish_screening_store(con, settings, catalog)
        con.close()
        metrics["screening_store_daily_seconds"] = round(time.perf_counter() - t0, 2)
    elif not screening_store_path(settings).exists():
        raise FileNotFoundError(screening_store_path(settings))
    metrics |= screening_load(settings, rate, seconds)
    # the same at a tenth of the rate: the latency with (almost) no queue on this shared machine
    metrics |= screening_load(settings, max(rate // 10, 1), seconds, prefix="screening_low_rate")
    metrics |= per_record_ratio(settings, records)
    sim_scale = _scale(settings)
    write_result("audit", sim_scale, {k: v for k, v in metrics.items() if not isinstance(v, dict)}
                 | {"slowest_rules": str(metrics["slowest_rules"])})
    return metrics


def _scale(settings: Settings) -> float:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        row = con.execute("SELECT ctl_val FROM staging.stg_core__system_controls WHERE ctl_key = 'SIM_SCALE'").fetchone()
        return float(row[0]) if row else 0.0
    finally:
        con.close()
