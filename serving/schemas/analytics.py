"""Response schemas of the analytics endpoints: big screens, member profiles, forecasts and what-if."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Kpi(BaseModel):
    """大屏指标卡 (one KPI: the latest month of an indicator)."""

    code: str = Field(description="指标编码 (analytics/indicators.yaml)")
    name: str = Field(description="指标名称")
    unit: str = Field(description="单位：元、人、个、笔或 ratio (比率，0.85 即 85%)")
    month: str = Field(description="统计年月 YYYY-MM")
    value: float | None = Field(description="指标值")
    mom: float | None = Field(default=None, description="环比增长率 (month on month)，无基期时为空")
    yoy: float | None = Field(default=None, description="同比增长率 (year on year)，无基期时为空")


class Trend(BaseModel):
    """月度趋势 (one indicator as a monthly series)."""

    code: str = Field(description="指标编码")
    name: str = Field(description="指标名称")
    unit: str = Field(description="单位")
    months: list[str] = Field(description="统计年月")
    values: list[float | None] = Field(description="各月指标值")


class BreakdownItem(BaseModel):
    code: str = Field(description="分组代码 (行政区划或单位类别代码)")
    name: str = Field(description="分组名称")
    value: float = Field(description="数值")


class Breakdown(BaseModel):
    """分组构成 (a measure by district or unit type)."""

    name: str = Field(description="图表标题")
    column: str = Field(description="指标字段 (marts.indicator_monthly)")
    by: Literal["xzqh", "dwlb"] = Field(description="分组维度：xzqh 行政区划，dwlb 单位类别")
    items: list[BreakdownItem] = Field(description="按数值降序")


class SegmentItem(BaseModel):
    value: str = Field(description="标签值")
    label: str = Field(description="标签值名称")
    members: int = Field(description="人数")


class Segment(BaseModel):
    """画像分群 (members per value of one tag)."""

    tag: str = Field(description="标签编码 (analytics/profiles.yaml)")
    name: str = Field(description="标签名称")
    items: list[SegmentItem] = Field(description="各标签值人数")


class ForecastPoint(BaseModel):
    month: str = Field(description="预测年月 YYYY-MM")
    value: float = Field(description="预测值")
    lower: float = Field(description="95%预测区间下限")
    upper: float = Field(description="95%预测区间上限")


class ForecastSeries(BaseModel):
    """预测序列 (a 12-month forecast with its 95% interval)."""

    series: str = Field(description="序列：jce 缴存额, tqe 提取额, dkffe 贷款发放额, dkhse 回收本金, gdl 个贷率")
    name: str = Field(description="序列名称")
    model: str = Field(description="所选模型 (ets | sarima | 由流量推算 derived)")
    mape: float | None = Field(description="滚动回测平均绝对百分比误差 (MAPE)，推算序列为空")
    mase: float | None = Field(default=None, description="滚动回测平均绝对标度误差 (MASE，相对季节朴素预测，<1 优于去年同月)，推算序列为空")
    points: list[ForecastPoint] = Field(description="逐月预测")


class BigScreen(BaseModel):
    """一块大屏所需的全部数据 (everything one screen shows, in one response)."""

    theme: str = Field(description="主题编码 (leadership | reception | internal | mobile …)")
    title: str = Field(description="大屏标题")
    audience: str = Field(description="面向对象")
    snapshot_version: int = Field(description="数据快照版本")
    as_of: str = Field(description="数据截止年月 YYYY-MM")
    kpis: list[Kpi] = Field(description="指标卡")
    trends: list[Trend] = Field(description="月度趋势")
    breakdowns: list[Breakdown] = Field(description="分组构成")
    segments: list[Segment] = Field(description="画像分群")
    forecasts: list[ForecastSeries] = Field(description="未来12个月预测")


class ThemeList(BaseModel):
    themes: dict[str, str] = Field(description="主题编码 → 大屏标题")


class MemberTag(BaseModel):
    tag: str = Field(description="标签编码")
    name: str = Field(description="标签名称")
    category: str = Field(description="标签类别")
    value: str = Field(description="标签值")
    label: str = Field(description="标签值名称")


class MemberProfile(BaseModel):
    """个人画像 (one member's tags and the features they were computed from)."""

    grzh: str = Field(description="个人账号 (GRZH)")
    computed_at: str = Field(description="画像计算时间 UTC")
    tags: list[MemberTag] = Field(description="标签")
    features: dict[str, float | int | str | None] = Field(description="画像特征 (年龄、缴存月数、提取次数、贷款与逾期情况等)")


class WhatIfRequest(BaseModel):
    """政策情景 (a policy scenario); omitted fields keep today's policy."""

    deposit_base_cap: float | None = Field(default=None, gt=0, le=1_000_000, description="缴存基数上限，元/月")
    loan_cap: float | None = Field(default=None, gt=0, le=100_000_000, description="贷款最高额度，元")
    withdrawal_reason: Literal["all", "gf", "hd", "zf", "lt", "qt"] = Field(
        default="all", description="调整的提取类别：all 全部, gf 购房建房, hd 偿还贷款, zf 租房, lt 离退休, qt 其他")
    withdrawal_change: float = Field(default=0.0, ge=-1, le=10, description="该类提取额相对变化，如 0.2 即增加20%")


class WhatIfMonth(BaseModel):
    month: str = Field(description="预测年月")
    jcye: float = Field(description="情景下缴存余额，元")
    dkye: float = Field(description="情景下贷款余额，元")
    gdl: float = Field(description="情景下个贷率")
    zjye: float = Field(description="情景下可用资金，元")
    gdl_baseline: float = Field(description="基准情景个贷率")
    zjye_baseline: float = Field(description="基准情景可用资金，元")


class WhatIfResponse(BaseModel):
    """政策模拟结果 (projected liquidity under the scenario next to the baseline)."""

    deposit_factor: float = Field(description="缴存额调整系数")
    loan_factor: float = Field(description="贷款发放额调整系数")
    withdrawal_factor: float = Field(description="提取额调整系数")
    notes: list[str] = Field(description="情景说明")
    gdl_warn: float = Field(description="个贷率预警阈值 (政策参数 GDL_WARN)")
    months: list[WhatIfMonth] = Field(description="逐月预测")


class ForecastResponse(BaseModel):
    """资金预测 (the stored forecasts with their backtest MAPE)."""

    snapshot_version: int = Field(description="数据快照版本")
    series: list[ForecastSeries] = Field(description="各序列预测")
