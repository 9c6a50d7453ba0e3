"""Serving API benchmark: lookups at 1,000 req/s offered load and the maximum lookup throughput,
against a bare FastAPI JSON endpoint served the same way (uvicorn, 2 workers), measured with hey.

Data: the dbt-built warehouse (settings.warehouse_path) when it holds the contract marts, else a
synthetic contract warehouse of realistic size (scale 1.0: 500k accounts × 50 postings = 25M
member_transaction rows). Either is published into its own lakehouse root under
``<root>/bench-api-<scale>/`` (the real snapshots/ are not touched). Targets on 2 cores:
p99 ≤ 10 ms at 1,000 req/s; max lookup throughput ≥ 30 % of the bare endpoint.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb

from bench.machine import write_result
from gjj.settings import Settings
from publish import publish_snapshot, read_current, version_dir
from publish.contract import CONTRACT
from publish.synthetic import build_synthetic_warehouse

OPEN_LOOP_RATE = 1000  # req/s offered
OPEN_LOOP_SECONDS = 20
HEY_PROCS, HEY_CONC = 4, 5  # 4 processes (4 different members) × 5 workers × 50 req/s = 1,000 req/s
CLOSED_LOOP_SECONDS = 10
CLOSED_LOOP_CONC = 32


def _ensure_hey() -> str:
    hey = shutil.which("hey")
    if hey is None:
        cmd = ["apt-get", "install", "-y", "hey"]
        if os.geteuid() != 0:
            cmd = ["sudo", "-n", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)
        hey = shutil.which("hey")
    if hey is None:
        raise RuntimeError("hey is not installed and apt-get could not install it")
    return hey


def _has_contract(warehouse: Path) -> bool:
    if not warehouse.is_file():
        return False
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return False
    try:
        have = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'").fetchall()}
    finally:
        con.close()
    return set(CONTRACT) <= have


def _prepare(settings: Settings, scale: float) -> tuple[Settings, str, float | None]:
    """Bench lakehouse with a published snapshot; (settings, data description, publish seconds)."""
    bench = Settings(lakehouse_root=settings.root / f"bench-api-{scale}", snapshots_kept=1)
    marker = bench.root / "data.json"
    if _has_contract(settings.warehouse_path):
        stat = settings.warehouse_path.stat()
        data = f"warehouse {settings.warehouse_path} ({stat.st_size} bytes, modified {stat.st_mtime_ns})"
        if marker.exists() and json.loads(marker.read_text()).get("data") == data and read_current(bench.snapshots_dir):
            return bench, data, json.loads(marker.read_text()).get("publish_seconds")  # published from this warehouse
        bench.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        bench.warehouse_path.unlink(missing_ok=True)
        bench.warehouse_path.symlink_to(settings.warehouse_path)
    else:
        accounts = max(int(500_000 * scale), 1000)
        data = f"synthetic: {accounts} accounts x 50 postings = {accounts * 50} member_transaction rows (publish.synthetic)"
        if not (marker.exists() and json.loads(marker.read_text()).get("data") == data and read_current(bench.snapshots_dir)):
            shutil.rmtree(bench.root, ignore_errors=True)
            build_synthetic_warehouse(bench.warehouse_path, accounts=accounts, txns_per_account=50,
                                      units=max(accounts // 40, 10), months=36)
        else:
            return bench, data, json.loads(marker.read_text()).get("publish_seconds")
    start = time.perf_counter()
    publish_snapshot(bench)
    seconds = time.perf_counter() - start
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"data": data, "publish_seconds": seconds}))
    return bench, data, seconds


# The API needs a key (issue #5): a privileged bench consumer with a limit far above the load.
_AUTH: list[str] = []


def _authorize(bench: Settings) -> None:
    from serving.core.access import issue_test_key

    _AUTH[:] = ["-H", "X-API-Key: " + issue_test_key(bench, "privileged", consumer_id="bench-api",
                                                      rate_limit="10000000/minute")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
           "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(cmd, env={**os.environ, **env}, cwd=Path(__file__).resolve().parent.parent)


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server at {url} did not come up")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _open_loop(hey: str, urls: list[str]) -> dict[str, float]:
    """HEY_PROCS hey processes (one member each) at OPEN_LOOP_RATE req/s in total; latencies from CSV."""
    per_worker = OPEN_LOOP_RATE / (len(urls) * HEY_CONC)
    procs = [subprocess.Popen([hey, *_AUTH, "-z", f"{OPEN_LOOP_SECONDS}s", "-q", f"{per_worker:g}", "-c", str(HEY_CONC),
                               "-o", "csv", u], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for u in urls]
    latencies: list[float] = []
    errors = 0
    for p in procs:
        out, _ = p.communicate()
        for row in csv.DictReader(io.StringIO(out.decode())):
            latencies.append(float(row["response-time"]) * 1000)
            errors += row["status-code"] != "200"
    n = len(latencies)
    expected = OPEN_LOOP_RATE * OPEN_LOOP_SECONDS
    return {"p50_ms": round(statistics.median(latencies), 2), "p99_ms": round(_percentile(latencies, 99), 2),
            "max_ms": round(max(latencies), 2), "achieved_per_s": round(n / OPEN_LOOP_SECONDS, 1),
            "error_count": errors, "shortfall_count": max(0, expected - n)}


def _closed_loop(hey: str, url: str) -> dict[str, float]:
    out = subprocess.run([hey, *_AUTH, "-z", f"{CLOSED_LOOP_SECONDS}s", "-c", str(CLOSED_LOOP_CONC), url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%+ in ([\d.]+) secs", out)
    codes = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", out))
    errors = sum(int(v) for k, v in codes.items() if k != "200") + len(re.findall(r"Error distribution", out))
    return {"max_per_s": round(rate, 1), "p99_ms": round(float(p99.group(1)) * 1000, 2) if p99 else -1,
            "error_count": errors}


def _in_process_lookup_ms(snapshot: Path, grzhs: list[str]) -> dict[str, float]:
    """One member's newest 20 postings: SQLite serving store vs DuckDB snapshot, in-process."""
    lite = sqlite3.connect((snapshot / "serving.sqlite").as_uri() + "?mode=ro&immutable=1", uri=True)
    duck = duckdb.connect(str(snapshot / "snapshot.duckdb"), read_only=True)
    q = "SELECT * FROM {t} WHERE grzh = ? ORDER BY jzrq DESC, ywlsh DESC LIMIT 20"
    timings = {}
    for name, con, table in (("sqlite", lite, "member_transaction"), ("duckdb", duck, "marts.member_transaction")):
        sql = q.format(t=table)
        for g in grzhs[:5]:
            con.execute(sql, [g]).fetchall()
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 2:
            con.execute(sql, [grzhs[n % len(grzhs)]]).fetchall()
            n += 1
        timings[f"inprocess_history_{name}_ms"] = round((time.perf_counter() - start) / n * 1000, 4)
    lite.close()
    duck.close()
    return timings


