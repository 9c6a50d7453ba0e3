"""The decision-indicator system (决策指标体系) as data: ``indicators.yaml`` → a checked tree of indicators.

The loader is strict: an unknown key, a duplicate code, or a source that names a mart or column the dbt
project does not declare is an error naming the file, the entry and the field. The catalog of marts and
columns comes from the dbt project's model YAML (the contracts), so the check needs no warehouse.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

REPO = Path(__file__).resolve().parents[1]
INDICATORS_FILE = Path(__file__).with_name("indicators.yaml")
MARTS_DIR = REPO / "dbt_project" / "models" / "marts"

Unit = Literal["元", "人", "个", "笔", "ratio"]
Frequency = Literal["monthly", "quarterly", "yearly"]


class IndicatorError(ValueError):
    """indicators.yaml is malformed or names a mart/column that does not exist."""


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mart: str = Field(description="集市表 (dbt model in marts)")
    column: str = Field(description="字段")


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Z]{2}\d{2}(\.\d+)?$")
    name: str
    formula: str
    unit: Unit
    source: Source
    frequency: Frequency | None = None  # inherited from the parent when absent
    owner: str | None = None  # inherited from the parent / domain when absent
    children: list[Indicator] = Field(default_factory=list)


class Domain(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    owner: str
    indicators: list[Indicator]


class IndicatorFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domains: list[Domain]


class FlatIndicator(BaseModel):
    """One indicator with its inherited attributes resolved (one row of the catalogue)."""

    code: str
    name: str
    domain: str
    parent: str | None
    level: int
    formula: str
    unit: str
    frequency: str
    owner: str
    mart: str
    column: str


def mart_catalog(marts_dir: Path = MARTS_DIR) -> dict[str, set[str]]:
    """mart name → declared columns, from every model YAML under dbt_project/models/marts."""
    catalog: dict[str, set[str]] = {}
    for path in sorted(marts_dir.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models") or []:
            catalog[model["name"]] = {c["name"] for c in model.get("columns") or []}
    return catalog


def _walk(domain: Domain, items: list[Indicator], parent: Indicator | None, level: int,
          frequency: str, owner: str) -> Iterator[FlatIndicator]:
    for ind in items:
        freq = ind.frequency or frequency
        own = ind.owner or owner
        yield FlatIndicator(code=ind.code, name=ind.name, domain=domain.code, parent=parent.code if parent else None,
                            level=level, formula=ind.formula, unit=ind.unit, frequency=freq, owner=own,
                            mart=ind.source.mart, column=ind.source.column)
        yield from _walk(domain, ind.children, ind, level + 1, freq, own)


def load_indicators(path: Path = INDICATORS_FILE, catalog: dict[str, set[str]] | None = None) -> list[FlatIndicator]:
    """Read, validate and flatten the indicator tree; every source must resolve to a declared column."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise IndicatorError(f"{path}: YAML 语法错误 / invalid YAML: {exc}") from exc
    try:
        doc = IndicatorFile.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise IndicatorError(f"{path}: 指标定义不合法 / invalid indicator definition: {details}") from exc
    catalog = mart_catalog() if catalog is None else catalog
    flat: list[FlatIndicator] = []
    seen: set[str] = set()
    problems: list[str] = []
    for domain in doc.domains:
        for ind in _walk(domain, domain.indicators, None, 1, "monthly", domain.owner):
            if ind.code in seen:
                problems.append(f"{ind.code}: 指标编码重复 / duplicate code")
            if not ind.code.startswith(domain.code):
                problems.append(f"{ind.code}: 编码应以领域编码 {domain.code} 开头 / code must start with its domain code")
            seen.add(ind.code)
            if ind.mart not in catalog:
                problems.append(f"{ind.code} ({ind.name}) source.mart: 未知集市表 / unknown mart '{ind.mart}'")
            elif ind.column not in catalog[ind.mart]:
                problems.append(f"{ind.code} ({ind.name}) source.column: 集市表 {ind.mart} 无字段 / "
                                f"mart {ind.mart} has no column '{ind.column}'")
            flat.append(ind)
    if problems:
        raise IndicatorError(f"{path}: " + "; ".join(problems))
    return flat
