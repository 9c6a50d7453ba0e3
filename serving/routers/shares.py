"""数据共享 (data sharing): the catalog of what a consumer may receive, and outbound shares/exports under contract.

Scope ``shares``. Everything is enforced from serving/contracts/sharing.yaml: an active contract of the caller for
the product (else 403 naming the reason: none, not yet effective, expired), only granted columns (asking for another
is 403 naming it), the contract's row filters, masking for the contract's role (the DuckDB expressions of the
masking policies, set-based), JSON / CSV / Parquet. Headers name the contract and the masked fields; the access log
records them.
"""

from __future__ import annotations

import io
import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from fastapi import APIRouter, Path, Query, Response

from masking.anonymize import anonymize_text
from masking.operators import MaskingKeyMissing, column_sql, masking_key
from serving.core.deps import CurrentConsumer, SnapshotDep
from serving.core.errors import ApiError
from serving.core.output import policies
from serving.core.sharing import Contract, sharing
from serving.schemas.common import ERROR_RESPONSES

router = APIRouter(prefix="/shares", tags=["shares 数据共享"])


class ShareFormat(StrEnum):
    json = "json"
    csv = "csv"
    parquet = "parquet"


def _forbidden(zh: str, en: str) -> ApiError:
    return ApiError(403, "forbidden", zh, en)


def _contract_for(consumer_id: str, product: str, today: date) -> Contract:
    mine = [c for c in sharing().for_consumer(consumer_id) if product in c.grants]
    if not mine:
        raise _forbidden(f"调用方 {consumer_id} 没有数据产品 {product} 的共享协议",
                         f"consumer {consumer_id} has no sharing contract for product {product}")
    active = [c for c in mine if c.active(today)]
    if not active:
        c = max(mine, key=lambda c: c.expires)
        if today < c.effective:
            raise _forbidden(f"共享协议 {c.id} 自 {c.effective} 起生效", f"contract {c.id} is effective from {c.effective}")
        raise _forbidden(f"共享协议 {c.id} 已于 {c.expires} 到期", f"contract {c.id} expired on {c.expires}")
    return max(active, key=lambda c: c.version)


@router.get("/catalog", operation_id="shares_catalog", responses=ERROR_RESPONSES,
            summary="可共享数据目录 (what this consumer may receive; inbound feeds)")
async def catalog(consumer: CurrentConsumer, snapshot: SnapshotDep) -> Response:
    from ingestion.feed_contracts import load_contracts

    reg, p, today = sharing(), policies(), date.today()
    contracts = []
    for c in reg.for_consumer(consumer.id):
        grants = []
        for g in c.grants.values():
            prod = reg.products[g.product]
            grants.append({
                "product": g.product, "title": prod.title, "owner": prod.owner, "description": prod.description,
                "columns": [{"name": col, "entity": p.entity(prod.dataset, col),
                             "level": p.column_class(prod.dataset, col)["level"],
                             "masking": str(p.operator(c.role, prod.dataset, col))} for col in g.columns],
                "row_filters": [{"column": f.column, "op": f.op, "values": list(f.values)} for f in g.row_filters]})
        contracts.append({"id": c.id, "version": c.version, "department": c.department, "purpose": c.purpose,
                          "legal_basis": c.legal_basis, "approver": c.approver, "effective": c.effective.isoformat(),
                          "expires": c.expires.isoformat(), "status": "active" if c.active(today) else "inactive",
                          "role": c.role, "changes": list(c.changes), "grants": grants})
    inbound = [{"feed": f.feed, "owner": f.owner, "description": f.description,
                "columns": [col.name for col in f.columns], "keys": f.keys}
               for f in load_contracts().values()]
    body = {"consumer": consumer.id, "contracts": contracts, "inbound_feeds": inbound}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json",
                    headers={"X-Snapshot-Version": str(snapshot.version), "X-Rows-Returned": str(len(contracts))})


@router.get("/{product}", operation_id="shares_get_product", responses=ERROR_RESPONSES,
            summary="按共享协议获取数据 (share / export a data product under contract)")
