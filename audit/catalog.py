"""The audit rule catalog (稽核规则目录): rules as YAML data, loaded strictly and rendered to DuckDB SQL.

A rule's condition is one SELECT over the standard layer (``staging.*``, ``intermediate.*``, ``marts.*``)
returning ``record_key`` (the violating record, in the key format of its subject), optionally the
person/unit it concerns (``grzh``, ``dwzh``, ``zjhm``), its evidence columns, and the parameter values
it used as columns named ``p_<name>``. Two Jinja helpers keep parameters effective-dated:

- ``{{ param('JS_MAX', 'a.khrq') }}``: the value of parameter JS_MAX valid on the date expression
  ``a.khrq`` (policy parameters of ``intermediate.int_policy_parameters`` or the rule's own ones);
- ``{{ asof }}``: the business date of the data (the core system's BIZ_DATE), a DATE literal.

Loading validates every rule: the YAML fields (pydantic, unknown keys refused), and the condition SQL
against the warehouse schema with sqlglot (unknown table or column → :class:`CatalogError` naming the
rule). The same rendered SQL drives the batch engine and real-time screening.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Literal

import jinja2
import sqlglot
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.qualify import qualify

RULES_DIR = Path(__file__).with_name("rules")
Category = Literal["基础数据", "归集", "提取", "贷款", "资金", "财务"]
Source = Literal["住建部电子稽查", "审计", "中心自定义"]
Severity = Literal["高", "中", "低"]
SEVERITY_RANK = {"高": 3, "中": 2, "低": 1}
REF_COLUMNS = ("grzh", "dwzh", "zjhm")
PARAMS_TABLE = "audit_params"  # temp table of every parameter version (policy + rule-local)
FAR_FUTURE = dt.date(9999, 12, 31)


class CatalogError(ValueError):
    """A rule file or rule that cannot be used; the message names the file and the rule."""


class ParameterVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float
    valid_from: dt.date
    valid_to: dt.date | None = None


class Subject(BaseModel):
    """The record a hit is about: its table and key (the ground truth's ``table`` is the vendor table)."""

    model_config = ConfigDict(extra="forbid")
    table: str
    key: str
    source_table: str = Field(description="vendor table of the core system (ground-truth table name)")


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[A-Z]{2}-\d{2}(-[A-Z0-9]+)?$")
    version: int = 1
    name: str
    category: Category
    source: Source
    severity: Severity
    needs_partner_data: bool = False
    partner_feeds: list[str] = []
    description: str = ""
    subject: Subject
    parameters: dict[str, list[ParameterVersion]] = {}
    policy_parameters: list[str] = []
    condition: str
    evidence: list[str]
    remediation: str
    planted_as: list[str] | None = Field(
        default=None, description="simulator ground-truth ids this rule is measured against (default: its own id)")
    screening: list[Literal["withdrawal", "loan", "remittance", "account_change"]] = []
    enabled: bool = True

    @field_validator("parameters")
    @classmethod
    def _no_overlap(cls, v: dict[str, list[ParameterVersion]]) -> dict[str, list[ParameterVersion]]:
        for name, versions in v.items():
            spans = sorted((p.valid_from, p.valid_to or FAR_FUTURE) for p in versions)
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                if start <= end:
                    raise ValueError(f"parameter {name}: effective periods overlap ({start} ≤ {end})")
        return v

    @property
    def ground_truth_ids(self) -> list[str]:
        return [self.id] if self.planted_as is None else self.planted_as


class Catalog:
    """The loaded rules plus the parameter table they read."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.by_id = {r.id: r for r in rules}

    def __len__(self) -> int:
        return len(self.rules)

    def parameter_rows(self) -> list[tuple[str, str, float, dt.date, dt.date | None]]:
        """(rule_id, name, value, valid_from, valid_to) of every rule-local parameter version."""
        return [(r.id, name, p.value, p.valid_from, p.valid_to)
                for r in self.rules for name, versions in r.parameters.items() for p in versions]

    @cached_property
    def categories(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {}
        for r in self.rules:
            out.setdefault(r.category, []).append(r)
        return out


# ---------------------------------------------------------------------------------------------- render

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


def render(rule: Rule, asof: dt.date) -> str:
    """The rule's condition as plain DuckDB SQL (parameters as scalar look-ups into ``audit_params``)."""
    known = set(rule.parameters) | set(rule.policy_parameters)

    def param(name: str, at: str | None = None) -> str:
        if name not in known:
            raise CatalogError(f"{rule.id}: parameter {name!r} used but not declared (parameters / policy_parameters)")
        scope = f"'{rule.id}'" if name in rule.parameters else "'*'"
        day = at or f"DATE '{asof.isoformat()}'"
        return (f"(SELECT max(pv.csz) FROM {PARAMS_TABLE} pv WHERE pv.rule_id = {scope} AND pv.csdm = '{name}' "
                f"AND CAST({day} AS DATE) BETWEEN pv.valid_from AND pv.valid_to)")

    try:
        return _ENV.from_string(rule.condition).render(param=param, asof=f"DATE '{asof.isoformat()}'").strip().rstrip(";")
    except jinja2.TemplateError as e:
        raise CatalogError(f"{rule.id}: condition template error: {e}") from e


# ---------------------------------------------------------------------------------------------- load

def load_catalog(
    rules_dir: Path = RULES_DIR, schema: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None,
    asof: dt.date = dt.date(2026, 1, 1),
) -> Catalog:
    """Every ``*.yaml`` under ``rules_dir``; with ``schema`` ({schema: {table: {column: type}}}) each
    condition is also checked against the warehouse. Raises :class:`CatalogError` on the first problem."""
    rules: list[Rule] = []
    seen: dict[str, Path] = {}
    for path in sorted(rules_dir.glob("*.yaml")):
        try:
            docs = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise CatalogError(f"{path.name}: not valid YAML: {e}") from e
        if not isinstance(docs, dict) or not isinstance(docs.get("rules"), list):
            raise CatalogError(f"{path.name}: expected a mapping with a 'rules' list")
        for i, raw in enumerate(docs["rules"]):
            rid = raw.get("id", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
            try:
                rule = Rule.model_validate(raw)
            except ValidationError as e:
                raise CatalogError(f"{path.name}: rule {rid}: {_pydantic_message(e)}") from e
            if rule.id in seen:
                raise CatalogError(f"{path.name}: rule {rule.id} already defined in {seen[rule.id].name}")
            seen[rule.id] = path
            rules.append(rule)
    catalog = Catalog(rules)
    if schema is not None:
        for rule in rules:
            validate_rule(rule, schema, asof)
    return catalog


def _pydantic_message(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())


def params_schema() -> dict[str, str]:
    return {"rule_id": "VARCHAR", "csdm": "VARCHAR", "csz": "DOUBLE", "valid_from": "DATE", "valid_to": "DATE"}


def validate_rule(rule: Rule, schema: Mapping[str, Mapping[str, Mapping[str, str]]], asof: dt.date) -> None:
    """Parse and qualify the rendered condition against ``schema``; check the output columns."""
    sql = render(rule, asof)
    full: dict[str, dict[str, dict[str, str]]] = {s: {t: dict(c) for t, c in ts.items()} for s, ts in schema.items()}
    full.setdefault("main", {})[PARAMS_TABLE] = params_schema()
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except ParseError as e:
        raise CatalogError(f"{rule.id}: condition is not valid SQL: {e}") from e
    if not isinstance(tree, exp.Query):
        raise CatalogError(f"{rule.id}: condition must be one SELECT")
    for table in tree.find_all(exp.Table):
        db, name = table.db, table.name
        if not db and name == PARAMS_TABLE:
            continue
        if not db:
            if _is_cte(tree, name):
                continue
            raise CatalogError(f"{rule.id}: table {name!r} must be schema-qualified (staging./intermediate./marts.)")
        if db not in full or name not in full[db]:
            raise CatalogError(f"{rule.id}: unknown table {db}.{name}")
    try:
        qualified = qualify(tree.copy(), schema=dict(full), dialect="duckdb", validate_qualify_columns=True,
                            identify=False, db="main")
    except OptimizeError as e:
        raise CatalogError(f"{rule.id}: {e}") from e
    outputs = [s.alias_or_name for s in qualified.selects]  # type: ignore[attr-defined]
    if "record_key" not in outputs:
        raise CatalogError(f"{rule.id}: condition must return a column record_key (returns {outputs})")
    missing = [c for c in rule.evidence if c not in outputs]
    if missing:
        raise CatalogError(f"{rule.id}: evidence columns {missing} are not returned by the condition ({outputs})")
    subject = rule.subject.table.split(".")
    if len(subject) != 2 or subject[0] not in full or subject[1] not in full[subject[0]]:
        raise CatalogError(f"{rule.id}: unknown subject table {rule.subject.table}")
    if rule.subject.key not in full[subject[0]][subject[1]]:
        raise CatalogError(f"{rule.id}: subject key {rule.subject.key!r} is not a column of {rule.subject.table}")


def _is_cte(tree: exp.Query, name: str) -> bool:
    return any(cte.alias == name for cte in tree.find_all(exp.CTE))


def input_tables(rule: Rule, asof: dt.date) -> list[str]:
    """schema.table names the condition reads (for incremental change detection)."""
    tree = sqlglot.parse_one(render(rule, asof), dialect="duckdb")
    return sorted({f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db})


def warehouse_schema(con: object, schemas: Iterable[str] = ("staging", "intermediate", "marts")) -> dict[str, dict[str, dict[str, str]]]:
    """{schema: {table: {column: type}}} of a DuckDB connection (warehouse or snapshot)."""
    wanted = list(schemas)
    rows = con.execute(  # type: ignore[attr-defined]
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema IN ({', '.join('?' for _ in wanted)}) ORDER BY table_schema, table_name, ordinal_position",
        wanted,
    ).fetchall()
    out: dict[str, dict[str, dict[str, str]]] = {}
    for s, t, c, ty in rows:
        out.setdefault(s, {}).setdefault(t, {})[c] = ty
    return out


def used_columns(rule: Rule, schema: Mapping[str, Mapping[str, Mapping[str, str]]], asof: dt.date) -> dict[str, set[str]]:
    """{schema.table: columns} the condition reads (``*`` expanded against ``schema``)."""
    from sqlglot.optimizer.scope import traverse_scope

    full: dict[str, dict[str, dict[str, str]]] = {s: {t: dict(c) for t, c in ts.items()} for s, ts in schema.items()}
    full.setdefault("main", {})[PARAMS_TABLE] = params_schema()
    tree = qualify(sqlglot.parse_one(render(rule, asof), dialect="duckdb"), schema=dict(full), dialect="duckdb",
                   validate_qualify_columns=False, identify=False, db="main")
    out: dict[str, set[str]] = {}
    for scope in traverse_scope(tree):
        for col in scope.columns:
            source = scope.sources.get(col.table)
            if isinstance(source, exp.Table) and source.db and source.db != "main":
                out.setdefault(f"{source.db}.{source.name}", set()).add(col.name)
    return out
