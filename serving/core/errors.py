"""Errors as data: every failure leaves as ErrorBody with a Chinese and an English message.

Bad input → 422 naming the field and the rule; unknown id → 404; no snapshot → 503; the
catch-all keeps a bug from leaking a stack trace (logged, answered as a plain 500).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving.core.snapshot import NoSnapshot

log = logging.getLogger("serving")

# What each input must look like, in the caller's two languages.
FIELD_RULES: dict[str, tuple[str, str]] = {
    "grzh": ("个人账号(grzh)必须是12位数字", "grzh (personal account number) must be exactly 12 digits"),
    "dwzh": ("单位账号(dwzh)必须是12位数字", "dwzh (unit account number) must be exactly 12 digits"),
    "date_from": ("起始日期格式应为 YYYY-MM-DD 且为有效日期", "date_from must be a valid date YYYY-MM-DD"),
    "date_to": ("截止日期格式应为 YYYY-MM-DD 且为有效日期", "date_to must be a valid date YYYY-MM-DD"),
    "month_from": ("起始月份格式应为 YYYY-MM", "month_from must be a month YYYY-MM"),
    "month_to": ("截止月份格式应为 YYYY-MM", "month_to must be a month YYYY-MM"),
    "type": ("业务类型应为2位代码(JGJ/T 320 A.0.5)", "type must be a 2-digit business type code (JGJ/T 320 A.0.5)"),
    "limit": ("每页条数应为1到500之间的整数", "limit must be an integer between 1 and 500"),
    "offset": ("偏移量应为0到1000000之间的整数", "offset must be an integer between 0 and 1000000"),
    "cursor": ("分页游标无效", "cursor is not a valid page cursor"),
    "xzqh": ("行政区划代码应为6位数字", "xzqh must be a 6-digit administrative division code"),
    "dwlb": ("单位性质代码长度不超过32", "dwlb must be at most 32 characters"),
    "group_by": ("分组方式无效", "group_by is not one of the allowed groupings"),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.status, self.code, self.zh, self.en = status, code, zh, en


def not_found(what_zh: str, what_en: str, key: str) -> ApiError:
    return ApiError(404, "not_found", f"未找到{what_zh} {key}", f"{what_en} {key} not found")


def invalid(field: str, zh: str | None = None, en: str | None = None) -> ApiError:
    rule_zh, rule_en = FIELD_RULES.get(field, (f"参数 {field} 无效", f"parameter {field} is invalid"))
    return ApiError(422, "invalid_input", zh or rule_zh, en or rule_en)


def _body(code: str, zh: str, en: str, errors: list[dict[str, str]] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"code": code, "message": f"{zh} / {en}", "message_zh": zh, "message_en": en}
    if errors is not None:
        body["errors"] = errors
    return body


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.zh, exc.en), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            name = loc[-1] if loc else "request"
            zh, en = FIELD_RULES.get(name, (f"参数 {name} 无效", f"parameter {name} is invalid"))
            errors.append({"field": name, "in": loc[0] if loc else "", "message": f"{zh} / {en}"})
        first = errors[0]["message"] if errors else "请求参数无效 / invalid request"
        zh, sep, en = first.partition(" / ")
        return JSONResponse(_body("invalid_input", zh, en, errors), status_code=422)

    @app.exception_handler(NoSnapshot)
    async def _no_snapshot(_: Request, exc: NoSnapshot) -> JSONResponse:
        return JSONResponse(_body("no_snapshot", "尚未发布数据快照，服务暂不可用(请先运行 gjj publish)",
                                  "no data snapshot has been published yet (run `gjj publish`)"),
                            status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return JSONResponse(_body("not_found", "资源不存在", "resource not found"), status_code=404)
        if exc.status_code == 405:
            return JSONResponse(_body("method_not_allowed", "不支持该请求方法", "method not allowed"), status_code=405)
        return JSONResponse(_body("http_error", "请求失败", str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(_body("internal_error", "服务内部错误", "internal server error"), status_code=500)
