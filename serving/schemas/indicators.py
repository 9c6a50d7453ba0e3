from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field


class Grouping(StrEnum):
    """统计口径 (grouping of the monthly indicators)."""

    month = "month"
    month_xzqh = "month_xzqh"
    month_dwlb = "month_dwlb"
    month_xzqh_dwlb = "month_xzqh_dwlb"


class IndicatorRow(BaseModel):
    """月度业务指标 (monthly indicators at the requested grouping)."""

    tjny: str = Field(description="统计年月 YYYY-MM (TJNY)")
    xzqh: str | None = Field(description="行政区划代码，未按区划分组时为空 (XZQH)")
    dwlb: str | None = Field(description="单位性质分类，未按单位性质分组时为空 (DWLB)")
    sjdws: int = Field(description="实缴单位数 (SJDWS)")
    sjzgs: int = Field(description="实缴职工数 (SJZGS)")
    xkhzgs: int = Field(description="新开户职工数 (XKHZGS)")
    jce: Decimal = Field(description="缴存额，元 (JCE)")
    jcye: Decimal = Field(description="缴存余额，元 (JCYE)")
    tqrs: int = Field(description="提取人数 (TQRS)")
    tqe: Decimal = Field(description="提取额，元 (TQE)")
    tqe_gf: Decimal = Field(description="购房提取额，元")
    tqe_hd: Decimal = Field(description="还贷提取额，元")
    tqe_zf: Decimal = Field(description="租房提取额，元")
    tqe_lt: Decimal = Field(description="离退休提取额，元")
    tqe_qt: Decimal = Field(description="其他提取额，元")
    dkffbs: int = Field(description="贷款发放笔数 (DKFFBS)")
    dkffe: Decimal = Field(description="贷款发放额，元 (DKFFE)")
    dkhse: Decimal = Field(description="贷款回收额，元 (DKHSE)")
    dkye: Decimal = Field(description="贷款余额，元 (DKYE)")
    yqe: Decimal = Field(description="逾期额，元 (YQE)")
    tql: float | None = Field(description="提取率 = 提取额 / 缴存额，分母为0时为空 (withdrawal ratio tqe/jce)")
    gdl: float | None = Field(description="个贷率 = 贷款余额 / 缴存余额，分母为0时为空 (loan ratio dkye/jcye)")


class IndicatorResponse(BaseModel):
    """月度指标查询结果."""

    group_by: Grouping = Field(description="统计口径 (grouping)")
    items: list[IndicatorRow] = Field(description="按统计年月、区划、单位性质排序的指标行")
