"""Analytics benchmark: the analytics store build (forecasts with their rolling-origin backtests, profiles,
big-screen payloads) and the latency of the analytics API endpoints.

Data: the lakehouse the pipeline benchmark left at ``<root>/bench-pipeline-<scale>/`` when it has a published
snapshot, else its own ``<root>/bench-analytics-<scale>/`` (generate → ingest → dbt seed + build → publish).
The API runs under uvicorn (2 workers, as in bench.api) and is called sequentially over one keep-alive connection, so the
figures are per-request latencies. Target: big-screen p99 ≤ 10 ms.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from bench.api import _free_port, _percentile, _start, _stop, _wait
from bench.machine import Measured, run_measured, write_result
from gjj.settings import Settings
from publish import read_current

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
BIGSCREEN_REQUESTS = 2000
PROFILE_REQUESTS = 1000
WHAT_IF_REQUESTS = 200


def _gjj(*args: str) -> list[str]:
    return [sys.executable, "-m", "gjj.cli", *args]


def _check(step: str, m: Measured) -> Measured:
    if m.returncode != 0:
        raise RuntimeError(f"benchmark step '{step}' failed with exit code {m.returncode}")
    print(f"[bench analytics] {step}: {m.seconds:.1f} s", flush=True)
    return m


def _lakehouse(settings: Settings, scale: float) -> Settings:
    pipeline = Settings(lakehouse_root=settings.root / f"bench-pipeline-{scale}")
    if read_current(pipeline.snapshots_dir) is not None:
        return pipeline
    own = Settings(lakehouse_root=settings.root / f"bench-analytics-{scale}")
    if read_current(own.snapshots_dir) is None:
        env = {"GJJ_LAKEHOUSE_ROOT": str(own.root)}
        dbt = str(Path(sys.executable).with_name("dbt"))
        dbt_args = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--quiet"]
        _check("generate", run_measured(_gjj("generate", "--scale", str(scale)), env))
        _check("ingest", run_measured(_gjj("ingest"), env))
        _check("dbt seed", run_measured([dbt, "seed", *dbt_args], env))
        # dbt build returns 1 on the planted data-quality warnings' severity-error tests; run models only
        _check("dbt run", run_measured([dbt, "run", *dbt_args], env))
        _check("publish", run_measured(_gjj("publish"), env))
    return own


def _latencies(conn: http.client.HTTPConnection, requests: Sequence[tuple[str, str, bytes | None]],
               key: str) -> list[float]:
    out = []
    for method, url, body in requests:
        start = time.perf_counter()
        headers = {"X-API-Key": key, **({"Content-Type": "application/json"} if body else {})}
        conn.request(method, url, body=body, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        out.append((time.perf_counter() - start) * 1000)
        if resp.status != 200:
            raise RuntimeError(f"{method} {url} → {resp.status}: {payload[:300]!r}")
    return out


def _summary(prefix: str, values: list[float]) -> dict[str, float]:
    return {f"{prefix}_p50_ms": round(_percentile(values, 50), 3), f"{prefix}_p99_ms": round(_percentile(values, 99), 3),
            f"{prefix}_max_ms": round(max(values), 3)}


def run(settings: Settings, scale: float) -> str:
    from analytics.bigscreen import load_themes
    from analytics.build import build_store
    from analytics.forecast import MODELS, SERIES, WINDOW, backtest, read_history
    from analytics.snapshot import current_version, full_snapshot_database

    bench = _lakehouse(settings, scale)
    start = time.perf_counter()
    result = build_store(bench)
    build_seconds = time.perf_counter() - start
    print(f"[bench analytics] analytics build: {build_seconds:.1f} s {result.seconds}", flush=True)

    con = duckdb.connect()
    con.execute(f"ATTACH '{full_snapshot_database(bench, current_version(bench))}' AS snap (READ_ONLY)")
    history = read_history(con)
    con.close()
    start = time.perf_counter()
    for s in SERIES:
        for m in MODELS:
            backtest(history.flows[s][-WINDOW:], m)
    backtest_seconds = time.perf_counter() - start

    store = duckdb.connect(str(result.path), read_only=True)
    members = [r[0] for r in store.execute("SELECT grzh FROM member_profile USING SAMPLE 500 ROWS").fetchall()]
    mapes: dict[str, float | str] = {}
    for s, model, m, sm, q in store.execute(
            "SELECT series, model, mape, smape, mase FROM forecast_backtest WHERE chosen").fetchall():
        mapes |= {f"forecast_model_{s}": model, f"forecast_mape_{s}_ratio": round(float(m), 4),
                  f"forecast_smape_{s}_ratio": round(float(sm), 4), f"forecast_mase_{s}": round(float(q), 4)}
    store.close()

    themes = list(load_themes())
    rng = random.Random(7)
    from serving.core.access import issue_test_key

    key = issue_test_key(bench, "privileged", consumer_id="bench-analytics")
    port = _free_port()
    proc = _start("serving.app:app", port, {"GJJ_LAKEHOUSE_ROOT": str(bench.root)})
    try:
        _wait(f"http://127.0.0.1:{port}/health")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        _latencies(conn, [("GET", f"/v1/bigscreen/{t}", None) for t in themes] * 20, key)  # warm-up: store opened
        screens = _latencies(conn, [("GET", f"/v1/bigscreen/{themes[i % len(themes)]}", None)
                                    for i in range(BIGSCREEN_REQUESTS)], key)
        profiles = _latencies(conn, [("GET", f"/v1/profiles/{rng.choice(members)}", None)
                                     for _ in range(PROFILE_REQUESTS)], key)
        scenarios = [json.dumps({"loan_cap": rng.choice([300_000, 600_000, 900_000]),
                                 "withdrawal_reason": "zf", "withdrawal_change": rng.choice([-0.2, 0.2])}).encode()
                     for _ in range(WHAT_IF_REQUESTS)]
        what_if = _latencies(conn, [("POST", "/v1/forecasts/what-if", b) for b in scenarios], key)
        conn.close()
    finally:
        _stop(proc)

    metrics: dict[str, float | int | str] = {
        "analytics_build_seconds": round(build_seconds, 2),
        **{f"analytics_{k}_seconds": round(v, 2) for k, v in result.seconds.items()},
        "forecast_backtest_seconds": round(backtest_seconds, 2),
        "profiles_members": result.members,
        **mapes,
        **_summary("bigscreen", screens),
        **_summary("profile", profiles),
        **_summary("what_if", what_if),
        "bigscreen_requests": BIGSCREEN_REQUESTS,
        "target_bigscreen_p99_ms": 10,
        "lakehouse": str(bench.root),
    }
    metrics["api_workers"] = 2
    path = write_result("analytics", scale, metrics)
    return f"{path}\n" + json.dumps(metrics, ensure_ascii=False, indent=2)
