"""Quality rules as data: the YAML files under ``quality/rules/`` loaded into validated models.

The loader is strict: a rule naming an unknown table, column, dimension, severity or expectation is
rejected with a message naming the file, the rule id and the field — never skipped."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

HERE = Path(__file__).resolve().parent
RULES_DIR = HERE / "rules"
TABLES_FILE = HERE / "tables.yaml"
DBT_MODELS = HERE.parent / "dbt_project" / "models"

DIMENSIONS = ("完整性", "准确性", "一致性", "规范性", "及时性")
DOMAINS = ("归集", "提取", "贷款", "资金")
Dimension = Literal["完整性", "准确性", "一致性", "规范性", "及时性"]
Severity = Literal["H", "M", "L"]

# Expectations the runner can push down to DuckDB, with the parameters naming columns.
# (Regex expectations are run as GE UnexpectedRowsExpectation: see docs/decisions/0010.)
EXPECTATIONS: dict[str, tuple[str, ...]] = {
    "ExpectColumnValuesToNotBeNull": ("column",),
    "ExpectColumnValuesToBeNull": ("column",),
    "ExpectColumnValuesToBeInSet": ("column",),
    "ExpectColumnValuesToBeBetween": ("column",),
    "ExpectColumnValuesToBeUnique": ("column",),
    "ExpectColumnValueLengthsToEqual": ("column",),
    "ExpectColumnValueLengthsToBeBetween": ("column",),
    "ExpectColumnValuesToMatchRegex": ("column",),
    "ExpectColumnValuesToNotMatchRegex": ("column",),
    "ExpectCompoundColumnsToBeUnique": ("column_list",),
    "ExpectColumnPairValuesToBeEqual": ("column_A", "column_B"),
    "ExpectColumnPairValuesAToBeGreaterThanB": ("column_A", "column_B"),
}


class RuleError(ValueError):
    """A rule file that cannot be accepted; the message names file, rule id and field."""


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    schema_: str = Field(alias="schema")
    key: str
    domain: Literal["归集", "提取", "贷款", "资金"]
    owner: str
    path: str | None = None  # bronze Delta tables (outside dbt)
    columns: tuple[str, ...] = ()

    @property
    def relation(self) -> str:
        return f"{self.schema_}.{self.name}"


class Check(BaseModel):
    """Either a GE expectation with its keyword arguments, or SQL.

    ``predicate``: a row condition every record of the table must satisfy (failing = NOT predicate);
    ``query``: a SELECT returning the ``record_key`` of failing records (cross-table checks)."""

    model_config = ConfigDict(extra="forbid")
    expectation: str | None = None
    kwargs: dict[str, Any] = Field(default_factory=dict)
    predicate: str | None = None
    query: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Check:
        if sum(x is not None for x in (self.expectation, self.predicate, self.query)) != 1:
            raise ValueError("需且仅需一个 expectation / predicate / query (exactly one of them)")
        return self

    @property
    def kind(self) -> Literal["ge", "sql"]:
        return "ge" if self.expectation else "sql"


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Z]{2,4}-[A-Z0-9]{1,5}(\.[0-9a-z]+)?$")
    name: str
    table: str
    dimension: Dimension
    severity: Severity
    owner: str
    check: Check
    remediation: str
    defect: str | None = None  # the simulator's planted defect kind this rule owns (ground truth rule_id)


@cache
def tables() -> dict[str, Table]:
    raw = yaml.safe_load(TABLES_FILE.read_text(encoding="utf-8"))
    out = {}
    dbt_cols = dbt_columns()
    for name, spec in raw.items():
        t = Table(name=name, **spec)
        if not t.columns:
            if name not in dbt_cols:
                raise RuleError(f"{TABLES_FILE.name}: 表 {name} 不是 dbt 模型，也未列出字段 (unknown table)")
            t = t.model_copy(update={"columns": dbt_cols[name]})
        out[name] = t
    return out


@cache
def dbt_columns() -> dict[str, tuple[str, ...]]:
    """Model name → documented columns, from the dbt project's YAML."""
    out: dict[str, tuple[str, ...]] = {}
    for f in sorted(DBT_MODELS.rglob("*.yml")):
        for m in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("models", []) or []:
            out[m["name"]] = tuple(c["name"] for c in m.get("columns", []) or [])
    return out


