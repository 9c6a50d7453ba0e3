"""个人账户 (members): transaction history and account summary, point lookups on serving.sqlite.

Handlers are ``async def`` on purpose: an indexed SQLite lookup takes ~0.05 ms, less than the hop
to the thread pool a ``def`` handler would cost (ADR 0004).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from serving.core.deps import CurrentConsumer, SnapshotDep
from serving.core.errors import invalid, not_found
from serving.core.output import render
from serving.schemas.common import ERROR_RESPONSES
from serving.schemas.members import GRZHZT, YWLX, MemberSummary, MemberTransaction, MemberTransactionPage

router = APIRouter(prefix="/members", tags=["members 个人账户"])

Grzh = Annotated[str, Path(pattern=r"^\d{12}$", description="个人账号 (GRZH)，12位数字", examples=["411200000001"])]

_TXN_COLS = ("ywlsh", "jzrq", "gjhtqywlx", "fse", "fslxe", "grzhye", "dwzh", "tqyy", "tqfs", "czbz", "hbjny", "zhaiyao")
_MEMBER_COLS = ("grzh", "zjhm", "xingming", "xingbie", "csny", "dwzh", "dwmc", "xzqh", "grzhzt", "grjcjs", "dwjcbl",
                "grjcbl", "gryjce", "dwyjce", "grzhye", "grzhsnjzye", "grzhdngjye", "khrq", "xhrq", "jzny", "dkye",
                "updated_at")
_SELECT_MEMBER = f"SELECT {', '.join(_MEMBER_COLS)} FROM member_account WHERE grzh = ?"
_EXISTS_MEMBER = "SELECT 1 FROM member_account WHERE grzh = ?"
_TXN_STATS = "SELECT count(*), max(jzrq) FROM member_transaction WHERE grzh = ?"


def _encode_cursor(jzrq: str, ywlsh: str) -> str:
    return base64.urlsafe_b64encode(f"{jzrq}|{ywlsh}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        jzrq, ywlsh = raw.split("|", 1)
        date.fromisoformat(jzrq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("cursor") from None
    if not ywlsh or len(ywlsh) > 64:
        raise invalid("cursor")
    return jzrq, ywlsh


@router.get("/{grzh}/transactions", operation_id="members_list_transactions", response_model=MemberTransactionPage,
            responses=ERROR_RESPONSES, summary="个人明细账 (member transaction history)")
async def list_transactions(
    grzh: Grzh,
    snapshot: SnapshotDep,
    consumer: CurrentConsumer,
    limit: Annotated[int, Query(ge=1, le=500, description="每页条数，1–500")] = 20,
    offset: Annotated[int | None, Query(ge=0, le=1_000_000, description="偏移量 (与 cursor 二选一)")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="上一页返回的 next_cursor")] = None,
    date_from: Annotated[date | None, Query(description="记账日期起 YYYY-MM-DD (含)")] = None,
    date_to: Annotated[date | None, Query(description="记账日期止 YYYY-MM-DD (含)")] = None,
    ywlx: Annotated[str | None, Query(alias="type", pattern=r"^\d{2}$", description="业务类型代码 A.0.5，如 01 汇缴")] = None,
) -> Response:
    if cursor is not None and offset is not None:
        raise invalid("cursor", "cursor 与 offset 不能同时使用", "use either cursor or offset, not both")
    if date_from and date_to and date_from > date_to:
        raise invalid("date_from", "起始日期不能晚于截止日期", "date_from must not be after date_to")
    con = snapshot.sqlite()
    where, args = ["grzh = ?"], [grzh]
    if date_from:
        where.append("jzrq >= ?")
        args.append(date_from.isoformat())
    if date_to:
        where.append("jzrq <= ?")
        args.append(date_to.isoformat())
    if ywlx:
        where.append("gjhtqywlx = ?")
        args.append(ywlx)
    if cursor is not None:
        where.append("(jzrq, ywlsh) < (?, ?)")
        args.extend(_decode_cursor(cursor))
    sql = (f"SELECT {', '.join(_TXN_COLS)} FROM member_transaction WHERE {' AND '.join(where)} "
           f"ORDER BY jzrq DESC, ywlsh DESC LIMIT ? OFFSET ?")
    rows = con.execute(sql, (*args, limit + 1, offset or 0)).fetchall()
    if not rows and con.execute(_EXISTS_MEMBER, (grzh,)).fetchone() is None:
        raise not_found("个人账号", "member account", grzh)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [MemberTransaction(**dict(zip(_TXN_COLS, r, strict=True)), gjhtqywlx_mc=YWLX.get(r[2])) for r in rows]
    next_cursor = _encode_cursor(rows[-1][1], rows[-1][0]) if more and rows else None
    page = MemberTransactionPage(grzh=grzh, items=items, limit=limit, offset=offset, next_cursor=next_cursor)
    return render(page, consumer, snapshot)


@router.get("/{grzh}/summary", operation_id="members_get_summary", response_model=MemberSummary,
            responses=ERROR_RESPONSES, summary="个人账户概要 (member account summary)")
async def get_summary(grzh: Grzh, snapshot: SnapshotDep, consumer: CurrentConsumer) -> Response:
    con = snapshot.sqlite()
    row = con.execute(_SELECT_MEMBER, (grzh,)).fetchone()
    if row is None:
        raise not_found("个人账号", "member account", grzh)
    n, last = con.execute(_TXN_STATS, (grzh,)).fetchone()
    fields = dict(zip(_MEMBER_COLS, row, strict=True))
    summary = MemberSummary(**fields, grzhzt_mc=GRZHZT.get(fields["grzhzt"]), jybs=n, zhjzrq=last)
    return render(summary, consumer, snapshot)
