"""Every response body leaves through a response schema, and through here: masked for the consumer's role by
the same policies as the analyst edition (masking/policies.yaml, masking/classification.yaml).

Each field of a response model is mapped to a classified mart column (``MODEL_DATASETS``, ``DERIVED``); fields
that carry no data of their own (code names, paging) are kept; any other field is treated as sensitive (fail
closed). The response says what was masked: ``X-Masked-Fields`` (field=operator) — a redacted field is null *and*
named there, never silently emptied; ``X-Rows-Returned`` and ``X-Unmasked-Fields`` feed the access log.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from masking.operators import MaskingKeyMissing, mask_value, masking_key
from masking.policy import Operator, Policies, load_policies
from serving.core.access import Consumer
from serving.core.errors import ApiError
from serving.core.snapshot import Snapshot

# Response model → the mart its fields come from.
MODEL_DATASETS: dict[str, str] = {
    "MemberSummary": "member_account", "MemberTransactionPage": "member_transaction",
    "MemberTransaction": "member_transaction", "UnitSummary": "unit_summary", "IndicatorResponse": "indicator_monthly",
    "IndicatorRow": "indicator_monthly",
}
# Fields computed from another mart's column: masked like that column.
DERIVED: dict[tuple[str, str], tuple[str, str]] = {
    ("member_account", "zhjzrq"): ("member_transaction", "jzrq"),
    ("indicator_monthly", "tql"): ("indicator_monthly", "tqe"),
    ("indicator_monthly", "gdl"): ("indicator_monthly", "dkye"),
}
# Fields without data of their own (code-table names, counts of rows, paging, the grouping asked for).
NO_DATA = {"gjhtqywlx_mc", "grzhzt_mc", "jybs", "items", "limit", "offset", "next_cursor", "group_by",
           "status", "snapshot_version", "snapshot_created_at"}


def register_response_model(model: type[BaseModel], dataset: str | None,
                            derived: dict[str, tuple[str, str]] | None = None, no_data: tuple[str, ...] = ()) -> None:
    """For a new router: declare which mart a response model's fields come from (``dataset``; None = a model that
    carries no personal data, e.g. rule metadata), fields computed from another mart's column (``derived``:
    field → (mart, column)) and fields without data of their own (``no_data``). Unregistered models with data
    fields are masked as sensitive (fail closed)."""
    if dataset is not None:
        MODEL_DATASETS[model.__name__] = dataset
        for field, source in (derived or {}).items():
            DERIVED[(dataset, field)] = source
    else:
        NO_DATA.update(model.model_fields)
    NO_DATA.update(no_data)


# Records gathered from many marts (audit evidence, risk events, screening hits): each field is masked like the
# most sensitive classified mart column of the same name; a field no mart column is named like fails closed (the
# role's operator for the level 'sensitive'). A model registered with dataset BY_NAME, and any dict field, is masked
# this way; plain dict/list bodies go through :func:`render_records`.
BY_NAME = "*"
_LEVEL_RANK = {"public": 0, "internal": 1, "personal": 2, "sensitive": 3}


@lru_cache(maxsize=1)
def columns_by_name() -> dict[str, tuple[str, str]]:
    """column name → (mart, column) of its most sensitive classified occurrence."""
    best: dict[str, tuple[int, str, str]] = {}
    for ds, cols in policies().classification.items():
        for col, cls in cols.items():
            rank = _LEVEL_RANK.get(str(cls.get("level")), 3)
            if col not in best or rank > best[col][0]:
                best[col] = (rank, ds, col)
    return {col: (ds, c) for col, (_, ds, c) in best.items()}


def register_records(no_data: tuple[str, ...]) -> None:
    """For a router answering with plain records (:func:`render_records`): the fields without data of their own;
    every other field is masked by column name (BY_NAME) or fails closed."""
    NO_DATA.update(no_data)


# Models that carry no personal data of a mart (the API's own metadata and the access log read by auditors).
_OPEN_MODELS = {"Health", "AccessLogPage", "AccessLogEntry", "IndicatorResponse", "MemberTransactionPage"}


@lru_cache(maxsize=1)
def policies() -> Policies:
    return load_policies()


def _field_operator(p: Policies, role: str, dataset: str, field: str) -> tuple[Operator, str, bool]:
    """(operator, entity, is data) for one response field."""
    if field in NO_DATA:
        return Operator("keep"), "", False
    ds, col = DERIVED.get((dataset, field), (dataset, field))
    if col in p.classification.get(ds, {}):
        return p.operator(role, ds, col), p.entity(ds, col), True
    return p.levels[role]["sensitive"], "FREE_TEXT", True  # unknown field: fail closed


@lru_cache(maxsize=8192)
def _field_plan(role: str, dataset: str, field: str) -> tuple[Operator, str, bool]:
    """:func:`_field_operator` per (role, dataset, field), looked up once: a page of 20 transactions asks it 260
    times per request (≈ 0.5 ms, half of the lookup's cost). Routers register their fields at import, before any
    request."""
    return _field_operator(policies(), role, dataset, field)


class _Masker:
    def __init__(self, role: str) -> None:
        self.role = role
        self.p = policies()
        self.masked: dict[str, str] = {}
        self.unmasked: set[str] = set()
        self._key: bytes | None = None

    def key(self) -> bytes:
        if self._key is None:
            self._key = masking_key()
        return self._key

    def _apply(self, name: str, op: Operator, entity: str, value: Any, is_data: bool = True) -> Any:
        if op.unmasked:
            if is_data:
                self.unmasked.add(name)
            return value
        self.masked[name] = str(op)
        return mask_value(op, entity, value, self.key() if op.name == "pseudonym" else None)

    def record(self, rec: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        """A record whose fields are named like mart columns (see BY_NAME), nested dicts and lists included."""
        out: dict[str, Any] = {}
        for field, value in rec.items():
            name = f"{prefix}{field}"
            if isinstance(value, dict):
                out[field] = self.record(value, f"{name}.")
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                out[field] = [self.record(v, f"{name}.") for v in value]
            elif field in NO_DATA or value is None:
                out[field] = value
            elif field in columns_by_name():
                ds, col = columns_by_name()[field]
                out[field] = self._apply(name, self.p.operator(self.role, ds, col), self.p.entity(ds, col), value)
            else:
                out[field] = self._apply(name, self.p.levels[self.role]["sensitive"], "FREE_TEXT", value)
        return out

    def model(self, model: BaseModel) -> dict[str, Any]:
        dataset = MODEL_DATASETS.get(type(model).__name__)
        dumped = model.model_dump(mode="json")
        if dataset == BY_NAME:
            nested = {f for f in dumped if isinstance(getattr(model, f), BaseModel | list)}
            out = self.record({f: v for f, v in dumped.items() if f not in nested})
            for f in nested:
                attr = getattr(model, f)
                out[f] = (self.model(attr) if isinstance(attr, BaseModel) else
                          [self.model(m) if isinstance(m, BaseModel) else m for m in attr])
            return {f: out[f] for f in dumped}
        out = {}
        for field, value in dumped.items():
            attr = getattr(model, field)
            if isinstance(attr, BaseModel):
                out[field] = self.model(attr)
            elif isinstance(attr, list) and attr and isinstance(attr[0], BaseModel):
                out[field] = [self.model(m) for m in attr]
            elif isinstance(attr, dict) and dataset is not None:  # an unregistered model fails closed below
                out[field] = self.record(value, f"{field}.")
            elif dataset is None and type(model).__name__ not in _OPEN_MODELS and field not in NO_DATA:
                op = self.p.levels[self.role]["sensitive"]  # unregistered model: fail closed
                if op.unmasked:
                    self.unmasked.add(field)
                    out[field] = value
                else:
                    self.masked[field] = str(op)
                    out[field] = mask_value(op, "FREE_TEXT", value, self.key() if op.name == "pseudonym" else None)
            elif dataset is None:
                out[field] = value
            else:
                op, entity, is_data = _field_plan(self.role, dataset, field)
                if op.unmasked:
                    if is_data:
                        self.unmasked.add(field)
                    out[field] = value
                else:
                    self.masked[field] = str(op)
                    out[field] = mask_value(op, entity, value, self.key() if op.name == "pseudonym" else None)
        return out


def present(model: BaseModel, consumer: Consumer) -> tuple[dict[str, Any], dict[str, str], set[str]]:
    """The masked body, {field: operator} of masked fields, and the data fields returned unmasked."""
    masker = _Masker(consumer.role)
    try:
        body = masker.model(model)
    except MaskingKeyMissing as exc:
        raise ApiError(503, "masking_unavailable", "脱敏密钥未配置，无法提供假名化数据",
                       "GJJ_MASKING_KEY is not configured: pseudonymised fields cannot be served") from exc
    _check(masker, consumer.role)
    return body, masker.masked, masker.unmasked


def _check(masker: _Masker, role: str) -> None:
    if masker.masked and not masker.unmasked and all(o == "redact" for o in masker.masked.values()):
        raise ApiError(403, "forbidden", f"角色 {role} 无权查看该数据（全部字段须屏蔽）",
                       f"role {role} may not see this data (every field would be redacted)")


def _response(body: Any, rows: int, masked: dict[str, str], unmasked: set[str], version: int | None) -> Response:
    headers = {"X-Rows-Returned": str(rows), "X-Masked-Fields": ",".join(f"{f}={o}" for f, o in sorted(masked.items())),
               "X-Unmasked-Fields": ",".join(sorted(unmasked))}
    if version is not None:
        headers["X-Snapshot-Version"] = str(version)
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str),
                    media_type="application/json", headers=headers)


def render(model: BaseModel, consumer: Consumer, snapshot: Snapshot | None) -> Response:
    body, masked, unmasked = present(model, consumer)
    items = getattr(model, "items", None)
    rows = len(items) if isinstance(items, list) else 1
    return _response(body, rows, masked, unmasked, snapshot.version if snapshot is not None else None)


def render_records(records: list[dict[str, Any]] | dict[str, Any], consumer: Consumer) -> Response:
    """A body of plain records (e.g. risk events from the audit store) masked field by field by column name
    (see BY_NAME); the same headers as :func:`render`."""
    masker = _Masker(consumer.role)
    try:
        body: Any = ([masker.record(r) for r in records] if isinstance(records, list) else masker.record(records))
    except MaskingKeyMissing as exc:
        raise ApiError(503, "masking_unavailable", "脱敏密钥未配置，无法提供假名化数据",
                       "GJJ_MASKING_KEY is not configured: pseudonymised fields cannot be served") from exc
    _check(masker, consumer.role)
    return _response(body, len(records) if isinstance(records, list) else 1, masker.masked, masker.unmasked, None)
