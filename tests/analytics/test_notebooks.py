"""The analysts' notebooks run headless against the published scale-0.01 snapshot and answer their question."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import pytest

from analytics.build import BuildResult
from gjj.settings import Settings
from tests.warehouse import REPO

NOTEBOOKS = REPO / "notebooks"


def _run(name: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("GJJ_LAKEHOUSE_ROOT", str(settings.root))
    spec = importlib.util.spec_from_file_location(f"notebook_{name}", NOTEBOOKS / f"{name}.py")
    assert spec and spec.loader
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, defs = module.app.run()
    return dict(defs)


def test_deposit_trends_by_unit_type(analytics_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    defs = _run("deposit_trends", analytics_settings, monkeypatch)
    by_type = defs["by_type"]
    assert by_type.height > 0 and by_type["单位性质"].n_unique() >= 2
    assert by_type["缴存额_万元"].sum() > 0
    assert defs["latest"]["年度"].n_unique() == 1


def test_withdrawal_reasons_by_age_band(analytics_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    defs = _run("withdrawal_reasons", analytics_settings, monkeypatch)
    reasons = defs["reasons"]
    assert reasons.height > 0
    shares = reasons.group_by("年龄段").agg(pl.col("年龄段内占比").sum().alias("s"))
    assert all(abs(s - 1) < 0.01 for s in shares["s"].to_list())  # each band's reasons add up to 100%


def test_loan_affordability_and_what_if(analytics_settings: Settings, analytics_store: BuildResult,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    defs = _run("loan_affordability", analytics_settings, monkeypatch)
    cohorts = defs["cohorts"]
    assert cohorts.height > 0 and cohorts["笔数"].sum() > 0
    scenarios = defs["scenarios"]
    assert scenarios is not None and scenarios.height == 5
    gdl = dict(zip(scenarios["情景"].to_list(), scenarios["12个月后个贷率"].to_list(), strict=True))
    assert gdl["贷款最高额度 40 万"] <= gdl["贷款最高额度 80 万"]


def test_notebook_runs_as_a_plain_script(analytics_settings: Settings) -> None:
    proc = subprocess.run([sys.executable, str(NOTEBOOKS / "withdrawal_reasons.py")], cwd="/",
                          env={"GJJ_LAKEHOUSE_ROOT": str(analytics_settings.root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_notebooks_open_only_the_analyst_edition(tmp_path: Path) -> None:
    from analytics.snapshot import NoPublishedSnapshot, snapshot_database
    from masking.edition import EditionUnavailable

    settings = Settings(lakehouse_root=tmp_path)
    with pytest.raises(NoPublishedSnapshot, match="gjj publish"):
        snapshot_database(settings)
    folder = settings.snapshots_dir / "v3"
    folder.mkdir(parents=True)
    (folder / "snapshot.duckdb").touch()
    (settings.snapshots_dir / "CURRENT").write_text("v3\n")
    with pytest.raises(EditionUnavailable, match="没有脱敏分析库"):
        snapshot_database(settings)  # fails closed: never the unmasked snapshot.duckdb (issue #5)
    (folder / "analyst.duckdb").touch()
    assert snapshot_database(settings) == folder / "analyst.duckdb"
