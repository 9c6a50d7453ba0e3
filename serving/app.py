"""The serving API: ``create_app(settings)`` builds it; ``app`` is the instance uvicorn runs.

    uvicorn serving.app:app --workers 2        # or: gjj serve
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from gjj.settings import Settings, get_settings
from serving.core.config import ServingConfig
from serving.core.errors import install_error_handlers
from serving.core.perf import memoise_param_introspection
from serving.core.snapshot import SnapshotStore
from serving.routers import health, indicators, members, risk_events, screening, units

DESCRIPTION = """住房公积金数据服务：只读访问当前发布的数据快照 (read-only over the current published snapshot).

金额为十进制字符串，单位元 (amounts are decimal strings in yuan). 每个响应带 `X-Snapshot-Version` 头。"""


def create_app(settings: Settings | None = None, *, reload_interval_s: float = 1.0) -> FastAPI:
    memoise_param_introspection()
    config = ServingConfig.from_settings(settings or get_settings(), reload_interval_s)
    app = FastAPI(title="住房公积金数据服务 API / Housing provident fund data API", version="1.0.0",
                  description=DESCRIPTION)
    app.state.config = config
    app.state.snapshots = SnapshotStore(config.snapshots_dir, config.reload_interval_s)
    install_error_handlers(app)
    v1 = APIRouter(prefix="/v1")
    for router in (members.router, units.router, indicators.router, screening.router, risk_events.router):
        v1.include_router(router)
    app.include_router(v1)
    app.include_router(health.router)
    return app


app = create_app()
