"""`gjj generate`: build a simulated center (core system + partner feeds + ground truth)."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from gjj.settings import Settings
from ingestion.simulator import defects, ledger, loanbook, tables, world, writer
from ingestion.simulator.profile import Profile


@dataclass
class GenerationResult:
    scale: float
    seed: int
    bizdate: date
    core_url: str
    rows: dict[str, int]
    planted: dict[str, int]
    feed_files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"模拟中心 simulated center: scale={self.scale} seed={self.seed} business date={self.bizdate}",
                 f"core system: {self.core_url.split('@')[-1]}"]
        lines += [f"  {t:<16} {n:>12,}" for t, n in sorted(self.rows.items())]
        lines.append(f"planted defects (ground truth): {sum(self.planted.values()):,} records over {len(self.planted)} rule ids")
        lines.append(f"partner feed files: {len(self.feed_files)}")
        lines.append("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items()))
        return "\n".join(lines)


class _Clock:
    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self.t
        self.t = now
        print(f"  ✓ {name} ({self.seconds[name]:.1f}s)", flush=True)


def generate(settings: Settings, url: str, scale: float, seed: int, bizdate: date | None = None) -> GenerationResult:
    p = Profile(scale=scale, seed=seed) if bizdate is None else Profile(scale=scale, seed=seed, bizdate=bizdate)
    rng = np.random.default_rng(seed)
    clock = _Clock()
    _reset(settings)
    print(f"generating scale {scale}, seed {seed}, business date {p.bizdate} …", flush=True)
    units = world.make_units(p, rng)
    accounts = world.make_accounts(p, units, rng)
    loans = world.make_loans(p, accounts, rng)
    intents = ledger.make_intents(p, accounts, loans, rng)
    clock.lap("population")
    led = ledger.run(p, units, accounts, loans, intents, rng)
    clock.lap(f"ledger: {len(led.txns['acct']):,} account movements")
    book = loanbook.service(p, loans, led, rng)
    clock.lap(f"loan book: {loans.n:,} loans")
    settings.sources_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()  # in memory, spilling to disk under sources/_tmp when needed
    try:
        con.execute(f"SET temp_directory = '{settings.sources_dir / '_tmp'}'")
        tables.build(con, p, units, accounts, loans, led, book, rng)
        del led, book
        clock.lap("vendor tables")
        truth = defects.plant(con, p, rng)
        clock.lap(f"planted defects: {len(truth)} records")
        writer.recreate_schema(url)
        rows = writer.copy_tables(con, url)
        clock.lap("written to the core database")
    finally:
        con.close()
    settings.ground_truth_dir.mkdir(parents=True, exist_ok=True)
    defects.write_truth(truth, settings.ground_truth_dir / f"core-{p.bizdate:%Y%m%d}.csv")
    files = _feeds(settings, url, p.golive, p.bizdate, seed, initial=True)
    clock.lap(f"partner feeds: {len(files)} files")
    planted = dict(truth.group_by("rule_id").len().iter_rows()) if len(truth) else {}
    return GenerationResult(scale, seed, p.bizdate, url, rows, planted, files, clock.seconds)


def _reset(settings: Settings) -> None:
    """A new center replaces the old one: its files, ground truth, bronze and warehouse go.
    Published snapshots and the Dagster run history stay (readers keep the last good snapshot)."""
    for folder in (settings.landing_dir, settings.ground_truth_dir, settings.bronze_dir, settings.state_dir,
                   settings.warehouse_path.parent):
        if folder.exists():
            print(f"  removing the previous center's {folder}", flush=True)
            shutil.rmtree(folder)


def _feeds(settings: Settings, url: str, start: date, end: date, seed: int, initial: bool) -> list[Path]:
    from ingestion.simulator import feeds

    return list(feeds.generate_feeds(settings, url, start, end, seed, initial=initial).files)


def advance(settings: Settings, url: str, days: int) -> GenerationResult:
    from ingestion.simulator import advance as adv

    return adv.advance(settings, url, days)
