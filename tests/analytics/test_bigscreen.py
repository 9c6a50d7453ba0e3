"""Big-screen themes as data: every KPI/trend is an indicator, every segment a tag; bad references are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics.bigscreen import THEMES_FILE, ThemeError, load_themes
from analytics.indicators import load_indicators
from gjj.cli import app


def test_the_four_screens_are_configured() -> None:
    themes = load_themes()
    assert {"leadership", "reception", "internal", "mobile"} <= set(themes)
    codes = {i.code for i in load_indicators()}
    assert all(set(t.kpis) <= codes and set(t.trends) <= codes for t in themes.values())


@pytest.mark.parametrize(("old", "new", "message"), [
    ("kpis: [JC01, TQ01, DK01, ZJ01, ZJ02]", "kpis: [JC01, XX99]", "mobile: 未知指标 / unknown indicator XX99"),
    ("kpis: [JC01, TQ01, DK01, ZJ01, ZJ02]", "kpis: [JC04.1]", "indicator JC04.1 is not a city-level"),
    ("segments: [life_stage, income_band]", "segments: [star_sign]", "reception.segments: 未知标签 / unknown tag star_sign"),
    ("forecasts: [gdl]", "forecasts: [gdp]", "mobile.forecasts: 未知序列 / unknown series gdp"),
    ("column: tqe_gf, by: xzqh", "column: salary, by: xzqh", "unknown column salary"),
    ("column: tqe_gf, by: xzqh", "column: tqe_gf, by: street", "by"),
])
def test_bad_theme_references_are_rejected(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = THEMES_FILE.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bigscreen.yaml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ThemeError) as err:
        load_themes(bad)
    assert message in str(err.value) and str(bad) in str(err.value)


def test_gjj_analytics_validate_and_indicators() -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["analytics", "validate"])
    assert ok.exit_code == 0, ok.output
    assert f"{len(load_indicators())} indicators" in ok.output and "4 big-screen themes" in ok.output
    listed = runner.invoke(app, ["analytics", "indicators"])
    assert listed.exit_code == 0
    assert "ZJ01" in listed.output and "marts.indicator_trend.gdl" in listed.output
