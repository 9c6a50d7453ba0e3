"""`gjj dashboards validate`: the committed YAML passes; YAML naming an unknown dataset, column or metric is
rejected before it reaches Superset, naming the file and the field."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from dashboards.database import snapshot_database_path
from dashboards.spec import SpecError, load_assets
from dashboards.validate import validate
from gjj.settings import Settings
from tests.warehouse import GJJ, REPO


@pytest.fixture(autouse=True)
def _risk_event_summary(published: Settings) -> None:
    from dashboards.risk_events import write_risk_event_summary

    write_risk_event_summary(published)  # what deploy and `gjj dashboards validate` write first


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(assets: Path, published: Settings) -> list[str]:
    with pytest.raises(SpecError) as info:
        validate(load_assets(assets), snapshot_database_path(published))
    return info.value.problems


def test_committed_assets_are_valid(published: Settings) -> None:
    assets = load_assets()
    resolved = validate(assets, snapshot_database_path(published))
    assert {"leadership", "reception", "internal", "mobile"} <= set(assets.dashboards)
    kinds = {c.kind for d in assets.dashboards.values() for c in d.charts.values()}
    assert {"kpi", "number", "line", "bar", "pie", "treemap", "table", "gauge"} <= kinds
    assert resolved["district_monthly"].calculated["xzqh_mc"].startswith("CASE xzqh WHEN '411200'")
    assert assets.dashboards["mobile"].viewport == (390, 844)


def test_unknown_dataset_names_file_and_field(assets_copy: Path, published: Settings) -> None:
    _edit(assets_copy / "dashboards" / "leadership.yaml", lambda d: d["charts"]["kpi_jce"].update(dataset="no_such"))
    problems = _problems(assets_copy, published)
    assert len(problems) == 1
    assert "leadership.yaml: charts.kpi_jce.dataset" in problems[0]
    assert "unknown dataset 'no_such'" in problems[0]


def test_unknown_column_and_metric_are_rejected(assets_copy: Path, published: Settings) -> None:
    def change(d: dict) -> None:
        d["charts"]["unit_type_jce"]["groupby"] = ["dwlb_name"]
        d["charts"]["trend"]["metrics"] = ["jce", "deposits"]

    _edit(assets_copy / "dashboards" / "leadership.yaml", change)
    problems = "\n".join(_problems(assets_copy, published))
    assert "leadership.yaml: charts.unit_type_jce.groupby: 数据集 district_recent 没有列 column 'dwlb_name'" in problems
    assert "leadership.yaml: charts.trend.metrics: 数据集 city_recent 没有指标 metric 'deposits'" in problems


def test_dataset_checked_against_the_snapshot_schema(assets_copy: Path, published: Settings) -> None:
    def change(d: dict) -> None:
        d["metrics"]["jce"]["expression"] = "SUM(jce_total)"
        d["labels"]["no_column"] = "无此列"
        d["columns"]["dwlb_mc"]["of"] = "unit_type"

    _edit(assets_copy / "datasets" / "district_recent.yaml", change)
    _edit(assets_copy / "datasets" / "loan_overdue.yaml", lambda d: d.update(table="marts.loan_overdue_v2"))
    problems = "\n".join(_problems(assets_copy, published))
    assert "district_recent.yaml: metrics.jce.expression: 无法绑定 / does not bind" in problems
    assert "jce_total" in problems  # DuckDB's binder names the unknown column
    assert "district_recent.yaml: labels.no_column: 未知列 / unknown column" in problems
    assert "district_recent.yaml: columns.dwlb_mc.of: 未知列 / unknown column 'unit_type'" in problems
    assert "loan_overdue.yaml: table: 快照中没有表 marts.loan_overdue_v2" in problems


def test_structure_errors_name_file_and_field(assets_copy: Path) -> None:
    _edit(assets_copy / "dashboards" / "reception.yaml", lambda d: d["charts"]["channel"].pop("groupby"))
    _edit(assets_copy / "dashboards" / "mobile.yaml", lambda d: d["rows"][0]["cells"].append({"chart": "m_gdl", "width": 4}))
    with pytest.raises(SpecError) as info:
        load_assets(assets_copy)
    text = "\n".join(info.value.problems)
    assert "reception.yaml: charts.channel: Value error, pie 图需要 groupby" in text
    assert "mobile.yaml: rows.0: Value error, 一行宽度合计超过 12" in text


def test_unplaced_and_undefined_charts(assets_copy: Path, published: Settings) -> None:
    _edit(assets_copy / "dashboards" / "internal.yaml", lambda d: d["rows"][2]["cells"].pop())
    _edit(assets_copy / "dashboards" / "internal.yaml", lambda d: d["rows"][2]["cells"].append({"chart": "ghost", "width": 2}))
    problems = "\n".join(_problems(assets_copy, published))
    assert "internal.yaml: charts.overdue_list: 未放入 rows" in problems
    assert "internal.yaml: rows.2.cells.2.chart: 未定义的图表 / unknown chart 'ghost'" in problems


def test_cli_rejects_bad_yaml_with_exit_1(assets_copy: Path, published: Settings) -> None:
    _edit(assets_copy / "dashboards" / "mobile.yaml", lambda d: d["charts"]["m_district"].update(x="county"))
    env = {**os.environ, "GJJ_LAKEHOUSE_ROOT": str(published.root)}
    bad = subprocess.run([GJJ, "dashboards", "validate", "--assets", str(assets_copy)], env=env, cwd=REPO,
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "mobile.yaml: charts.m_district.x: 数据集 district_recent 没有列 column 'county'" in bad.stderr
    good = subprocess.run([GJJ, "dashboards", "validate"], env=env, cwd=REPO, capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert "通过 ok: 4 个看板" in good.stdout


def test_only_the_analyst_edition_is_offered(tmp_path: Path) -> None:
    from masking.edition import EditionUnavailable

    settings = Settings(lakehouse_root=tmp_path)
    snap = settings.snapshots_dir / "v3"
    snap.mkdir(parents=True)
    (snap / "snapshot.duckdb").touch()
    (settings.snapshots_dir / "CURRENT").write_text("v3\n")
    with pytest.raises(EditionUnavailable, match="GJJ_MASKING_KEY.*snapshot.duckdb is never offered"):
        snapshot_database_path(settings)  # fails closed: never the unmasked snapshot.duckdb
    (snap / "analyst.duckdb").touch()
    assert snapshot_database_path(settings) == snap / "analyst.duckdb"