def run(settings: Settings, scale: float) -> str:
    hey = _ensure_hey()
    bench, data, publish_seconds = _prepare(settings, scale)
    version = read_current(bench.snapshots_dir)
    assert version is not None
    snap = version_dir(bench.snapshots_dir, version)
    manifest = json.loads((snap / "manifest.json").read_text())
    lite = sqlite3.connect(snap / "serving.sqlite")
    all_ids = [r[0] for r in lite.execute("SELECT grzh FROM member_account")]
    lite.close()
    rng = random.Random(7)
    grzhs = rng.sample(all_ids, min(200, len(all_ids)))
    metrics: dict[str, float | int | str] = {
        "data": data,
        "member_transaction_rows": manifest["tables"]["member_transaction"]["rows"],
        "member_account_rows": manifest["tables"]["member_account"]["rows"],
        "serving_sqlite_mib": round((snap / "serving.sqlite").stat().st_size / 2**20),
        "marts_duckdb_mib": round((snap / "snapshot.duckdb").stat().st_size / 2**20),
        **({"publish_seconds": round(publish_seconds, 1)} if publish_seconds else {}),
        **_in_process_lookup_ms(snap, grzhs),
    }
    api_port, bare_port = _free_port(), _free_port()
    _authorize(bench)
    api = _start("serving.app:app", api_port, {"GJJ_LAKEHOUSE_ROOT": str(bench.root)})
    bare = _start("bench.bare_app:app", bare_port, {})
    try:
        base = f"http://127.0.0.1:{api_port}"
        _wait(f"{base}/health")
        _wait(f"http://127.0.0.1:{bare_port}/ping")
        endpoints = {"history": "/v1/members/{g}/transactions?limit=20", "summary": "/v1/members/{g}/summary"}
        for path in endpoints.values():  # warm both workers' connections and the page cache
            for g in grzhs[:HEY_PROCS]:
                subprocess.run([hey, *_AUTH, "-n", "400", "-c", "8", base + path.format(g=g)], capture_output=True, check=True)
        for name, path in endpoints.items():
            res = _open_loop(hey, [base + path.format(g=g) for g in grzhs[:HEY_PROCS]])
            metrics.update({f"{name}_1000rps_{k}": v for k, v in res.items()})
        bare_res = _closed_loop(hey, f"http://127.0.0.1:{bare_port}/ping")
        metrics.update({f"bare_{k}": v for k, v in bare_res.items()})
        for name, path in endpoints.items():
            res = _closed_loop(hey, base + path.format(g=grzhs[HEY_PROCS]))
            metrics.update({f"{name}_{k}": v for k, v in res.items()})
            metrics[f"{name}_to_bare_ratio"] = round(res["max_per_s"] / bare_res["max_per_s"], 3)
    finally:
        _stop(api)
        _stop(bare)
    metrics["targets"] = ("p99 <= 10 ms at 1,000 req/s; max lookup throughput >= 0.30 of the bare endpoint "
                          f"(open loop: {HEY_PROCS} hey x -c {HEY_CONC}, {OPEN_LOOP_SECONDS}s; closed loop: "
                          f"-c {CLOSED_LOOP_CONC}, {CLOSED_LOOP_SECONDS}s; uvicorn 2 workers, hey on the same machine)")
    result = write_result("api", scale, metrics)
    return json.dumps(json.loads(result.read_text()), ensure_ascii=False, indent=2)