_IDENT = re.compile(r"[a-z_][a-z0-9_]*")


def _validate(rule: Rule, where: str) -> None:
    known = tables()
    if rule.table not in known:
        raise RuleError(f"{where}: 规则 {rule.id} 字段 table: 未知的表 {rule.table!r} (unknown table)")
    cols = set(known[rule.table].columns)
    c = rule.check
    if c.expectation is not None:
        if c.expectation not in EXPECTATIONS:
            raise RuleError(
                f"{where}: 规则 {rule.id} 字段 check.expectation: 不支持的 expectation {c.expectation!r} (unknown expectation)"
            )
        for param in EXPECTATIONS[c.expectation]:
            if param not in c.kwargs:
                raise RuleError(f"{where}: 规则 {rule.id} 字段 check.kwargs.{param}: 缺少参数 (missing)")
            names = c.kwargs[param] if isinstance(c.kwargs[param], list) else [c.kwargs[param]]
            for n in names:
                if n not in cols:
                    raise RuleError(
                        f"{where}: 规则 {rule.id} 字段 check.kwargs.{param}: 表 {rule.table} 没有字段 {n!r} (unknown column)"
                    )
    elif c.predicate is not None:
        # every bare identifier that looks like a column must exist (keywords and functions are allowed)
        for word in set(_IDENT.findall(re.sub(r"'[^']*'", "", c.predicate))) - _SQL_WORDS:
            if word not in cols:
                raise RuleError(
                    f"{where}: 规则 {rule.id} 字段 check.predicate: 表 {rule.table} 没有字段 {word!r} (unknown column)"
                )


_SQL_WORDS = {
    "and",
    "or",
    "not",
    "is",
    "null",
    "in",
    "between",
    "like",
    "case",
    "when",
    "then",
    "else",
    "end",
    "true",
    "false",
    "cast",
    "as",
    "date",
    "varchar",
    "integer",
    "decimal",
    "abs",
    "length",
    "substr",
    "left",
    "right",
    "coalesce",
    "regexp_full_match",
    "round",
    "current_date",
    "interval",
    "day",
    "month",
    "year",
    "strftime",
    "try_cast",
    "upper",
    "lower",
    "trim",
    "greatest",
    "least",
    "nullif",
    "bigint",
    "double",
    "date_diff",
    "datediff",
    "timestamp",
    "last_day",
    "hour",
    "epoch",
    "exists",
    "select",
    "from",
    "where",
    "list_sum",
    "sum",
    "count",
    "distinct",
}


def load_rules(folder: Path = RULES_DIR) -> list[Rule]:
    """Load and validate every ``*.yaml`` rule file; raise RuleError on the first bad rule."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for f in sorted(folder.glob("*.yaml")):
        raw = yaml.safe_load(f.read_text(encoding="utf-8")) or []
        if not isinstance(raw, list):
            raise RuleError(f"{f.name}: 规则文件应为列表 (a rule file is a YAML list)")
        for i, entry in enumerate(raw):
            rid = entry.get("id", f"#{i + 1}") if isinstance(entry, dict) else f"#{i + 1}"
            try:
                rule = Rule.model_validate(entry)
            except ValidationError as exc:
                err = exc.errors()[0]
                field = ".".join(str(p) for p in err["loc"]) or "(rule)"
                raise RuleError(f"{f.name}: 规则 {rid} 字段 {field}: {err['msg']}") from None
            _validate(rule, f.name)
            if rule.id in seen:
                raise RuleError(f"{f.name}: 规则 {rule.id} 字段 id: 与 {seen[rule.id]} 重复 (duplicate id)")
            seen[rule.id] = f.name
            rules.append(rule)
    return rules
