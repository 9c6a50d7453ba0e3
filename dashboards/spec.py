"""Dashboards as code: the YAML under dashboards/assets/ read into typed specs.

Layout of the folder (one file per object, the file name is the object's name):
  database.yaml               the Superset database (its URI is the current snapshot's, set at deploy)
  datasets/<name>.yaml        a physical mart (``table: marts.x``) or a virtual SQL dataset (``sql:``),
                              with calculated columns, column labels and named metrics
  dashboards/<slug>.yaml      one dashboard: its charts (keyed by name), rows of chart cells, native filters

Structure errors (a missing key, a wrong type, an unknown chart kind) name the file and field; whether
the names a spec uses exist (datasets, columns, metrics) is checked by ``dashboards.validate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ASSETS_DIR = Path(__file__).resolve().parent / "assets"


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSpec(Spec):
    uuid: UUID
    database_name: str


class CalculatedColumn(Spec):
    """A column computed in SQL over the dataset: an expression, or a code's name from a dbt code-table seed."""

    label: str
    expression: str | None = None
    codes: str | None = Field(default=None, description="dbt seed of the code table (code,name), e.g. gbt2260_xzqh")
    of: str | None = Field(default=None, description="the code column that ``codes`` names")
    type: str = "VARCHAR"
    temporal: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> CalculatedColumn:
        if (self.expression is None) == (self.codes is None):
            raise ValueError("需要 expression 或 codes 二者之一 / exactly one of expression, codes")
        if self.codes is not None and self.of is None:
            raise ValueError("codes 需要 of（代码列）/ codes needs of (the code column)")
        return self


class MetricSpec(Spec):
    expression: str
    label: str
    format: str | None = Field(default=None, description="d3 number format, e.g. ',.0f' or '.2%'")


class DatasetSpec(Spec):
    uuid: UUID
    description: str
    table: str | None = Field(default=None, description="schema.table of a published mart")
    sql: str | None = Field(default=None, description="a virtual dataset's SELECT over the snapshot")
    time_column: str | None = None
    labels: dict[str, str] = {}
    columns: dict[str, CalculatedColumn] = {}
    metrics: dict[str, MetricSpec]

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSpec:
        if (self.table is None) == (self.sql is None):
            raise ValueError("需要 table 或 sql 二者之一 / exactly one of table, sql")
        if self.table is not None and self.table.count(".") != 1:
            raise ValueError(f"table 应为 schema.table / table must be schema.table: {self.table!r}")
        return self


ChartKind = Literal["kpi", "number", "line", "bar", "pie", "treemap", "table", "gauge"]


class FilterSpec(Spec):
    """An ad-hoc WHERE condition of a chart: column operator value."""

    column: str
    op: Literal["==", "!=", ">", ">=", "<", "<=", "IN", "NOT IN", "IS NOT NULL", "IS NULL"]
    value: Any = None


class ChartSpec(Spec):
    uuid: UUID
    title: str
    kind: ChartKind
    dataset: str
    metrics: list[str] = []
    groupby: list[str] = []
    x: str | None = Field(default=None, description="x-axis column (line: the dataset's time column by default)")
    columns: list[str] = Field(default=[], description="raw columns of a table chart (no metrics)")
    filters: list[FilterSpec] = []
    sort_by: str | None = Field(default=None, description="metric to order by (descending)")
    limit: int | None = None
    options: dict[str, Any] = Field(default={}, description="Superset form-data keys passed through unchanged")

    @model_validator(mode="after")
    def _shape(self) -> ChartSpec:
        single = {"kpi", "number", "pie", "treemap", "gauge"}
        if self.kind in single and len(self.metrics) != 1:
            raise ValueError(f"{self.kind} 图需要恰好一个指标 / needs exactly one metric")
        if self.kind == "table" and not (self.metrics or self.columns):
            raise ValueError("table 需要 metrics 或 columns / table needs metrics or columns")
        if self.kind in {"line", "bar"} and not self.metrics:
            raise ValueError(f"{self.kind} 图需要指标 / needs metrics")
        if self.kind in {"pie", "treemap"} and not self.groupby:
            raise ValueError(f"{self.kind} 图需要 groupby / needs groupby")
        if self.kind == "bar" and self.x is None:
            raise ValueError("bar 图需要 x（分类列）/ bar needs x (a category column)")
        return self


class Cell(Spec):
    chart: str
    width: int = Field(ge=1, le=12)


class Row(Spec):
    height: int = Field(ge=8, le=200, description="grid units of 8 px")
    cells: list[Cell]

    @model_validator(mode="after")
    def _fits(self) -> Row:
        if sum(c.width for c in self.cells) > 12:
            raise ValueError("一行宽度合计超过 12 / the cells of a row are wider than 12 columns")
        return self


class NativeFilterSpec(Spec):
    name: str
    dataset: str
    column: str
    multiple: bool = True


class DashboardSpec(Spec):
    uuid: UUID
    title: str
    description: str
    theme: Literal["dark", "light"] = "light"
    viewport: tuple[int, int] = Field(default=(1920, 1080), description="the screen it is laid out for (px)")
    refresh_seconds: int = 0
    css: str = ""
    charts: dict[str, ChartSpec]
    rows: list[Row]
    filters: list[NativeFilterSpec] = []


class SpecError(Exception):
    """The dashboard YAML is invalid; each problem names its file and field."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Assets:
    """Every spec under an assets folder, with the file each came from."""

    root: Path
    database: DatabaseSpec
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    dashboards: dict[str, DashboardSpec] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # "datasets/x" / "dashboards/y" → file

    def file_of(self, key: str) -> str:
        path = self.files[key]
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)


def _load(path: Path, model: type[Spec], problems: list[str]) -> Any:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        problems.append(f"{path}: YAML 语法错误 / invalid YAML: {exc}")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(文件 / file)"
            problems.append(f"{path}: {where}: {err['msg']}")
        return None


def load_assets(root: Path = ASSETS_DIR) -> Assets:
    """Read every YAML under ``root``; raises SpecError listing every structural problem."""
    problems: list[str] = []
    database = _load(root / "database.yaml", DatabaseSpec, problems)
    datasets = {p.stem: _load(p, DatasetSpec, problems) for p in sorted((root / "datasets").glob("*.yaml"))}
    dashboards = {p.stem: _load(p, DashboardSpec, problems) for p in sorted((root / "dashboards").glob("*.yaml"))}
    if problems:
        raise SpecError(problems)
    assets = Assets(root=root, database=database, datasets=datasets, dashboards=dashboards)
    assets.files = {f"datasets/{n}": root / "datasets" / f"{n}.yaml" for n in datasets} | {
        f"dashboards/{n}": root / "dashboards" / f"{n}.yaml" for n in dashboards
    }
    _check_unique_uuids(assets)
    return assets


def _check_unique_uuids(assets: Assets) -> None:
    seen: dict[UUID, str] = {assets.database.uuid: "database.yaml"}
    problems = []
    objects: list[tuple[UUID, str]] = [(d.uuid, f"datasets/{n}.yaml") for n, d in assets.datasets.items()]
    for name, dash in assets.dashboards.items():
        objects.append((dash.uuid, f"dashboards/{name}.yaml"))
        objects += [(c.uuid, f"dashboards/{name}.yaml: charts.{key}") for key, c in dash.charts.items()]
    for uuid, where in objects:
        if uuid in seen:
            problems.append(f"{where}: uuid {uuid} 与 {seen[uuid]} 重复 / duplicate uuid")
        seen[uuid] = where
    if problems:
        raise SpecError(problems)
