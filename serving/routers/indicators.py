"""月度指标 (indicators): aggregates over marts.indicator_monthly in the snapshot's DuckDB file.

A plain ``def`` handler: an aggregation can take milliseconds, so it runs in the thread pool,
each request on its own cursor of the process's read-only connection.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from serving.core.deps import CurrentConsumer, SnapshotDep
from serving.core.errors import invalid
from serving.core.output import render
from serving.schemas.common import ERROR_RESPONSES
from serving.schemas.indicators import Grouping, IndicatorResponse, IndicatorRow

router = APIRouter(prefix="/indicators", tags=["indicators 指标"])

Month = r"^\d{4}-(0[1-9]|1[0-2])$"
_DIMS = {Grouping.month: (), Grouping.month_xzqh: ("xzqh",), Grouping.month_dwlb: ("dwlb",),
         Grouping.month_xzqh_dwlb: ("xzqh", "dwlb")}
_SUMS = ("sjdws", "sjzgs", "xkhzgs", "jce", "jcye", "tqrs", "tqe", "tqe_gf", "tqe_hd", "tqe_zf", "tqe_lt", "tqe_qt",
         "dkffbs", "dkffe", "dkhse", "dkye", "yqe")


@router.get("/monthly", operation_id="indicators_list_monthly", response_model=IndicatorResponse,
            responses=ERROR_RESPONSES, summary="月度业务指标 (monthly indicators with 提取率 and 个贷率)")
def list_monthly(
    snapshot: SnapshotDep,
    consumer: CurrentConsumer,
    month_from: Annotated[str | None, Query(pattern=Month, description="统计年月起 YYYY-MM (含)")] = None,
    month_to: Annotated[str | None, Query(pattern=Month, description="统计年月止 YYYY-MM (含)")] = None,
    xzqh: Annotated[str | None, Query(pattern=r"^\d{6}$", description="行政区划代码，6位")] = None,
    dwlb: Annotated[str | None, Query(max_length=32, description="单位性质分类")] = None,
    group_by: Annotated[Grouping, Query(description="统计口径：month | month_xzqh | month_dwlb | month_xzqh_dwlb")]
    = Grouping.month_xzqh_dwlb,
) -> Response:
    if month_from and month_to and month_from > month_to:
        raise invalid("month_from", "起始月份不能晚于截止月份", "month_from must not be after month_to")
    where, args = ["TRUE"], []
    for col, op, val in (("tjny", ">=", month_from), ("tjny", "<=", month_to), ("xzqh", "=", xzqh), ("dwlb", "=", dwlb)):
        if val is not None:
            where.append(f"{col} {op} ?")
            args.append(val)
    dims = _DIMS[group_by]
    keys = ["tjny", *dims]
    select = [*keys, *(f"NULL AS {d}" for d in ("xzqh", "dwlb") if d not in dims)]
    sql = (f"SELECT {', '.join(select)}, {', '.join(f'sum({m}) AS {m}' for m in _SUMS)}, "
           "round(sum(tqe)::DOUBLE / nullif(sum(jce), 0)::DOUBLE, 6) AS tql, "
           "round(sum(dkye)::DOUBLE / nullif(sum(jcye), 0)::DOUBLE, 6) AS gdl "
           f"FROM marts.indicator_monthly WHERE {' AND '.join(where)} "
           f"GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)}")
    cur = snapshot.duckdb()
    try:
        cur.execute(sql, args)
        names = [d[0] for d in cur.description]
        rows = [IndicatorRow(**dict(zip(names, r, strict=True))) for r in cur.fetchall()]
    finally:
        cur.close()
    return render(IndicatorResponse(group_by=group_by, items=rows), consumer, snapshot)
