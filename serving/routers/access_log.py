"""访问日志 (access log): auditors read who accessed what (数据使用日志审计). Scope ``access-log``; only the roles
auditor and privileged — others get 403 with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from serving.core.access import Registry
from serving.core.deps import CurrentConsumer, SnapshotDep
from serving.core.errors import ApiError
from serving.core.output import render
from serving.schemas.common import ERROR_RESPONSES

router = APIRouter(prefix="/access-log", tags=["access-log 访问审计"])
AUDIT_ROLES = ("auditor", "privileged")


class AccessLogEntry(BaseModel):
    seq: int = Field(description="序号 (append-only)")
    at: str = Field(description="访问时间 UTC")
    consumer_id: str | None = Field(description="调用方 (未认证时为空)")
    key_id: str | None = Field(description="所用 API key 的标识")
    role: str | None = Field(description="调用方角色")
    method: str = Field(description="HTTP 方法")
    endpoint: str = Field(description="访问的接口路径")
    params: str = Field(description="请求参数 (JSON)")
    purpose: str | None = Field(description="使用目的 (X-Purpose 头)")
    status: int = Field(description="HTTP 状态码")
    rows_returned: int = Field(description="返回行数")
    unmasked_fields: str = Field(description="未脱敏返回的字段 (JSON)")
    masked_fields: str = Field(description="脱敏字段及算子 (JSON)")
    reason: str | None = Field(description="拒绝原因 (401/403/429)")


class AccessLogPage(BaseModel):
    items: list[AccessLogEntry] = Field(description="访问记录，最新在前")


@router.get("", operation_id="access_log_list", response_model=AccessLogPage, responses=ERROR_RESPONSES,
            summary="访问日志查询 (access log, auditors only)")
async def list_access_log(
    request: Request,
    consumer: CurrentConsumer,
    snapshot: SnapshotDep,
    consumer_id: Annotated[str | None, Query(max_length=64, description="按调用方筛选")] = None,
    since: Annotated[datetime | None, Query(description="起始时间 (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="条数，1–500")] = 100,
) -> Response:
    if consumer.role not in AUDIT_ROLES:
        request.state.refusal = f"role {consumer.role} may not read the access log"
        raise ApiError(403, "forbidden", f"角色 {consumer.role} 无权查看访问日志（仅限 auditor、privileged）",
                       f"role {consumer.role} may not read the access log (auditor, privileged only)")
    registry: Registry = request.app.state.registry
    rows = registry.read_log(consumer_id, since.isoformat() if since else None, limit)
    return render(AccessLogPage(items=[AccessLogEntry.model_validate(r) for r in rows]), consumer, snapshot)
