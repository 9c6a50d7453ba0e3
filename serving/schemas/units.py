from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class UnitSummary(BaseModel):
    """单位概要 (employer account profile)."""

    dwzh: str = Field(description="单位账号 (DWZH)")
    dwmc: str | None = Field(description="单位名称 (DWMC)")
    zzjgdm: str | None = Field(description="组织机构代码 (ZZJGDM)")
    dwjjlx: str | None = Field(description="单位经济类型 (DWJJLX)")
    dwsshy: str | None = Field(description="单位所属行业 (DWSSHY)")
    xzqh: str | None = Field(description="行政区划代码 (XZQH)")
    dwlb: str | None = Field(description="单位性质分类 (DWLB)")
    dwzhzt: str | None = Field(description="单位账户状态 (DWZHZT)")
    dwjcbl: Decimal | None = Field(description="单位缴存比例 (DWJCBL)")
    grjcbl: Decimal | None = Field(description="个人缴存比例 (GRJCBL)")
    dwjcrs: int | None = Field(description="单位缴存人数 (DWJCRS)")
    dwfcrs: int | None = Field(description="单位封存人数 (DWFCRS)")
    dwzhye: Decimal | None = Field(description="单位账户余额，元 (DWZHYE)")
    jzny: str | None = Field(description="缴至年月 YYYY-MM (JZNY)")
    dwkhrq: date | None = Field(description="单位开户日期 (DWKHRQ)")
    dwxhrq: date | None = Field(description="单位销户日期 (DWXHRQ)")
    jce_12m: Decimal | None = Field(description="近12个月缴存额，元 (deposits, last 12 months)")
