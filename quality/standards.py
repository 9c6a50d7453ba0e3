"""Data-standard registry (数据标准): every mart column ↔ a data element (JGJ/T 320-2014 field code, Chinese
name, type, length, code table, source standard) or an explicit exception, and the dataset catalog
(owner, description, classification level 公开/内部/敏感/核心, refresh schedule).

The registry is ``standards.yaml``; ``gjj quality standards`` checks it against the dbt models (and lists
undocumented or unowned datasets); a test fails when a mart column has neither an element nor an exception."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from quality.rules import DBT_MODELS

REGISTRY_FILE = Path(__file__).resolve().parent / "standards.yaml"


class Element(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    type: str
    length: int | None = None
    code_table: str | None = None
    standard: str  # e.g. JGJ/T 320-2014; "本中心扩展" for local elements
    exception: str | None = None  # why the column is not a national data element


class Dataset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: str
    description: str
    classification: Literal["公开", "内部", "敏感", "核心"]
    refresh: str
    columns: dict[str, Element]


@cache
def registry() -> dict[str, Dataset]:
    raw = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8")) or {}
    return {name: Dataset.model_validate(spec) for name, spec in raw.items()}


def catalog_metadata(dataset: str) -> dict[str, str]:
    """The catalog facts of a dataset as asset metadata (Dagster UI); empty when it is not catalogued."""
    ds = registry().get(dataset)
    if ds is None:
        return {}
    return {
        "catalog/owner 责任部门": ds.owner,
        "catalog/description 说明": ds.description,
        "catalog/classification 密级": ds.classification,
        "catalog/refresh 更新频率": ds.refresh,
    }


def dbt_marts() -> dict[str, dict]:
    out = {}
    for f in sorted((DBT_MODELS / "marts").rglob("*.yml")):
        for m in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("models", []) or []:
            out[m["name"]] = m
    return out


def problems(columns: dict[str, list[str]] | None = None) -> list[str]:
    """Mart columns without an element or exception, and datasets without owner or description.

    ``columns``: mart → columns as built in the warehouse (default: the dbt model YAML)."""
    reg = registry()
    marts = dbt_marts()
    cols = columns or {n: [c["name"] for c in m.get("columns", []) or []] for n, m in marts.items()}
    out = []
    for mart, names in sorted(cols.items()):
        ds = reg.get(mart)
        if ds is None:
            out.append(f"{mart}: 未登记到数据目录 (dataset not in the registry)")
            continue
        if not ds.owner.strip() or not ds.description.strip():
            out.append(f"{mart}: 缺少责任部门或说明 (unowned or undocumented)")
        for c in names:
            if c not in ds.columns:
                out.append(f"{mart}.{c}: 没有对应的数据元或例外说明 (no data element or exception)")
    return out


_CODE_TABLE = re.compile(r"\b(A\.0\.[0-9]+|GB/T [0-9.]+(?:-[0-9]{4})?|GB [0-9]+)")


def draft(types: dict[str, dict[str, str]]) -> dict[str, dict]:
    """A registry drafted from the dbt descriptions and the warehouse types, for stewards to review
    (``gjj quality standards --draft``); entries already in the registry are kept as they are."""
    reg = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8")) if REGISTRY_FILE.exists() else {}
    reg = reg or {}
    for name, m in dbt_marts().items():
        ds = reg.setdefault(
            name,
            {
                "owner": "",
                "description": m.get("description", ""),
                "classification": "内部",
                "refresh": "每日 (T+1, 08:00 前)",
                "columns": {},
            },
        )
        for c in m.get("columns", []) or []:
            if c["name"] in ds["columns"]:
                continue
            desc = str(c.get("description", ""))
            local = any(w in desc for w in ("invented", "local", "本地"))
            typ = types.get(name, {}).get(c["name"], str(c.get("data_type", "")).upper())
            length = re.search(r"\((\d+)", typ)
            table = _CODE_TABLE.search(desc)
            elem: dict[str, object] = {
                "code": c["name"].upper(),
                "name": re.split(r"[ (（]", desc, maxsplit=1)[0] or c["name"],
                "type": typ,
                "standard": "本中心扩展" if local or c["name"].startswith("_") else "JGJ/T 320-2014",
            }
            if length:
                elem["length"] = int(length.group(1))
            if table:
                elem["code_table"] = table.group(1)
            if local or c["name"].startswith("_"):
                elem["exception"] = (
                    "本中心扩展字段，JGJ/T 320 无对应数据元" if local else "技术字段（加载时间）"
                )
            ds["columns"][c["name"]] = elem
    return reg
