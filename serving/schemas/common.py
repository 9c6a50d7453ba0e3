from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """错误响应 (error response)."""

    code: str = Field(description="错误代码 (error code): invalid_input, not_found, no_snapshot …")
    message: str = Field(description="中文 / English 错误说明 (message in both languages)")
    message_zh: str = Field(description="中文错误说明")
    message_en: str = Field(description="English message")
    errors: list[dict[str, str]] | None = Field(default=None, description="逐字段错误 (per-field errors)")


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "未找到 (not found)"},
    422: {"model": ErrorBody, "description": "参数无效 (invalid input)"},
    503: {"model": ErrorBody, "description": "尚未发布快照 (no snapshot published)"},
}


class Health(BaseModel):
    status: str = Field(description="服务状态 (service status)")
    snapshot_version: int = Field(description="当前快照版本号 (current snapshot version)")
    snapshot_created_at: str = Field(description="快照发布时间 UTC (snapshot publication time)")
