"""风险事件 (risk events): the audit's findings and their lifecycle, for stewards and auditors (issue #6)."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from serving.core.deps import CurrentConsumer
from serving.core.errors import ApiError
from serving.core.output import register_records, render_records
from serving.schemas.common import ERROR_RESPONSES

router = APIRouter(prefix="/risk-events", tags=["risk events 风险事件"])
# Every answer is masked per role by column name (grzh, dwzh, zjhm and the evidence fields like the marts' columns of
# that name; record_key, event_id, actor, note, assignee, resolution fail closed, issue #5); these carry no data:
register_records(("rule_id", "rule_version", "rule_name", "category", "severity", "subject_table", "source_table",
                  "parameters", "first_seen", "last_seen", "first_run_id", "last_run_id", "cleared_at", "state",
                  "department", "false_positive", "confirmed", "updated_at", "hits", "open", "false_positives",
                  "confirmed_rate", "false_positive_rate", "changed_at", "action", "from_state", "to_state"))


def _masked(result: Any, consumer: Any) -> Response:
    """Evidence (JSON in the store) is parsed so that each of its fields is masked on its own."""
    rows = result if isinstance(result, list) else [result]
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("evidence"), str):
            with contextlib.suppress(ValueError):  # otherwise one text value: masked as free text (fail closed)
                row["evidence"] = json.loads(row["evidence"])
    return render_records(result, consumer)


EventId = Annotated[str, Path(min_length=4, max_length=200, description="风险事件编号 rule_id:record_key")]


class Transition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_state: str = Field(pattern=r"^(identified|assessed|reported|disposed|feedback|closed)$",
                          description="目标状态 identified 识别/assessed 评估/reported 报告/disposed 处置/feedback 反馈/closed 关闭")
    actor: str = Field(min_length=1, max_length=50, description="操作人")
    note: str | None = Field(default=None, max_length=2000, description="说明")
    department: str | None = Field(default=None, max_length=50, description="承办部门")


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str = Field(min_length=1, max_length=50, description="承办部门，如 归集科、提取科、贷款科、财务科、稽核科")
    actor: str = Field(min_length=1, max_length=50, description="操作人")
    note: str | None = Field(default=None, max_length=2000, description="说明")


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: str = Field(min_length=1, max_length=50, description="操作人")
    note: str = Field(min_length=1, max_length=2000, description="备注")


def _events(request: Request) -> Any:
    from audit.lifecycle import RiskEvents

    return RiskEvents(request.app.state.config.snapshots_dir.parent / "audit" / "audit.duckdb")


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from audit.lifecycle import LifecycleError

    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except LifecycleError as e:
        status = {"not_found": 404, "illegal_transition": 409}.get(e.code, 422)
        raise ApiError(status, e.code, e.zh, e.en) from e
    except Exception as e:  # the batch engine holds the store: answer 503, never 500
        if "lock" in str(e).lower():
            raise ApiError(503, "store_busy", "稽核库正在被批量稽核写入，请稍后重试", "the audit store is busy, retry later") from e
        raise


@router.get("", operation_id="risk_events_list", responses=ERROR_RESPONSES, summary="风险事件列表 (list risk events)")
async def list_events(
    request: Request, consumer: CurrentConsumer,
    rule_id: Annotated[str | None, Query(max_length=20, description="规则编号")] = None,
    state: Annotated[str | None, Query(max_length=20, description="状态")] = None,
    severity: Annotated[str | None, Query(pattern=r"^[高中低]$", description="风险等级 高/中/低")] = None,
    department: Annotated[str | None, Query(max_length=50, description="承办部门")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="每页条数")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="偏移量")] = 0,
) -> Response:
    events = _events(request)
    result = await _call(events.find, rule_id=rule_id, state=state, severity=severity,
                                               department=department, limit=limit, offset=offset)
    return _masked(result, consumer)


@router.get("/rule-stats", operation_id="risk_events_rule_stats", responses=ERROR_RESPONSES,
            summary="规则命中与确认率 (per-rule hit / confirmed / false-positive rates)")
async def rule_stats(request: Request, consumer: CurrentConsumer) -> Response:
    result = await _call(_events(request).rule_stats)
    return _masked(result, consumer)


@router.get("/{event_id}", operation_id="risk_events_get", responses=ERROR_RESPONSES, summary="风险事件详情及历史")
async def get_event(event_id: EventId, request: Request, consumer: CurrentConsumer) -> Response:
    result = await _call(_events(request).get, event_id)
    return _masked(result, consumer)


@router.post("/{event_id}/transition", operation_id="risk_events_transition", responses=ERROR_RESPONSES,
             summary="推进状态 (advance the lifecycle; illegal transitions → 409)")
async def transition(event_id: EventId, body: Transition, request: Request, consumer: CurrentConsumer) -> Response:
    result = await _call(_events(request).transition, event_id, body.to_state, body.actor, body.note,
                                         body.department)
    return _masked(result, consumer)


@router.post("/{event_id}/assign", operation_id="risk_events_assign", responses=ERROR_RESPONSES, summary="分派承办部门")
async def assign(event_id: EventId, body: Assignment, request: Request, consumer: CurrentConsumer) -> Response:
    result = await _call(_events(request).assign, event_id, body.department, body.actor, body.note)
    return _masked(result, consumer)


@router.post("/{event_id}/notes", operation_id="risk_events_note", responses=ERROR_RESPONSES, summary="添加备注")
async def add_note(event_id: EventId, body: Note, request: Request, consumer: CurrentConsumer) -> Response:
    result = await _call(_events(request).add_note, event_id, body.actor, body.note)
    return _masked(result, consumer)


@router.post("/{event_id}/false-positive", operation_id="risk_events_false_positive", responses=ERROR_RESPONSES,
             summary="标记误报并关闭 (mark as false positive; feeds rule tuning)")
async def false_positive(event_id: EventId, body: Note, request: Request, consumer: CurrentConsumer) -> Response:
    result = await _call(_events(request).mark_false_positive, event_id, body.actor, body.note)
    return _masked(result, consumer)
