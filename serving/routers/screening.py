"""事中风控 (real-time screening): a pending transaction → graded intervention with reasons (issue #6).

The same rule definitions as the batch audit (audit/rules/*.yaml), evaluated by audit.screening.Screener
over the current published snapshot and the audit's reference tables.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError

from serving.core.deps import CurrentConsumer
from serving.core.errors import ApiError
from serving.core.output import BY_NAME, register_response_model, render
from serving.schemas.common import ERROR_RESPONSES
from serving.schemas.screening import (
    AccountChange,
    LoanApplication,
    RemittanceBatch,
    ScreeningDecision,
    ScreeningHit,
    WithdrawalApplication,
)

router = APIRouter(prefix="/screening", tags=["screening 事中风控"])
# The decision is masked per role (issue #5): a hit's evidence fields like the marts' columns of the same name,
# record_key and unknown evidence fields fail closed.
register_response_model(ScreeningDecision, None)
register_response_model(ScreeningHit, BY_NAME, no_data=("rule_id", "rule_name", "severity"))


class Kind(StrEnum):
    withdrawal = "withdrawal"
    loan = "loan"
    remittance = "remittance"
    account_change = "account_change"


MODELS: dict[str, type[BaseModel]] = {"withdrawal": WithdrawalApplication, "loan": LoanApplication,
                                      "remittance": RemittanceBatch, "account_change": AccountChange}
_lock = threading.Lock()


def _screener(request: Request) -> Any:
    """One Screener per app and snapshot version (rebuilt when a new snapshot is published)."""
    from audit.screening import Screener

    snapshot = request.app.state.snapshots.current()
    state = request.app.state
    with _lock:
        cached = getattr(state, "screener", None)
        if cached is None or cached[0] != snapshot.version:
            store = state.config.snapshots_dir.parent / "audit" / "screening.sqlite"  # = screening_store_path()
            if not store.exists():
                raise ApiError(503, "no_screening_store", "稽核参照数据尚未生成(请先运行 gjj audit run)",
                               "the audit reference store is missing (run `gjj audit run`)")
            if cached is not None:
                cached[1].close()
            cached = (snapshot.version, Screener(store, snapshot.path / "serving.sqlite"))
            state.screener = cached
        return cached[1]


@router.post("/{kind}", operation_id="screening_screen", response_model=ScreeningDecision,
             responses=ERROR_RESPONSES, summary="事中风险筛查 (screen a pending transaction)")
async def screen(
    kind: Annotated[Kind, Path(description="业务类型 withdrawal 提取 / loan 贷款 / remittance 汇缴 / account_change 信息变更")],
    request: Request,
    consumer: CurrentConsumer,
    body: Annotated[dict[str, Any], Body(description="待办业务（字段见各业务类型的模型）")],
) -> Response:
    from audit.screening import ScreeningError

    try:
        payload = MODELS[kind.value].model_validate(body)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise ApiError(422, "invalid_input", f"字段 {field} 无效：{err['msg']}", f"field {field} is invalid: {err['msg']}") from e
    screener = _screener(request)
    try:
        decision = await run_in_threadpool(screener.screen, kind.value, payload.model_dump(mode="python"))
    except ScreeningError as e:
        raise ApiError(422, "invalid_input", f"字段 {e.field}：{e.zh}", f"field {e.field}: {e.en}") from e
    return render(ScreeningDecision(
        kind=decision.kind, decision=decision.decision, decision_zh=decision.decision_zh,
        reasons=[ScreeningHit(**h.__dict__) for h in decision.hits], rules_evaluated=decision.rules_evaluated,
        elapsed_ms=round(decision.elapsed_ms, 2),
    ), consumer, request.app.state.snapshots.current())
