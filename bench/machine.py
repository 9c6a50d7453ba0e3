"""What every benchmark result records about where and when it ran."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, object]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    # the load when the result is written: a figure taken on a busy machine says so
    load_1m, load_5m, _ = os.getloadavg()
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1), "cpu": cpu,
            "python": platform.python_version(), "load_average_1m": round(load_1m, 2),
            "load_average_5m": round(load_5m, 2)}


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@dataclass
class Measured:
    seconds: float
    peak_rss_mib: float
    returncode: int


def run_measured(cmd: list[str], env: dict[str, str]) -> Measured:
    """Run a command as a child process; wall time and that child's own peak RSS (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **env})
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(time.perf_counter() - start, usage.ru_maxrss / 1024, proc.returncode)


def write_result(name: str, scale: float, metrics: dict[str, float | int | str]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    doc = {"benchmark": name, "scale": scale, "commit": commit(), "machine": machine(),
           "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **metrics}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return path
