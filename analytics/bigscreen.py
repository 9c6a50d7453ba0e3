"""Big-screen payloads (数字大屏): ``bigscreen.yaml`` themes → one JSON document per theme and snapshot.

Built once per snapshot into the analytics store (table ``bigscreen``) so that the API only hands out
bytes. Every KPI and trend is an indicator code of the indicator system; every segment a profile tag;
a theme naming anything else is rejected before anything is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from analytics.forecast import SERIES
from analytics.indicators import REPO, FlatIndicator, load_indicators
from analytics.profiles import load_tags
from serving.schemas.analytics import (
    BigScreen,
    Breakdown,
    BreakdownItem,
    ForecastPoint,
    ForecastSeries,
    Kpi,
    Segment,
    SegmentItem,
    Trend,
)

THEMES_FILE = Path(__file__).with_name("bigscreen.yaml")
CODE_TABLES = {"xzqh": REPO / "dbt_project/seeds/code_tables/gbt2260_xzqh.csv",
               "dwlb": REPO / "dbt_project/seeds/code_tables/mohurd_dwlb.csv"}
BREAKDOWN_COLUMNS = ("sjdws", "sjzgs", "xkhzgs", "jce", "jcye", "tqrs", "tqe", "tqe_gf", "tqe_hd", "tqe_zf", "tqe_lt",
                     "tqe_qt", "dkffbs", "dkffe", "dkhse", "dkye", "yqe")


class ThemeError(ValueError):
    """bigscreen.yaml is malformed or names an unknown indicator, tag, column or series."""


class BreakdownSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    column: str
    by: Literal["xzqh", "dwlb"]
    period: Literal["last_12_months", "last_month"] = "last_12_months"


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    audience: str
    months: int = Field(ge=1, le=120)
    kpis: list[str]
    trends: list[str]
    breakdowns: list[BreakdownSpec]
    segments: list[str]
    forecasts: list[str]


class ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    themes: dict[str, Theme]


def load_themes(path: Path = THEMES_FILE) -> dict[str, Theme]:
    try:
        doc = ThemeFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ThemeError(f"{path}: 大屏主题定义不合法 / invalid theme file: {exc}") from exc
    indicators = {i.code: i for i in load_indicators()}
    tags = {t.code for t in load_tags()}
    problems = []
    for name, theme in doc.themes.items():
        for code in theme.kpis + theme.trends:
            ind = indicators.get(code)
            if ind is None:
                problems.append(f"{name}: 未知指标 / unknown indicator {code}")
            elif ind.mart != "indicator_trend":
                problems.append(f"{name}: 指标 {code} 不在 indicator_trend / indicator {code} is not a city-level "
                                "monthly indicator")
        problems += [f"{name}.breakdowns: 未知字段 / unknown column {b.column}" for b in theme.breakdowns
                     if b.column not in BREAKDOWN_COLUMNS]
        problems += [f"{name}.segments: 未知标签 / unknown tag {s}" for s in theme.segments if s not in tags]
        problems += [f"{name}.forecasts: 未知序列 / unknown series {s}" for s in theme.forecasts
                     if s not in (*SERIES, "gdl")]
    if problems:
        raise ThemeError(f"{path}: " + "; ".join(problems))
    return doc.themes


def _growth_columns(ind: FlatIndicator, indicators: dict[str, FlatIndicator]) -> tuple[str | None, str | None]:
    """The 环比/同比 columns the indicator system defines for this indicator (its children), if any."""
    cols = {i.column for i in indicators.values() if i.parent == ind.code and i.mart == ind.mart}
    mom, yoy = f"{ind.column}_mom", f"{ind.column}_yoy"
    return (mom if mom in cols else None), (yoy if yoy in cols else None)


def _num(v: object) -> float | None:
    return None if v is None else float(v)  # type: ignore[arg-type]


def build_bigscreens(con: duckdb.DuckDBPyConnection, version: int, path: Path = THEMES_FILE) -> list[str]:
    """Compute every theme's payload into table ``bigscreen`` (theme, payload JSON) of the store ``con``,
    which has the snapshot attached as ``snap`` and holds the forecast and profile tables."""
    themes = load_themes(path)
    indicators = {i.code: i for i in load_indicators()}
    for dim, csv in CODE_TABLES.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE names_{dim} AS SELECT code::VARCHAR AS code, name "
                    f"FROM read_csv('{csv}', all_varchar = true)")
    row = con.execute("SELECT max(tjny) FROM snap.marts.indicator_trend").fetchone()
    as_of = str(row[0]) if row and row[0] else ""
    con.execute("CREATE OR REPLACE TABLE bigscreen (theme VARCHAR PRIMARY KEY, payload VARCHAR)")
    for name, theme in themes.items():
        kpis = []
        for code in theme.kpis:
            ind = indicators[code]
            mom, yoy = _growth_columns(ind, indicators)
            r = con.execute(f"SELECT {ind.column}, {mom or 'NULL'}, {yoy or 'NULL'} FROM snap.marts.indicator_trend "
                            "WHERE tjny = ?", [as_of]).fetchone()
            kpis.append(Kpi(code=code, name=ind.name, unit=ind.unit, month=as_of, value=_num(r[0]) if r else None,
                            mom=_num(r[1]) if r else None, yoy=_num(r[2]) if r else None))
        trends = []
        for code in theme.trends:
            ind = indicators[code]
            rows = con.execute(f"SELECT tjny, {ind.column} FROM (SELECT * FROM snap.marts.indicator_trend "
                               "ORDER BY tjny DESC LIMIT ?) ORDER BY tjny", [theme.months]).fetchall()
            trends.append(Trend(code=code, name=ind.name, unit=ind.unit, months=[r[0] for r in rows],
                                values=[_num(r[1]) for r in rows]))
        breakdowns = []
        for b in theme.breakdowns:
            since = "strftime(strptime(max(tjny), '%Y-%m') - INTERVAL 11 MONTH, '%Y-%m')" \
                if b.period == "last_12_months" else "max(tjny)"
            rows = con.execute(f"""SELECT m.{b.by}, coalesce(n.name, m.{b.by}), sum(m.{b.column})::DOUBLE AS v
                FROM snap.marts.indicator_monthly AS m LEFT JOIN names_{b.by} AS n ON n.code = m.{b.by}
                WHERE m.tjny >= (SELECT {since} FROM snap.marts.indicator_monthly)
                GROUP BY ALL ORDER BY v DESC, 1""").fetchall()
            breakdowns.append(Breakdown(name=b.name, column=b.column, by=b.by,
                                        items=[BreakdownItem(code=r[0], name=r[1], value=r[2]) for r in rows]))
        segments = []
        for tag in theme.segments:
            rows = con.execute("SELECT tag_name, value, label, members FROM tag_segment WHERE tag = ? ORDER BY ordinal",
                               [tag]).fetchall()
            segments.append(Segment(tag=tag, name=rows[0][0] if rows else tag,
                                    items=[SegmentItem(value=r[1], label=r[2], members=r[3]) for r in rows]))
        forecasts = [forecast_series(con, s) for s in theme.forecasts]
        screen = BigScreen(theme=name, title=theme.title, audience=theme.audience, snapshot_version=version,
                           as_of=as_of, kpis=kpis, trends=trends, breakdowns=breakdowns, segments=segments,
                           forecasts=forecasts)
        con.execute("INSERT INTO bigscreen VALUES (?, ?)", [name, screen.model_dump_json()])
    return list(themes)


def forecast_series(con: duckdb.DuckDBPyConnection, series: str) -> ForecastSeries:
    """One stored forecast (a flow, or 个贷率 derived from them) in the API's shape."""
    if series == "gdl":
        rows = con.execute("SELECT tjny, gdl, gdl_lo, gdl_hi FROM liquidity_forecast ORDER BY tjny").fetchall()
        return ForecastSeries(series="gdl", name="个贷率", model="derived", mape=None,
                              points=[ForecastPoint(month=r[0], value=r[1], lower=r[2], upper=r[3]) for r in rows])
    m = con.execute("SELECT model, mape, mase FROM forecast_backtest WHERE series = ? AND chosen", [series]).fetchone()
    rows = con.execute("SELECT tjny, yhat, lo95, hi95 FROM forecast WHERE series = ? ORDER BY tjny", [series]).fetchall()
    return ForecastSeries(series=series, name=SERIES[series], model=m[0] if m else "", mape=_num(m[1]) if m else None,
                          mase=_num(m[2]) if m else None,
                          points=[ForecastPoint(month=r[0], value=r[1], lower=r[2], upper=r[3]) for r in rows])
