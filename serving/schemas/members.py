from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

# JGJ/T 320-2014 A.0.6 个人账户状态
GRZHZT = {"01": "正常", "02": "封存", "03": "合并销户", "04": "外部转出销户", "05": "提取销户", "06": "冻结", "99": "其他"}
# JGJ/T 320-2014 A.0.5 业务类型 (subset the marts carry)
YWLX = {"01": "汇缴", "02": "补缴", "03": "结转", "04": "个人账户设立", "05": "个人账户封存", "06": "个人账户启封",
        "07": "外部转出", "08": "外部转入", "09": "结息", "10": "内部转移", "11": "部分提取", "12": "销户提取",
        "99": "其他"}


class MemberTransaction(BaseModel):
    """个人明细账 (one posting on a personal account)."""

    ywlsh: str = Field(description="业务流水号 (YWLSH)")
    jzrq: date = Field(description="记账日期 (JZRQ)")
    gjhtqywlx: str = Field(description="业务类型代码 (GJHTQYWLX, JGJ/T 320 A.0.5)")
    gjhtqywlx_mc: str | None = Field(description="业务类型名称")
    fse: Decimal = Field(description="发生额，元，提取为负 (FSE, signed)")
    fslxe: Decimal | None = Field(description="发生利息额，元 (FSLXE)")
    grzhye: Decimal | None = Field(description="记账后个人账户余额，元 (GRZHYE)")
    dwzh: str | None = Field(description="单位账号 (DWZH)")
    tqyy: str | None = Field(description="提取原因代码 (TQYY, A.0.7)")
    tqfs: str | None = Field(description="提取方式 (TQFS)")
    czbz: str | None = Field(description="冲账标识 (CZBZ)")
    hbjny: str | None = Field(description="汇补缴年月 YYYY-MM (HBJNY)")
    zhaiyao: str | None = Field(description="摘要 (ZHAIYAO)")


class MemberTransactionPage(BaseModel):
    """个人明细账分页 (a page of postings, newest first)."""

    grzh: str = Field(description="个人账号 (GRZH)")
    items: list[MemberTransaction] = Field(description="明细，按记账日期、流水号倒序 (newest first)")
    limit: int = Field(description="每页条数 (page size)")
    offset: int | None = Field(description="偏移量，使用游标分页时为空 (offset when paging by offset)")
    next_cursor: str | None = Field(description="下一页游标，无更多数据时为空 (cursor of the next page)")


class MemberSummary(BaseModel):
    """个人账户概要 (personal account profile and balances)."""

    grzh: str = Field(description="个人账号 (GRZH)")
    zjhm: str | None = Field(description="证件号码 (ZJHM)")
    xingming: str | None = Field(description="姓名 (XINGMING)")
    xingbie: str | None = Field(description="性别代码 GB/T 2261.1 (XINGBIE)")
    csny: date | None = Field(description="出生年月 (CSNY)")
    dwzh: str | None = Field(description="单位账号 (DWZH)")
    dwmc: str | None = Field(description="单位名称 (DWMC)")
    xzqh: str | None = Field(description="行政区划代码 (XZQH)")
    grzhzt: str | None = Field(description="个人账户状态代码 (GRZHZT, A.0.6)")
    grzhzt_mc: str | None = Field(description="个人账户状态名称")
    grjcjs: Decimal | None = Field(description="个人缴存基数，元 (GRJCJS)")
    dwjcbl: Decimal | None = Field(description="单位缴存比例 (DWJCBL)")
    grjcbl: Decimal | None = Field(description="个人缴存比例 (GRJCBL)")
    gryjce: Decimal | None = Field(description="个人月缴存额，元 (GRYJCE)")
    dwyjce: Decimal | None = Field(description="单位月缴存额，元 (DWYJCE)")
    grzhye: Decimal | None = Field(description="个人账户余额，元 (GRZHYE)")
    grzhsnjzye: Decimal | None = Field(description="个人账户上年结转余额，元 (GRZHSNJZYE)")
    grzhdngjye: Decimal | None = Field(description="个人账户当年归集余额，元 (GRZHDNGJYE)")
    khrq: date | None = Field(description="开户日期 (KHRQ)")
    xhrq: date | None = Field(description="销户日期 (XHRQ)")
    jzny: str | None = Field(description="缴至年月 YYYY-MM (JZNY)")
    dkye: Decimal | None = Field(description="贷款余额，元 (DKYE)")
    jybs: int = Field(description="明细账笔数 (number of postings)")
    zhjzrq: date | None = Field(description="最近记账日期 (latest posting date)")
    updated_at: str | None = Field(description="集市更新时间 (mart row updated at)")
