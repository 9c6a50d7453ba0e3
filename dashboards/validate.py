"""`gjj dashboards validate`: every name a dashboard YAML uses must exist, checked against the snapshot.

Datasets resolve against the published DuckDB file: a physical mart must be a table there, a virtual
dataset's SQL, each calculated column and each metric expression must bind (DuckDB's binder names the
unknown column). Charts and native filters may only use the datasets, columns and metrics so defined.
Every problem names the YAML file and the field, in Chinese and English.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from dashboards.spec import Assets, DatasetSpec, SpecError

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


@dataclass
class ResolvedDataset:
    """A dataset with its columns as the snapshot has them."""

    name: str
    spec: DatasetSpec
    physical: dict[str, str] = field(default_factory=dict)  # column → DuckDB type
    calculated: dict[str, str] = field(default_factory=dict)  # column → SQL expression

    @property
    def columns(self) -> set[str]:
        return set(self.physical) | set(self.calculated)

    @property
    def source_sql(self) -> str:
        spec = self.spec
        return spec.table if spec.table is not None else f"({spec.sql}) AS {self.name}"

    def is_temporal(self, column: str) -> bool:
        if column in self.spec.columns:
            return self.spec.columns[column].temporal
        return self.physical.get(column, "").upper().startswith(("DATE", "TIMESTAMP"))


@cache
def code_names(seed: str) -> dict[str, str]:
    """code → name of a dbt code-table seed (dbt_project/seeds/**/<seed>.csv)."""
    matches = list(SEEDS_DIR.rglob(f"{seed}.csv"))
    if not matches:
        raise KeyError(seed)
    with matches[0].open(encoding="utf-8") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def codes_expression(seed: str, column: str) -> str:
    """SQL CASE giving a code's name from the code table (the code itself when the table lacks it)."""
    whens = " ".join(f"WHEN {_quote(code)} THEN {_quote(name)}" for code, name in code_names(seed).items())
    return f"CASE {column} {whens} ELSE {column} END"


