"""Data-sharing contracts (数据共享管控) as data: serving/contracts/sharing.yaml, loaded strictly.

A contract names the API consumer it covers, its department, purpose, legal basis, approver, version (with a change
log), validity, the masking role, and per data product the granted columns and row filters. The loader rejects an
unknown product, dataset, column, role or filter operator with the file, the contract and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from masking.classify import load_classification
from masking.policy import ROLES

SHARING_FILE = Path(__file__).resolve().parent.parent / "contracts" / "sharing.yaml"
FILTER_OPS = {"eq": "=", "in": "IN", "gte": ">=", "lte": "<="}


class SharingError(ValueError):
    """The sharing registry is invalid."""


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    dataset: str
    owner: str
    description: str


@dataclass(frozen=True)
class RowFilter:
    column: str
    op: str
    values: tuple[object, ...]

    def sql(self) -> tuple[str, list[object]]:
        if self.op == "in":
            return f'"{self.column}" IN ({", ".join("?" for _ in self.values)})', list(self.values)
        return f'"{self.column}" {FILTER_OPS[self.op]} ?', [self.values[0]]


@dataclass(frozen=True)
class Grant:
    product: str
    columns: tuple[str, ...]
    row_filters: tuple[RowFilter, ...]


@dataclass(frozen=True)
class Contract:
    id: str
    consumer: str
    department: str
    purpose: str
    legal_basis: str
    approver: str
    version: int
    changes: tuple[str, ...]
    effective: date
    expires: date
    role: str
    grants: dict[str, Grant]

    def active(self, today: date) -> bool:
        return self.effective <= today <= self.expires


@dataclass(frozen=True)
class SharingRegistry:
    products: dict[str, Product]
    contracts: tuple[Contract, ...]

    def for_consumer(self, consumer_id: str) -> list[Contract]:
        return [c for c in self.contracts if c.consumer == consumer_id]


def _need(d: dict[str, object], key: str, where: str) -> object:
    if key not in d or d[key] in (None, ""):
        raise SharingError(f"{where}: 缺少 {key} / missing '{key}'")
    return d[key]


def load_sharing(path: Path = SHARING_FILE) -> SharingRegistry:
    classes = load_classification()
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = path.name
    products: dict[str, Product] = {}
    for pid, p in (doc.get("products") or {}).items():
        where = f"{name}: products.{pid}"
        dataset = str(_need(p, "dataset", where))
        if dataset not in classes:
            raise SharingError(f"{where}: 未知数据集 / unknown dataset {dataset!r}")
        products[pid] = Product(pid, str(_need(p, "title", where)), dataset, str(_need(p, "owner", where)),
                                str(p.get("description", "")))
    contracts = []
    for i, c in enumerate(doc.get("contracts") or []):
        where = f"{name}: contracts[{i}] ({c.get('id', '?')})"
        role = str(_need(c, "role", where))
        if role not in ROLES:
            raise SharingError(f"{where}: 未知角色 / unknown role {role!r} (roles: {', '.join(ROLES)})")
        grants: dict[str, Grant] = {}
        for g in _need(c, "grants", where):  # type: ignore[attr-defined]
            pid = str(_need(g, "product", where))
            if pid not in products:
                raise SharingError(f"{where}: 未知数据产品 / unknown product {pid!r}")
            cols = classes[products[pid].dataset]
            bad = [col for col in _need(g, "columns", where) if col not in cols]  # type: ignore[attr-defined]
            if bad:
                raise SharingError(f"{where}: {pid}: 未知列 / unknown columns {bad}")
            filters = []
            for f in g.get("row_filters") or []:
                if f.get("op") not in FILTER_OPS or f.get("column") not in cols:
                    raise SharingError(f"{where}: {pid}: 行过滤无效 / bad row filter {f!r} "
                                       f"(ops: {', '.join(FILTER_OPS)}; column must exist)")
                values = tuple(f["values"]) if f["op"] == "in" else (f.get("value"),)
                filters.append(RowFilter(str(f["column"]), str(f["op"]), values))
            grants[pid] = Grant(pid, tuple(g["columns"]), tuple(filters))
        version = _need(c, "version", where)
        if not isinstance(version, int) or version < 1:
            raise SharingError(f"{where}: version 须为正整数 / version must be a positive integer")
        changes = tuple(str(x) for x in c.get("changes") or [])
        if len(changes) < version:
            raise SharingError(f"{where}: 每个版本须有变更记录 / every version needs a line in 'changes'")
        contracts.append(Contract(
            str(_need(c, "id", where)), str(_need(c, "consumer", where)), str(_need(c, "department", where)),
            str(_need(c, "purpose", where)), str(_need(c, "legal_basis", where)), str(_need(c, "approver", where)),
            version, changes, _need(c, "effective", where), _need(c, "expires", where),  # type: ignore[arg-type]
            role, grants))
    return SharingRegistry(products, tuple(contracts))


@lru_cache(maxsize=1)
def sharing() -> SharingRegistry:
    return load_sharing()
