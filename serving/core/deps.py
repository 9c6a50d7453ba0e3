"""Typed dependencies: routes read like their contract (who asks, on which snapshot).

``authenticate`` is applied to the whole /v1 router (serving/app.py), so every router added there is behind it
without doing anything: it resolves the API key (``X-API-Key`` header, or ``Authorization: Bearer <key>``) to a
consumer — 401 when missing, malformed, unknown, expired or revoked — checks the consumer's dataset scope against
the route (the first path segment under /v1 of the *route template*, so no parameter can change it) — 403 with the
reason — and the consumer's rate limit — 429. ``CurrentConsumer`` gives routes the authenticated consumer; outside
/v1 (health) it is the anonymous public consumer. Dependencies are ``async def`` so they run on the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from serving.core.access import Consumer, RateLimits, Registry
from serving.core.errors import ApiError
from serving.core.snapshot import Snapshot, SnapshotStore

ANONYMOUS = Consumer(id="anonymous", name="匿名", department="", role="public", scopes=(), rate_limit="0/second",
                     key_id="")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                        description="API key（gjj access issue 签发）/ API key issued with `gjj access issue`")


def _refuse(request: Request, status: int, code: str, reason: str) -> ApiError:
    request.state.refusal = reason
    zh, _, en = reason.partition(" / ")
    return ApiError(status, code, zh, en or zh)


def route_scope(request: Request) -> str:
    """The dataset scope of the matched route: /v1/<scope>/…"""
    route = request.scope.get("route")
    path = getattr(route, "path", "") or ""
    parts = path.removeprefix("/v1/").split("/")
    return parts[0] if parts and parts[0] else ""


async def authenticate(request: Request, api_key: Annotated[str | None, Security(_api_key)] = None) -> Consumer:
    presented = api_key
    if presented is None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            presented = auth[7:].strip()
    if not presented:
        raise _refuse(request, 401, "unauthenticated", "缺少 API key（X-API-Key 头）/ missing API key (X-API-Key header)")
    registry: Registry = request.app.state.registry
    result = registry.authenticate(presented)
    if isinstance(result, str):
        raise _refuse(request, 401, "unauthenticated", result)
    request.state.consumer = result
    scope = route_scope(request)
    if not result.may(scope):
        raise _refuse(request, 403, "forbidden",
                      f"调用方 {result.id} 未被授权访问数据范围 {scope}（已授权：{', '.join(result.scopes) or '无'}） / "
                      f"consumer {result.id} has no scope '{scope}' (granted: {', '.join(result.scopes) or 'none'})")
    limits: RateLimits = request.app.state.rate_limits
    ok, retry_after = limits.hit(result)
    if not ok:
        request.state.retry_after = retry_after
        raise _refuse(request, 429, "rate_limited",
                      f"超过调用频率限制 {result.rate_limit} / rate limit {result.rate_limit} exceeded")
    return result


async def get_consumer(request: Request) -> Consumer:
    consumer: Consumer = getattr(request.state, "consumer", ANONYMOUS)
    return consumer


async def get_store(request: Request) -> SnapshotStore:
    store: SnapshotStore = request.app.state.snapshots
    return store


async def get_snapshot(store: Annotated[SnapshotStore, Depends(get_store)]) -> Snapshot:
    return store.current()


CurrentConsumer = Annotated[Consumer, Depends(get_consumer)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