def _describe(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE {sql}").fetchall()}


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def resolve_dataset(
    con: duckdb.DuckDBPyConnection, name: str, spec: DatasetSpec, where: str, problems: list[str]
) -> ResolvedDataset | None:
    ds = ResolvedDataset(name=name, spec=spec)
    if spec.table is not None:
        schema, table = spec.table.split(".")
        rows = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
        if not rows:
            problems.append(f"{where}: table: 快照中没有表 {spec.table} / unknown table in the snapshot")
            return None
        ds.physical = dict(rows)
    else:
        try:
            ds.physical = _describe(con, f"SELECT * FROM {ds.source_sql}")
        except duckdb.Error as exc:
            problems.append(f"{where}: sql: SQL 无法在快照上执行 / does not bind: {_first_line(exc)}")
            return None

    for column in spec.labels:
        if column not in ds.physical:
            problems.append(f"{where}: labels.{column}: 未知列 / unknown column (有 / has: {', '.join(ds.physical)})")

    for column, calc in spec.columns.items():
        if column in ds.physical:
            problems.append(f"{where}: columns.{column}: 与数据列同名 / shadows a column of the table")
            continue
        if calc.codes is not None:
            if calc.of not in ds.physical:
                problems.append(f"{where}: columns.{column}.of: 未知列 / unknown column {calc.of!r}")
                continue
            try:
                expression = codes_expression(calc.codes, str(calc.of))
            except KeyError:
                problems.append(f"{where}: columns.{column}.codes: 没有代码表 / no dbt seed named {calc.codes!r}")
                continue
        else:
            expression = str(calc.expression)
        try:
            con.execute(f"SELECT {expression} FROM {ds.source_sql} LIMIT 0")
        except duckdb.Error as exc:
            problems.append(f"{where}: columns.{column}.expression: 无法绑定 / does not bind: {_first_line(exc)}")
            continue
        ds.calculated[column] = expression

    extended = ", ".join(["*", *(f"{expr} AS {col}" for col, expr in ds.calculated.items())])
    for metric, m in spec.metrics.items():
        try:
            con.execute(f"SELECT {m.expression} FROM (SELECT {extended} FROM {ds.source_sql}) LIMIT 0")
        except duckdb.Error as exc:
            problems.append(f"{where}: metrics.{metric}.expression: 无法绑定 / does not bind: {_first_line(exc)}")

    if spec.time_column is not None and not (spec.time_column in ds.columns and ds.is_temporal(spec.time_column)):
        problems.append(f"{where}: time_column: {spec.time_column!r} 不是日期列 / not a temporal column of the dataset")
    return ds


def _check_names(kind: str, names: list[str], known: set[str], where: str, dataset: str, problems: list[str]) -> None:
    label = {"column": "列 column", "metric": "指标 metric"}[kind]
    for name in names:
        if name not in known:
            problems.append(
                f"{where}: 数据集 {dataset} 没有{label} {name!r} / unknown {kind} "
                f"(可用 / known: {', '.join(sorted(known)) or '—'})"
            )


def check_dashboards(assets: Assets, datasets: dict[str, ResolvedDataset], problems: list[str]) -> None:
    for name, dash in assets.dashboards.items():
        file = assets.file_of(f"dashboards/{name}")
        for key, chart in dash.charts.items():
            where = f"{file}: charts.{key}"
            ds = datasets.get(chart.dataset)
            if ds is None and chart.dataset in assets.datasets:
                continue  # the dataset's own problems are reported already
            if ds is None:
                problems.append(
                    f"{where}.dataset: 未知数据集 / unknown dataset {chart.dataset!r} "
                    f"(可用 / known: {', '.join(sorted(assets.datasets))})"
                )
                continue
            metrics = set(ds.spec.metrics)
            _check_names("metric", chart.metrics, metrics, f"{where}.metrics", chart.dataset, problems)
            if chart.sort_by is not None:
                _check_names("metric", [chart.sort_by], metrics, f"{where}.sort_by", chart.dataset, problems)
            columns = ds.columns
            _check_names("column", chart.groupby, columns, f"{where}.groupby", chart.dataset, problems)
            _check_names("column", chart.columns, columns, f"{where}.columns", chart.dataset, problems)
            _check_names("column", [f.column for f in chart.filters], columns, f"{where}.filters", chart.dataset, problems)
            x = chart.x or (ds.spec.time_column if chart.kind in {"kpi", "line"} else None)
            if chart.kind in {"kpi", "line"} and x is None:
                problems.append(f"{where}.x: 数据集 {chart.dataset} 没有 time_column，需指定 x / no time column")
            elif x is not None:
                _check_names("column", [x], columns, f"{where}.x", chart.dataset, problems)
        placed = [cell.chart for row in dash.rows for cell in row.cells]
        for i, row in enumerate(dash.rows):
            for j, cell in enumerate(row.cells):
                if cell.chart not in dash.charts:
                    problems.append(f"{file}: rows.{i}.cells.{j}.chart: 未定义的图表 / unknown chart {cell.chart!r}")
        for key in dash.charts:
            if key not in placed:
                problems.append(f"{file}: charts.{key}: 未放入 rows / chart not placed on the dashboard")
        for i, flt in enumerate(dash.filters):
            ds = datasets.get(flt.dataset)
            if ds is None and flt.dataset in assets.datasets:
                continue
            if ds is None:
                problems.append(f"{file}: filters.{i}.dataset: 未知数据集 / unknown dataset {flt.dataset!r}")
            else:
                _check_names("column", [flt.column], ds.columns, f"{file}: filters.{i}.column", flt.dataset, problems)


def validate(assets: Assets, database: Path, superset_home: Path | None = None) -> dict[str, ResolvedDataset]:
    """Resolve every dataset against ``database`` and check every reference; raises SpecError.
    ``superset_home`` (default: the lakehouse's superset/ folder beside snapshots/vN/) fills the
    ``{superset_home}`` placeholder of a dataset's SQL (the risk-event summary lives there)."""
    from dashboards.risk_events import render_sql

    home = superset_home or database.resolve().parents[2] / "superset"
    problems: list[str] = []
    con = duckdb.connect(str(database), read_only=True)
    try:
        resolved = {}
        for name, spec in assets.datasets.items():
            if spec.sql is not None:
                spec = spec.model_copy(update={"sql": render_sql(spec.sql, home)})
            ds = resolve_dataset(con, name, spec, assets.file_of(f"datasets/{name}"), problems)
            if ds is not None:
                resolved[name] = ds
    finally:
        con.close()
    check_dashboards(assets, resolved, problems)
    if problems:
        raise SpecError(problems)
    return resolved
