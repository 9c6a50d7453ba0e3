"""The validated specs as a Superset assets bundle: the ZIP that `POST /api/v1/assets/import/` takes.

Everything keeps the UUID of its YAML, so a re-import updates the same database, datasets, charts and
dashboards instead of adding new ones. Chart form data follows Superset's own ECharts plugins.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from dashboards.database import sqlalchemy_uri
from dashboards.spec import Assets, ChartSpec, DashboardSpec
from dashboards.validate import ResolvedDataset

VERSION = "1.0.0"
ROOT = "gjj_dashboards"
DATABASE_FILE = "databases/gjj_snapshot.yaml"


def database_config(assets: Assets, database: Path) -> dict[str, Any]:
    return {
        "database_name": assets.database.database_name,
        "sqlalchemy_uri": sqlalchemy_uri(database),
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {
            "engine_params": {"connect_args": {"read_only": True}},
            "metadata_params": {},
            "schemas_allowed_for_file_upload": [],
        },
        "uuid": str(assets.database.uuid),
        "version": VERSION,
    }


def _column(name: str, type_: str, *, label: str | None, expression: str | None, temporal: bool) -> dict[str, Any]:
    return {
        "column_name": name,
        "verbose_name": label,
        "is_dttm": temporal,
        "is_active": True,
        "type": type_,
        "advanced_data_type": None,
        "groupby": True,
        "filterable": True,
        "expression": expression,
        "description": None,
        "python_date_format": None,
        "extra": None,
    }


def dataset_config(assets: Assets, ds: ResolvedDataset) -> dict[str, Any]:
    spec = ds.spec
    columns = [
        _column(c, t, label=spec.labels.get(c), expression=None, temporal=ds.is_temporal(c))
        for c, t in ds.physical.items()
    ]
    columns += [
        _column(c, spec.columns[c].type, label=spec.columns[c].label, expression=expr, temporal=spec.columns[c].temporal)
        for c, expr in ds.calculated.items()
    ]
    metrics = [
        {
            "metric_name": name,
            "verbose_name": m.label,
            "metric_type": None,
            "expression": m.expression,
            "description": None,
            "d3format": m.format,
            "currency": None,
            "extra": None,
            "warning_text": None,
        }
        for name, m in spec.metrics.items()
    ]
    schema, table = spec.table.split(".") if spec.table else (None, ds.name)
    return {
        "table_name": table,
        "main_dttm_col": spec.time_column,
        "description": spec.description,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "catalog": None,
        "schema": schema,
        "sql": spec.sql,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": str(spec.uuid),
        "metrics": metrics,
        "columns": columns,
        "version": VERSION,
        "database_uuid": str(assets.database.uuid),
    }


def _adhoc_filter(column: str, op: str, value: Any) -> dict[str, Any]:
    f: dict[str, Any] = {"clause": "WHERE", "expressionType": "SIMPLE", "subject": column, "operator": op}
    if op not in {"IS NULL", "IS NOT NULL"}:
        f["comparator"] = value
    return f


def chart_params(chart: ChartSpec, ds: ResolvedDataset, dark: bool) -> dict[str, Any]:
    """Superset form data for one chart kind (options override any key)."""
    fmt = ds.spec.metrics[chart.metrics[0]].format if chart.metrics else None
    filters = [_adhoc_filter(f.column, f.op, f.value) for f in chart.filters]
    time_column = chart.x or ds.spec.time_column
    if time_column is not None and chart.kind in {"kpi", "line"}:
        filters.insert(0, _adhoc_filter(time_column, "TEMPORAL_RANGE", "No filter"))
    p: dict[str, Any] = {"adhoc_filters": filters, "extra_form_data": {}, "dashboards": []}
    color_scheme = "echarts5Colors" if dark else "supersetColors"
    if chart.kind == "kpi":
        p |= {
            "viz_type": "big_number", "metric": chart.metrics[0], "x_axis": time_column, "time_grain_sqla": "P1M",
            "compare_lag": 12, "compare_suffix": "同比", "show_trend_line": True, "start_y_axis_at_zero": False,
            "y_axis_format": fmt or "SMART_NUMBER", "time_format": "%Y-%m", "header_font_size": 0.5,
            "subheader_font_size": 0.2, "rolling_type": "None",
        }
    elif chart.kind == "number":
        p |= {
            "viz_type": "big_number_total", "metric": chart.metrics[0], "y_axis_format": fmt or "SMART_NUMBER",
            "header_font_size": 0.4, "subheader_font_size": 0.15,
        }
    elif chart.kind in {"line", "bar"}:
        p |= {
            "viz_type": "echarts_timeseries_line" if chart.kind == "line" else "echarts_timeseries_bar",
            "x_axis": time_column, "metrics": chart.metrics, "groupby": chart.groupby,
            "row_limit": chart.limit or 10000, "color_scheme": color_scheme, "show_legend": True,
            "legendType": "scroll", "legendOrientation": "top", "rich_tooltip": True, "y_axis_format": fmt or "SMART_NUMBER",
            "x_axis_time_format": "%Y-%m", "truncateYAxis": False, "y_axis_bounds": [None, None],
            "order_desc": True, "zoomable": False, "markerEnabled": chart.kind == "line", "markerSize": 4,
        }
        if chart.kind == "line":
            p |= {"time_grain_sqla": "P1M", "seriesType": "line"}
        else:
            p |= {"orientation": "vertical", "show_value": True, "stack": None}
            if chart.sort_by is not None:
                p |= {"x_axis_sort": chart.sort_by, "x_axis_sort_asc": False}
    elif chart.kind == "pie":
        p |= {
            "viz_type": "pie", "metric": chart.metrics[0], "groupby": chart.groupby, "row_limit": chart.limit or 100,
            "color_scheme": color_scheme, "show_labels": True, "labels_outside": True, "label_line": True,
            "label_type": "key_percent", "number_format": fmt or "SMART_NUMBER", "donut": True, "innerRadius": 40,
            "outerRadius": 70, "show_legend": True, "legendType": "scroll", "legendOrientation": "right",
            "sort_by_metric": True,
        }
    elif chart.kind == "treemap":
        p |= {
            "viz_type": "treemap_v2", "metric": chart.metrics[0], "groupby": chart.groupby,
            "row_limit": chart.limit or 100, "color_scheme": color_scheme, "show_labels": True,
            "show_upper_labels": True, "label_type": "key_value", "number_format": fmt or "SMART_NUMBER",
        }
    elif chart.kind == "gauge":
        p |= {
            "viz_type": "gauge_chart", "metric": chart.metrics[0], "groupby": [], "row_limit": 10,
            "min_val": 0, "max_val": 100, "start_angle": 225, "end_angle": -45, "color_scheme": color_scheme,
            "font_size": 16, "number_format": fmt or "SMART_NUMBER", "value_formatter": "{value}", "show_pointer": True,
            "animation": False, "show_axis_line_ticks": False, "show_split_line": False, "split_number": 5,
            "show_progress": True, "overlap": True, "round_cap": False,
        }
    elif chart.kind == "table":
        if chart.metrics:
            p |= {"query_mode": "aggregate", "groupby": chart.groupby, "metrics": chart.metrics,
                  "all_columns": [], "percent_metrics": []}
            if chart.sort_by is not None:
                p |= {"timeseries_limit_metric": chart.sort_by, "order_desc": True}
        else:
            p |= {"query_mode": "raw", "all_columns": chart.columns, "groupby": [], "metrics": [], "order_by_cols": []}
        p |= {
            "viz_type": "table", "row_limit": chart.limit or 1000, "server_pagination": False,
            "table_timestamp_format": "%Y-%m-%d", "page_length": 0, "include_search": False,
            "show_cell_bars": True, "color_pn": True, "allow_rearrange_columns": False,
        }
    return p | chart.options


def chart_config(chart: ChartSpec, ds: ResolvedDataset, dark: bool) -> dict[str, Any]:
    params = chart_params(chart, ds, dark)
    return {
        "slice_name": chart.title,
        "description": None,
        "certified_by": None,
        "certification_details": None,
        "viz_type": params["viz_type"],
        "params": params,
        "query_context": None,
        "cache_timeout": None,
        "uuid": str(chart.uuid),
        "version": VERSION,
        "dataset_uuid": str(ds.spec.uuid),
    }


def dashboard_config(
    name: str, dash: DashboardSpec, datasets: dict[str, ResolvedDataset], assets: Assets, theme_id: int | None
) -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": dash.title}},
    }
    keys = list(dash.charts)
    for i, row in enumerate(dash.rows):
        row_id = f"ROW-{name}-{i}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for cell in row.cells:
            chart = dash.charts[cell.chart]
            cell_id = f"CHART-{name}-{cell.chart}"
            position[row_id]["children"].append(cell_id)
            position[cell_id] = {
                "type": "CHART", "id": cell_id, "children": [], "parents": ["ROOT_ID", "GRID_ID", row_id],
                # chartId: a placeholder the importer replaces with the chart's id (matched by uuid)
                "meta": {"chartId": keys.index(cell.chart) + 1, "uuid": str(chart.uuid), "sliceName": chart.title,
                         "width": cell.width, "height": row.height},
            }
    native_filters = [
        {
            "id": f"NATIVE_FILTER-{name}-{i}",
            "name": f.name,
            "filterType": "filter_select",
            "type": "NATIVE_FILTER",
            "targets": [{"column": {"name": f.column}, "datasetUuid": str(datasets[f.dataset].spec.uuid)}],
            "controlValues": {"multiSelect": f.multiple, "enableEmptyFilter": False, "defaultToFirstItem": False,
                              "inverseSelection": False, "searchAllOptions": False},
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
            "cascadeParentIds": [],
            "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
            "description": "",
            "chartsInScope": [],
            "tabsInScope": [],
        }
        for i, f in enumerate(dash.filters)
    ]
    return {
        "dashboard_title": dash.title,
        "description": dash.description,
        "css": dash.css,
        "slug": name,
        "uuid": str(dash.uuid),
        "position": position,
        "metadata": {
            "color_scheme": "echarts5Colors" if dash.theme == "dark" else "supersetColors",
            "refresh_frequency": dash.refresh_seconds,
            "timed_refresh_immune_slices": [],
            "expanded_slices": {},
            "label_colors": {},
            "shared_label_colors": [],
            "cross_filters_enabled": bool(dash.filters),
            "native_filter_configuration": native_filters,
            "chart_configuration": {},
            "default_filters": "{}",
        },
        "published": True,
        "certified_by": "住房公积金数据平台",
        "certification_details": "dashboards/assets (YAML) · gjj dashboards deploy",
        "theme_id": theme_id if dash.theme == "dark" else None,
        "version": VERSION,
    }


def build_configs(
    assets: Assets, datasets: dict[str, ResolvedDataset], database: Path, dark_theme_id: int | None = None
) -> dict[str, dict[str, Any]]:
    """Every file of the bundle (path inside the bundle → its YAML content)."""
    files: dict[str, dict[str, Any]] = {
        "metadata.yaml": {"version": VERSION, "type": "assets", "timestamp": datetime.now(UTC).isoformat()},
        DATABASE_FILE: database_config(assets, database),
    }
    for name, ds in datasets.items():
        files[f"datasets/gjj_snapshot/{name}.yaml"] = dataset_config(assets, ds)
    for name, dash in assets.dashboards.items():
        dark = dash.theme == "dark"
        for key, chart in dash.charts.items():
            files[f"charts/{name}_{key}.yaml"] = chart_config(chart, datasets[chart.dataset], dark)
        files[f"dashboards/{name}.yaml"] = dashboard_config(name, dash, datasets, assets, dark_theme_id)
    return files


def zip_bundle(files: dict[str, dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, content in sorted(files.items()):
            zf.writestr(f"{ROOT}/{path}", yaml.safe_dump(content, allow_unicode=True, sort_keys=False))
    return buf.getvalue()
