"""Liveness plus the snapshot version being served (503 while nothing is published)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from serving.core.deps import CurrentConsumer, SnapshotDep
from serving.core.output import render
from serving.schemas.common import ERROR_RESPONSES, Health

router = APIRouter(tags=["health 健康检查"])


@router.get("/health", operation_id="health", response_model=Health, responses={503: ERROR_RESPONSES[503]},
            summary="健康检查与当前快照版本 (health and snapshot version)")
async def health(snapshot: SnapshotDep, consumer: CurrentConsumer) -> Response:
    return render(Health(status="ok", snapshot_version=snapshot.version, snapshot_created_at=snapshot.created_at),
                  consumer, snapshot)
