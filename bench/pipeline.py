"""Pipeline benchmark: the whole Dagster run, the same dbt models without Dagster, a daily incremental.

In its own lakehouse ``<root>/bench-pipeline-<scale>`` (scale S generated if absent, reused otherwise),
each measured step is a child process (wall time; peak RSS of the largest process via wait4, and the
summed RSS of the whole process tree — Dagster plus the dbt it launches — sampled from /proc):

(a) ``gjj pipeline run`` from an empty bronze/warehouse (processed and rejected feed files back in
    landing/), with per-stage times from the Dagster run's step statistics (extract, bronze feeds,
    dbt build, publish) and dbt's own elapsed time from that step's run_results.json;
(b) the same models by plain ``dbt build`` into an empty warehouse over the same bronze; the ratio
    (Dagster dbt step + publish) / plain dbt build shows what orchestration and publishing cost;
(c) ``gjj generate --advance-days 1`` then ``gjj pipeline run`` on top of (a)'s warehouse.

Targets (issue #3, scale 1.0, 2 cores): full build after generation ≤ 5 min, daily incremental ≤ 30 s,
peak memory ≤ 6 GiB, Dagster/plain dbt ≤ 1.3. The slowest dbt models (plain build and daily run) come
from run_results.json.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from bench.ingest import _restore_landing
from bench.machine import Measured, run_measured, write_result
from gjj.settings import Settings

REPO = Path(__file__).resolve().parent.parent
DBT_DIR = REPO / "dbt_project"
STEPS = {"extract_core_tables": "extract_core", "load_partner_feeds": "load_feeds",
         "warehouse_models": "dbt_build", "snapshot__current": "publish"}
CORE_STEPS = tuple(STEPS.values())  # the stages; the audit, quality and analytics assets come on top
SLOWEST = 8  # dbt models listed per run

TARGETS: dict[str, float | int] = {
    "target_full_build_seconds": 300,
    "target_daily_incremental_seconds": 30,
    "target_peak_rss_mib": 6144,
    "target_dagster_to_plain_dbt_ratio": 1.3,
}


def _gjj(*args: str) -> list[str]:
    return [sys.executable, "-m", "gjj.cli", *args]


class TreeRss:
    """Samples the summed RSS of every descendant of this process (the measured child and whatever it starts)."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            parent: dict[int, int] = {}
            rss: dict[int, int] = {}
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                pid = int(entry.name)
                parent[pid], rss[pid] = int(fields[1]), int(fields[21])
            total = 0
            for pid, pages in rss.items():
                p, seen = parent.get(pid), 0
                while p and p != me and seen < 64:
                    p, seen = parent.get(p), seen + 1
                if p == me:
                    total += pages
            self.peak_mib = max(self.peak_mib, total * self._page / 2**20)
            self._stop.wait(self.interval_s)


def _measure(step: str, cmd: list[str], env: dict[str, str]) -> tuple[Measured, float]:
    print(f"[bench pipeline] {step}: {' '.join(cmd[-3:])}", flush=True)
    with TreeRss() as tree:
        m = run_measured(cmd, env)
    if m.returncode != 0:
        raise RuntimeError(f"benchmark step '{step}' failed with exit code {m.returncode}")
    print(f"[bench pipeline] {step}: {m.seconds:.1f} s, peak {m.peak_rss_mib:.0f} MiB (tree {tree.peak_mib:.0f} MiB)",
          flush=True)
    return m, tree.peak_mib


def _reset(bench: Settings) -> None:
    """Empty bronze, extraction state, warehouse, snapshots and run history; every feed file back in landing/."""
    for folder in (bench.bronze_dir, bench.state_dir, bench.warehouse_path.parent, bench.snapshots_dir,
                   bench.root / "dagster", bench.root / "dbt"):
        shutil.rmtree(folder, ignore_errors=True)
    _restore_landing(bench)
    for rejected in bench.landing_dir.glob("*/rejected/*"):
        if rejected.is_file():
            if rejected.name.endswith(".reason.json"):
                rejected.unlink()
            else:
                rejected.replace(rejected.parent.parent / rejected.name)


def _business_date(bench: Settings) -> str:
    con = sqlite3.connect(f"file:{bench.sources_dir / 'core.sqlite'}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT ctl_val FROM sys_ctl WHERE ctl_key = 'BIZ_DATE'").fetchone()
    finally:
        con.close()
    return str(row[0]) if row else ""


