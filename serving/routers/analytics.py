"""数据应用 (analytics): big screens, member profiles, fund forecasts and policy what-if.

Everything here reads the analytics store built from the current snapshot (``gjj analytics build``:
``<root>/analytics/v<N>.duckdb``). Big-screen payloads are precomputed JSON, held in memory per snapshot
version and answered on the event loop; profile and what-if queries run on a cursor of the store's
read-only DuckDB connection in the thread pool.
"""

from __future__ import annotations

import threading
from pathlib import Path as FsPath
from typing import Annotated

import duckdb
from fastapi import APIRouter, Path, Request, Response

from analytics.forecast import SERIES, Scenario, policy_parameter, what_if
from serving.core.deps import CurrentConsumer, SnapshotDep
from serving.core.errors import ApiError, not_found
from serving.core.output import register_response_model, render
from serving.core.snapshot import Snapshot
from serving.schemas.analytics import (
    BigScreen,
    ForecastResponse,
    MemberProfile,
    MemberTag,
    ThemeList,
    WhatIfMonth,
    WhatIfRequest,
    WhatIfResponse,
)
from serving.schemas.common import ERROR_RESPONSES

router = APIRouter(tags=["analytics 数据应用"])

# City-level aggregates, forecasts and scenarios carry no personal data. MemberProfile stays unregistered:
# the masking layer treats it as sensitive (fail closed), so only roles entitled to sensitive data see it.
for _model in (BigScreen, ThemeList, ForecastResponse, WhatIfResponse):
    register_response_model(_model, None)

Grzh = Annotated[str, Path(pattern=r"^\d{12}$", description="个人账号 (GRZH)，12位数字", examples=["411200000001"])]
Theme = Annotated[str, Path(pattern=r"^[a-z_]{1,32}$", description="大屏主题编码", examples=["leadership"])]

_FEATURES = ("nl", "xingbie", "grzhzt", "grjcjs", "grzhye", "khnx", "jcys_12m", "jcys_6m", "tqcs_24m", "tqcs_zf_24m",
             "tqcs_gf_24m", "tqcs_hd_24m", "tqe_24m", "dkbs", "dkbs_zc", "dkye", "dqyqqs", "ljyqqs", "yqe", "dkxq_score",
             "dkxq_pct")


class AnalyticsStore:
    """The analytics store of one snapshot version: its read-only connection and big-screen bytes."""

    def __init__(self, path: FsPath) -> None:
        self.con = duckdb.connect(str(path), read_only=True)
        # DuckDB's first parameterised query imports pandas (≈ 3 s): pay that when the store opens, not on a lookup.
        self.con.execute("SELECT ?", [0]).fetchall()
        self.screens: dict[str, bytes] = {
            str(t): str(p).encode() for t, p in self.con.execute("SELECT theme, payload FROM bigscreen").fetchall()}
        self.titles = {t: BigScreen.model_validate_json(p).title for t, p in self.screens.items()}

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()


_stores: dict[tuple[str, int], AnalyticsStore] = {}
_lock = threading.Lock()


def _no_store(version: int) -> ApiError:
    return ApiError(503, "no_analytics", f"快照 v{version} 的分析数据尚未生成(请运行 gjj analytics build)",
                    f"analytics for snapshot v{version} not built yet (run `gjj analytics build`)")


def store_for(request: Request, snapshot: Snapshot) -> AnalyticsStore:
    root = request.app.state.config.snapshots_dir.parent
    key = (str(root), snapshot.version)
    store = _stores.get(key)
    if store is None:
        with _lock:
            store = _stores.get(key)
            if store is None:
                path = root / "analytics" / f"v{snapshot.version}.duckdb"
                if not path.is_file():
                    raise _no_store(snapshot.version)
                store = _stores[key] = AnalyticsStore(path)
                for old in [k for k in _stores if k[0] == key[0] and k[1] < snapshot.version]:
                    del _stores[old]  # the connection closes with its last user
    return store


@router.get("/bigscreen", operation_id="bigscreen_list_themes", response_model=ThemeList,
            responses=ERROR_RESPONSES, summary="大屏主题列表 (big-screen themes)")
async def list_themes(request: Request, snapshot: SnapshotDep, consumer: CurrentConsumer) -> Response:
    return render(ThemeList(themes=store_for(request, snapshot).titles), consumer, snapshot)


