"""The access log's writer: one append-only row per request under /v1 — who, when, endpoint, parameters, purpose
(``X-Purpose``), status, rows returned, fields returned unmasked and masked — written before the response leaves.
A failed write turns the response into 503: no unlogged access."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from serving.core.access import Registry

log = logging.getLogger("serving")


def _fields(header: str | None) -> list[str]:
    return [f for f in (header or "").split(",") if f]


def _purpose(request: Request) -> str | None:
    """X-Purpose, percent-encoded when not ASCII (HTTP headers are Latin-1): 公积金核查 → %E5%85%AC…"""
    value = request.headers.get("x-purpose")
    return unquote(value)[:500] if value else None


def install_access_log(app: FastAPI) -> None:
    @app.middleware("http")
    async def access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not request.url.path.startswith("/v1/") and request.url.path != "/v1":
            return await call_next(request)
        response = await call_next(request)
        masked = dict(f.split("=", 1) for f in _fields(response.headers.get("x-masked-fields")))
        params: dict[str, object] = dict(request.query_params)
        params.update({f"path.{k}": v for k, v in request.scope.get("path_params", {}).items()})
        if "x-contract" in response.headers:  # data sharing: the contract (and version) the data left under
            params["contract"] = response.headers["x-contract"]
        registry: Registry = request.app.state.registry
        try:
            registry.log(consumer=getattr(request.state, "consumer", None), method=request.method,
                         endpoint=request.url.path, params=params, purpose=_purpose(request),
                         status=response.status_code,
                         rows=int(response.headers.get("x-rows-returned", "0")) if response.status_code < 400 else 0,
                         unmasked=_fields(response.headers.get("x-unmasked-fields")), masked=masked,
                         reason=getattr(request.state, "refusal", None))
        except Exception:
            log.exception("access log write failed; request refused")
            return JSONResponse({"code": "audit_log_unavailable", "message": "访问日志写入失败，请求被拒绝 / "
                                 "the access log could not be written; request refused",
                                 "message_zh": "访问日志写入失败，请求被拒绝",
                                 "message_en": "the access log could not be written; request refused"}, status_code=503)
        if response.status_code == 429 and getattr(request.state, "retry_after", None):
            response.headers["Retry-After"] = str(request.state.retry_after)
        return response