def _dagster_run(bench: Settings, prefix: str) -> dict[str, float]:
    """Per-step seconds of the instance's latest run, and dbt's own elapsed time inside its step."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(bench.root / "dagster")) as instance:
        run = instance.get_runs(limit=1)[0]
        stats = instance.get_run_step_stats(run.run_id)
    out: dict[str, float] = {}
    for s in stats:
        name = STEPS.get(s.step_key, s.step_key)
        if s.start_time and s.end_time:
            out[f"{prefix}_{name}_seconds"] = round(s.end_time - s.start_time, 2)
    # dagster-dbt runs dbt in dbt_project/target/<op>-<run id[:7]>-<hash>/: read it, then remove it
    for target in DBT_DIR.joinpath("target").glob(f"warehouse_models-{run.run_id[:7]}-*"):
        results = target / "run_results.json"
        if results.is_file():
            out[f"{prefix}_dbt_elapsed_seconds"] = round(json.loads(results.read_text())["elapsed_time"], 2)
            shutil.copyfile(results, bench.root / f"run_results-{prefix}.json")
        shutil.rmtree(target, ignore_errors=True)
    return out


def _slowest_models(run_results: Path, prefix: str = "dbt", n: int = SLOWEST) -> dict[str, float]:
    if not run_results.is_file():
        return {}
    doc = json.loads(run_results.read_text())
    models = [(r["unique_id"].split(".")[-1], float(r["execution_time"])) for r in doc["results"]
              if r["unique_id"].startswith(("model.", "seed."))]
    tests = sum(float(r["execution_time"]) for r in doc["results"] if r["unique_id"].startswith(("test.", "unit_test.")))
    out = {f"{prefix}_model_{name}_seconds": round(sec, 2) for name, sec in sorted(models, key=lambda m: -m[1])[:n]}
    out[f"{prefix}_models_total_seconds"] = round(sum(sec for _, sec in models), 2)
    out[f"{prefix}_tests_total_seconds"] = round(tests, 2)
    return out


def _daily_rows(bench: Settings, since: datetime) -> int:
    """Rows into bronze since ``since``, from the ingestion log (read with DuckDB, as bench/ingest.py does:
    deltalake's pyarrow path can abort the interpreter at exit)."""
    import duckdb

    from ingestion.bronze import meta_path
    from ingestion.core_source import load_extension

    con = duckdb.connect()
    try:
        load_extension(con, "delta")
        row = con.execute("SELECT coalesce(sum(rows_bronze), 0) FROM delta_scan(?) WHERE started_at >= ?",
                          [str(meta_path(bench.bronze_dir, "ingestion_log")), since]).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def run(settings: Settings, scale: float) -> str:
    root = settings.root / f"bench-pipeline-{scale}"
    bench = Settings(lakehouse_root=root)
    env = {"GJJ_LAKEHOUSE_ROOT": str(root), "DAGSTER_HOME": str(root / "dagster")}
    # the pipeline's peaks (the simulator's generate/advance are not part of the platform's footprint)
    peaks: list[float] = []
    tree_peaks: list[float] = []

    def measure(step: str, cmd: list[str], pipeline: bool = True) -> Measured:
        m, tree = _measure(step, cmd, env)
        if pipeline:
            peaks.append(m.peak_rss_mib)
            tree_peaks.append(tree)
        return m

    marker = root / "generation.json"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        gen = measure("generate", _gjj("generate", "--scale", str(scale)), pipeline=False)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"generate_seconds": gen.seconds, "generate_peak_rss_mib": gen.peak_rss_mib}))
    generation = {k: round(v, 2) for k, v in json.loads(marker.read_text()).items()}
    business_date = _business_date(bench)

    # (a) the full Dagster run from an empty bronze and warehouse
    _reset(bench)
    full = measure("full pipeline run", _gjj("pipeline", "run"))
    full_steps = _dagster_run(bench, "full")
    full_peak, full_tree = peaks[-1], tree_peaks[-1]

    # (b) the same dbt models by plain dbt, into an empty warehouse over the same bronze; (a)'s warehouse is
    # moved aside and back, so that (c) continues from exactly what the Dagster run built
    aside = bench.warehouse_path.parent.with_name("warehouse.dagster")
    shutil.rmtree(aside, ignore_errors=True)
    bench.warehouse_path.parent.rename(aside)
    target = root / "dbt" / "target"
    target.mkdir(parents=True, exist_ok=True)
    partial = DBT_DIR / "target" / "partial_parse.msgpack"
    if partial.is_file():  # the same head start dagster-dbt gives its runs
        shutil.copyfile(partial, target / partial.name)
    dbt = str(Path(sys.executable).with_name("dbt"))
    plain = measure("plain dbt build", [dbt, "build", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                                        "--target", "dev", "--target-path", str(target),
                                        "--log-path", str(root / "dbt" / "logs"), "--quiet"])
    slowest = _slowest_models(target / "run_results.json")
    plain_elapsed = json.loads((target / "run_results.json").read_text())["elapsed_time"]
    shutil.rmtree(bench.warehouse_path.parent)
    aside.rename(bench.warehouse_path.parent)

    # (c) one simulated day later, the daily incremental run
    advance = measure("advance one day", _gjj("generate", "--advance-days", "1"), pipeline=False)
    since = datetime.now(UTC)
    daily = measure("daily pipeline run", _gjj("pipeline", "run"))
    daily_steps = _dagster_run(bench, "daily")

    dagster_dbt_publish = full_steps.get("full_dbt_build_seconds", 0.0) + full_steps.get("full_publish_seconds", 0.0)
    # the stages (extract, bronze, dbt build, publish) without the audit, quality and analytics assets
    core = {run: sum(steps.get(f"{run}_{s}_seconds", 0.0) for s in CORE_STEPS)
            for run, steps in (("full", full_steps), ("daily", daily_steps))}
    full_stage_sum = sum(v for k, v in full_steps.items() if k != "full_dbt_elapsed_seconds")
    metrics: dict[str, float | int | str] = {
        "lakehouse": str(root),
        "center_business_date": business_date,
        **generation,
        "full_run_seconds": round(full.seconds, 2),
        **full_steps,
        "full_startup_and_summary_seconds": round(full.seconds - full_stage_sum, 2),
        "full_core_stages_seconds": round(core["full"], 2),
        "full_peak_rss_mib": round(full_peak),
        "full_tree_peak_rss_mib": round(full_tree),
        "plain_dbt_build_seconds": round(plain.seconds, 2),
        "plain_dbt_elapsed_seconds": round(plain_elapsed, 2),
        "plain_dbt_peak_rss_mib": round(plain.peak_rss_mib),
        "dagster_dbt_and_publish_seconds": round(dagster_dbt_publish, 2),
        "dagster_to_plain_dbt_ratio": round(dagster_dbt_publish / plain.seconds, 3),
        "dagster_dbt_step_to_plain_dbt_ratio": round(full_steps.get("full_dbt_build_seconds", 0.0) / plain.seconds, 3),
        "advance_seconds": round(advance.seconds, 2),
        "daily_incremental_seconds": round(daily.seconds, 2),
        **daily_steps,
        "daily_core_stages_seconds": round(core["daily"], 2),
        "daily_bronze_rows": _daily_rows(bench, since),
        "daily_peak_rss_mib": round(daily.peak_rss_mib),
        "peak_rss_mib": round(max(peaks)),
        "tree_peak_rss_mib": round(max(tree_peaks)),
        **TARGETS,
        **slowest,
        **_slowest_models(root / "run_results-daily.json", prefix="daily_dbt"),
    }
    path = write_result("pipeline", scale, metrics)
    verdict = {
        "full build ≤ 5 min": full.seconds <= TARGETS["target_full_build_seconds"],
        "  (extract + bronze + dbt + publish ≤ 5 min)": core["full"] <= TARGETS["target_full_build_seconds"],
        "daily incremental ≤ 30 s": daily.seconds <= TARGETS["target_daily_incremental_seconds"],
        "peak memory ≤ 6 GiB": max(tree_peaks) <= TARGETS["target_peak_rss_mib"],
        "Dagster / plain dbt ≤ 1.3": dagster_dbt_publish / plain.seconds <= TARGETS["target_dagster_to_plain_dbt_ratio"],
    }
    lines = [f"{'✓' if ok else '✗'} {name}" for name, ok in verdict.items()]
    return f"{path}\n" + json.dumps(metrics, ensure_ascii=False, indent=2) + "\n" + "\n".join(lines)