@router.get("/bigscreen/{theme}", operation_id="bigscreen_get", response_model=BigScreen, responses=ERROR_RESPONSES,
            summary="一块大屏的全部数据 (all numbers of one big screen, precomputed per snapshot)")
async def get_bigscreen(theme: Theme, request: Request, snapshot: SnapshotDep, consumer: CurrentConsumer) -> Response:
    body = store_for(request, snapshot).screens.get(theme)
    if body is None:
        raise not_found("大屏主题", "big-screen theme", theme)
    # Aggregates only, nothing personal: the precomputed bytes leave as they are.
    return Response(body, media_type="application/json", headers={"X-Snapshot-Version": str(snapshot.version)})


def _profile(grzh: str, request: Request, snapshot: Snapshot, consumer: CurrentConsumer) -> Response:
    cur = store_for(request, snapshot).cursor()
    try:
        row = cur.execute(f"SELECT {', '.join(_FEATURES)}, strftime(computed_at, '%Y-%m-%dT%H:%M:%S') "
                          "FROM member_profile WHERE grzh = ?", [grzh]).fetchone()
        if row is None:
            raise not_found("个人账号", "member", grzh)
        tags = cur.execute("SELECT tag, tag_name, category, value, label FROM member_tag WHERE grzh = ? ORDER BY tag",
                           [grzh]).fetchall()
    finally:
        cur.close()
    features = {k: (float(v) if isinstance(v, float) else v) for k, v in zip(_FEATURES, row[:-1], strict=True)}
    profile = MemberProfile(grzh=grzh, computed_at=row[-1], features=features,
                            tags=[MemberTag(tag=t[0], name=t[1], category=t[2], value=t[3], label=t[4]) for t in tags])
    return render(profile, consumer, snapshot)


@router.get("/profiles/{grzh}", operation_id="profiles_get", response_model=MemberProfile, responses=ERROR_RESPONSES,
            summary="个人画像与标签 (member profile and tags)")
def get_profile(grzh: Grzh, request: Request, snapshot: SnapshotDep, consumer: CurrentConsumer) -> Response:
    return _profile(grzh, request, snapshot, consumer)


@router.get("/members/{grzh}/profile", operation_id="members_get_profile", response_model=MemberProfile,
            responses=ERROR_RESPONSES, summary="个人画像与标签 (same as /profiles/{grzh})")
def get_member_profile(grzh: Grzh, request: Request, snapshot: SnapshotDep, consumer: CurrentConsumer) -> Response:
    return _profile(grzh, request, snapshot, consumer)


@router.get("/forecasts", operation_id="forecasts_list", response_model=ForecastResponse, responses=ERROR_RESPONSES,
            summary="资金预测：缴存、提取、发放、回收与个贷率未来12个月 (12-month fund forecasts)")
def list_forecasts(request: Request, snapshot: SnapshotDep, consumer: CurrentConsumer) -> Response:
    from analytics.bigscreen import forecast_series

    cur = store_for(request, snapshot).cursor()
    try:
        series = [forecast_series(cur, s) for s in (*SERIES, "gdl")]
    finally:
        cur.close()
    return render(ForecastResponse(snapshot_version=snapshot.version, series=series), consumer, snapshot)


@router.post("/forecasts/what-if", operation_id="forecasts_what_if", response_model=WhatIfResponse,
             responses=ERROR_RESPONSES, summary="政策模拟：调整缴存基数上限、贷款额度或提取政策对流动性的影响 (what-if)")
def post_what_if(scenario: WhatIfRequest, request: Request, snapshot: SnapshotDep,
                 consumer: CurrentConsumer) -> Response:
    cur = store_for(request, snapshot).cursor()
    try:
        factors, months = what_if(cur, Scenario(**scenario.model_dump()))
    finally:
        cur.close()
    body = WhatIfResponse(deposit_factor=factors.deposit, loan_factor=factors.loan, withdrawal_factor=factors.withdrawal,
                          notes=factors.notes, gdl_warn=policy_parameter("GDL_WARN"),
                          months=[WhatIfMonth(month=r["tjny"], **{k: v for k, v in r.items() if k != "tjny"})
                                  for r in months.iter_rows(named=True)])
    return render(body, consumer, snapshot)