async def share(
    product: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="数据产品标识")],
    consumer: CurrentConsumer,
    snapshot: SnapshotDep,
    columns: Annotated[str | None, Query(max_length=2000, description="列，逗号分隔；缺省为协议授予的全部列")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000, description="行数 1–100000")] = 1000,
    offset: Annotated[int, Query(ge=0, le=100_000_000, description="偏移量")] = 0,
    fmt: Annotated[ShareFormat, Query(alias="format", description="json | csv | parquet")] = ShareFormat.json,
) -> Response:
    reg = sharing()
    if product not in reg.products:
        raise ApiError(404, "not_found", f"未知数据产品 {product}", f"unknown data product {product}")
    contract = _contract_for(consumer.id, product, date.today())
    grant, dataset = contract.grants[product], reg.products[product].dataset
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else list(grant.columns)
    refused = [c for c in wanted if c not in grant.columns]
    if refused:
        raise _forbidden(f"共享协议 {contract.id} 未授予列 {', '.join(refused)}",
                         f"contract {contract.id} does not grant columns {', '.join(refused)}")
    p = policies()
    ops = {c: p.operator(contract.role, dataset, c) for c in wanted}
    try:
        key = masking_key() if any(o.name == "pseudonym" for o in ops.values()) else None
    except MaskingKeyMissing as exc:
        raise ApiError(503, "masking_unavailable", "脱敏密钥未配置", "GJJ_MASKING_KEY is not configured") from exc
    types = dict(snapshot.duckdb().execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'marts' "
        "AND table_name = ?", [dataset]).fetchall())
    if not types:
        raise ApiError(404, "not_found", f"当前快照未发布数据产品 {product} 的数据集 {dataset}",
                       f"dataset {dataset} of product {product} is not in the current snapshot")
    exprs = [(f'src."{c}"' if ops[c].name == "free_text" else
              column_sql(ops[c], p.entity(dataset, c), f'src."{c}"', str(types[c]), key, f"{dataset}.{c}"))
             + f' AS "{c}"' for c in wanted]
    where, args = ["TRUE"], []
    for f in grant.row_filters:
        sql, values = f.sql()
        where.append("src." + sql)
        args += values
    order = ", ".join(f'src."{c}"' for c in grant.columns[:1])
    cur = snapshot.duckdb()
    try:
        table = cur.execute(f'SELECT {", ".join(exprs)} FROM marts."{dataset}" AS src WHERE {" AND ".join(where)} '
                            f"ORDER BY {order} LIMIT ? OFFSET ?", [*args, limit, offset]).fetch_arrow_table()
    finally:
        cur.close()
    for c in wanted:  # free text: analyzer + anonymizer on this page's values
        if ops[c].name == "free_text":
            masked = [None if v is None else anonymize_text(str(v)) for v in table.column(c).to_pylist()]
            table = table.set_column(table.schema.get_field_index(c), c, pa.array(masked, pa.string()))
    headers = {"X-Snapshot-Version": str(snapshot.version), "X-Rows-Returned": str(table.num_rows),
               "X-Contract": f"{contract.id}@v{contract.version}",
               "X-Masked-Fields": ",".join(f"{c}={o}" for c, o in ops.items() if not o.unmasked),
               "X-Unmasked-Fields": ",".join(c for c, o in ops.items() if o.unmasked)}
    if fmt is ShareFormat.csv:
        buf = io.BytesIO()
        pa_csv.write_csv(table, buf)
        headers["Content-Disposition"] = f'attachment; filename="{product}.csv"'
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    if fmt is ShareFormat.parquet:
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        headers["Content-Disposition"] = f'attachment; filename="{product}.parquet"'
        return Response(buf.getvalue(), media_type="application/vnd.apache.parquet", headers=headers)
    rows: list[dict[str, Any]] = table.to_pylist()
    body = {"product": product, "contract": contract.id, "contract_version": contract.version, "limit": limit,
            "offset": offset, "items": rows}
    return Response(json.dumps(body, ensure_ascii=False, default=str), media_type="application/json", headers=headers)
