"""The serving API: ``create_app(settings)`` builds it; ``app`` is the instance uvicorn runs.

    uvicorn serving.app:app --workers 2        # or: gjj serve
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from gjj.settings import Settings, get_settings
from serving.core.access import RateLimits, Registry, registry_path
from serving.core.audit_log import install_access_log
from serving.core.config import ServingConfig
from serving.core.deps import authenticate
from serving.core.errors import install_error_handlers
from serving.core.perf import memoise_param_introspection
from serving.core.snapshot import SnapshotStore
from serving.routers import (
    access_log,
    analytics,
    health,
    indicators,
    members,
    risk_events,
    screening,
    shares,
    units,
)

DESCRIPTION = """住房公积金数据服务：只读访问当前发布的数据快照 (read-only over the current published snapshot).

/v1 下所有接口需 API key (`X-API-Key` 头，`gjj access issue` 签发)，按调用方角色脱敏，每次访问记入访问日志；
可用 `X-Purpose` 头说明使用目的。Every /v1 call needs an API key, is masked for the caller's role and is logged.

金额为十进制字符串，单位元 (amounts are decimal strings in yuan). 每个响应带 `X-Snapshot-Version` 头。"""


def create_app(settings: Settings | None = None, *, reload_interval_s: float = 1.0) -> FastAPI:
    memoise_param_introspection()
    settings = settings or get_settings()
    config = ServingConfig.from_settings(settings, reload_interval_s)
    app = FastAPI(title="住房公积金数据服务 API / Housing provident fund data API", version="1.0.0",
                  description=DESCRIPTION)
    app.state.config = config
    app.state.snapshots = SnapshotStore(config.snapshots_dir, config.reload_interval_s)
    app.state.registry = Registry(registry_path(settings))
    app.state.rate_limits = RateLimits()
    install_error_handlers(app)
    install_access_log(app)
    # Every router under /v1 is behind authentication, scope check and rate limit (serving/core/deps.py).
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)])
    for router in (members.router, units.router, indicators.router, access_log.router, shares.router,
                   analytics.router, screening.router, risk_events.router):
        v1.include_router(router)
    app.include_router(v1)
    app.include_router(health.router)
    return app


app = create_app()
