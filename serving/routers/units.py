"""单位 (units): employer account summary, a point lookup on serving.sqlite."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from serving.core.deps import CurrentConsumer, SnapshotDep
from serving.core.errors import not_found
from serving.core.output import render
from serving.schemas.common import ERROR_RESPONSES
from serving.schemas.units import UnitSummary

router = APIRouter(prefix="/units", tags=["units 单位"])

Dwzh = Annotated[str, Path(pattern=r"^\d{12}$", description="单位账号 (DWZH)，12位数字", examples=["411200000001"])]

_COLS = tuple(UnitSummary.model_fields)
_SELECT = f"SELECT {', '.join(_COLS)} FROM unit_summary WHERE dwzh = ?"


@router.get("/{dwzh}/summary", operation_id="units_get_summary", response_model=UnitSummary,
            responses=ERROR_RESPONSES, summary="单位概要 (unit summary)")
async def get_summary(dwzh: Dwzh, snapshot: SnapshotDep, consumer: CurrentConsumer) -> Response:
    row = snapshot.sqlite().execute(_SELECT, (dwzh,)).fetchone()
    if row is None:
        raise not_found("单位账号", "unit account", dwzh)
    return render(UnitSummary(**dict(zip(_COLS, row, strict=True))), consumer, snapshot)
