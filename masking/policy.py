"""Masking policies as data (masking/policies.yaml): a strict loader and the operator each column gets per role.

    policy = load_policies()                         # raises PolicyError naming file, role/dataset/column, why
    policy.operator("analyst", "member_account", "zjhm")   → Operator("pseudonym")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from masking.classify import CLASSIFICATION_FILE, LEVELS, load_classification

POLICY_FILE = Path(__file__).with_name("policies.yaml")
ROLES = ("public", "leader", "analyst", "business_officer", "auditor", "privileged")
SIMPLE_OPERATORS = ("keep", "redact", "partial", "pseudonym", "free_text")
GENERALIZATIONS = ("year", "month", "age_band", "amount_range")


class PolicyError(ValueError):
    """A policy file references an unknown role, dataset, column, entity, level or operator."""


@dataclass(frozen=True)
class Operator:
    name: str  # keep | redact | partial | pseudonym | free_text | generalize
    param: str | None = None  # generalize: year | month | age_band | amount_range

    def __str__(self) -> str:
        return self.name if self.param is None else f"{self.name}:{self.param}"

    @property
    def unmasked(self) -> bool:
        return self.name == "keep"


def _operator(value: object, where: str) -> Operator:
    if isinstance(value, str) and value in SIMPLE_OPERATORS:
        return Operator(value)
    if isinstance(value, dict) and len(value) == 1 and "generalize" in value:
        if value["generalize"] in GENERALIZATIONS:
            return Operator("generalize", str(value["generalize"]))
        raise PolicyError(f"{where}: 未知的泛化方式 / unknown generalization {value['generalize']!r} "
                          f"(allowed: {', '.join(GENERALIZATIONS)})")
    raise PolicyError(f"{where}: 未知的脱敏算子 / unknown operator {value!r} "
                      f"(allowed: {', '.join(SIMPLE_OPERATORS)}, {{generalize: ...}})")


@dataclass(frozen=True)
class Policies:
    classification: dict[str, dict[str, dict[str, object]]]
    levels: dict[str, dict[str, Operator]]  # role → level → operator
    entities: dict[str, dict[str, Operator]]  # role → entity → operator
    columns: dict[str, dict[tuple[str, str], Operator]]  # role → (dataset, column) → operator

    def column_class(self, dataset: str, column: str) -> dict[str, object]:
        try:
            return self.classification[dataset][column]
        except KeyError:
            raise PolicyError(f"{dataset}.{column}: 未分级分类的列 / column not in the classification "
                              f"({CLASSIFICATION_FILE.name})") from None

    def operator(self, role: str, dataset: str, column: str) -> Operator:
        if role not in self.levels:
            raise PolicyError(f"未知角色 / unknown role {role!r} (roles: {', '.join(ROLES)})")
        cls = self.column_class(dataset, column)
        if (dataset, column) in self.columns[role]:
            return self.columns[role][(dataset, column)]
        entity = str(cls["entity"])
        if entity in self.entities[role]:
            return self.entities[role][entity]
        return self.levels[role][str(cls["level"])]

    def entity(self, dataset: str, column: str) -> str:
        return str(self.column_class(dataset, column)["entity"])


def load_policies(path: Path = POLICY_FILE, classification: Path = CLASSIFICATION_FILE) -> Policies:
    classes = load_classification(classification)
    from masking.classify import STRUCTURED_ENTITIES
    from masking.recognizers import LABELS

    entities_known = set(LABELS) | set(STRUCTURED_ENTITIES)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = path.name
    if not isinstance(doc, dict) or not isinstance(doc.get("roles"), dict):
        raise PolicyError(f"{name}: 缺少 roles / missing 'roles'")
    unknown_keys = set(doc) - {"version", "roles", "columns"}
    if unknown_keys:
        raise PolicyError(f"{name}: 未知的顶层键 / unknown top-level keys {sorted(unknown_keys)}")
    levels: dict[str, dict[str, Operator]] = {}
    entities: dict[str, dict[str, Operator]] = {}
    for role, spec in doc["roles"].items():
        where = f"{name}: roles.{role}"
        if role not in ROLES:
            raise PolicyError(f"{where}: 未知角色 / unknown role (roles: {', '.join(ROLES)})")
        if not isinstance(spec, dict) or set(spec) - {"description", "levels", "entities"}:
            raise PolicyError(f"{where}: 只允许 description, levels, entities / only description, levels, entities")
        lv = spec.get("levels") or {}
        if set(lv) != set(LEVELS):
            raise PolicyError(f"{where}.levels: 须为每个级别给出算子 / needs exactly the levels {list(LEVELS)}, "
                              f"got {sorted(lv)}")
        levels[role] = {lvl: _operator(op, f"{where}.levels.{lvl}") for lvl, op in lv.items()}
        entities[role] = {}
        for entity, op in (spec.get("entities") or {}).items():
            if entity not in entities_known:
                raise PolicyError(f"{where}.entities.{entity}: 未知实体 / unknown entity "
                                  f"(known: {', '.join(sorted(entities_known))})")
            entities[role][entity] = _operator(op, f"{where}.entities.{entity}")
    missing = set(ROLES) - set(levels)
    if missing:
        raise PolicyError(f"{name}: 缺少角色 / roles without a policy: {sorted(missing)}")
    columns: dict[str, dict[tuple[str, str], Operator]] = {r: {} for r in ROLES}
    for role, datasets in (doc.get("columns") or {}).items():
        if role not in ROLES:
            raise PolicyError(f"{name}: columns.{role}: 未知角色 / unknown role")
        for dataset, cols in (datasets or {}).items():
            if dataset not in classes:
                raise PolicyError(f"{name}: columns.{role}.{dataset}: 未知数据集 / unknown dataset")
            for col, op in (cols or {}).items():
                if col not in classes[dataset]:
                    raise PolicyError(f"{name}: columns.{role}.{dataset}.{col}: 未知列 / unknown column")
                columns[role][(dataset, col)] = _operator(op, f"{name}: columns.{role}.{dataset}.{col}")
    return Policies(classes, levels, entities, columns)
