"""事中风控 screening: request and response bodies (Chinese field descriptions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

GRZH_PATTERN = r"^\d{12}$"


class WithdrawalApplication(BaseModel):
    """提取申请 (pending withdrawal application)."""

    model_config = ConfigDict(extra="forbid")
    grzh: str = Field(description="个人账号 (GRZH)，12位数字", pattern=GRZH_PATTERN)
    tqyy: str = Field(pattern=r"^(0[1-9]|99)$", description="提取原因 (A.0.7)：01购房 02建造 03离退休 04丧失劳动能力 05出境定居 06还贷 07租房 08死亡 99其他")
    tqje: Decimal = Field(gt=0, max_digits=18, decimal_places=2, description="提取金额（元）")
    sqrq: dt.date | None = Field(default=None, description="申请日期，默认数据业务日期")
    skzhhm: str | None = Field(default=None, max_length=40, description="收款账户号码")
    skzhmc: str | None = Field(default=None, max_length=100, description="收款账户名称")
    dbrzjhm: str | None = Field(default=None, max_length=18, description="代办人证件号码")
    dbrsjhm: str | None = Field(default=None, max_length=11, description="代办人手机号码")
    bdcdyh: str | None = Field(default=None, max_length=40, description="不动产单元号（购房提取）")
    bdcqzh: str | None = Field(default=None, max_length=60, description="不动产权证号")
    fwzl: str | None = Field(default=None, max_length=200, description="房屋坐落")
    fwzj: Decimal | None = Field(default=None, ge=0, description="房屋总价（元）")
    gfrq: dt.date | None = Field(default=None, description="购房日期")
    jkhtbh: str | None = Field(default=None, max_length=40, description="借款合同编号（还贷提取）")


class LoanApplication(BaseModel):
    """贷款申请 (pending loan application)."""

    model_config = ConfigDict(extra="forbid")
    jkrgjjzh: str = Field(description="借款人公积金账号，12位数字", pattern=GRZH_PATTERN)
    htdkje: Decimal = Field(gt=0, description="申请贷款金额（元）")
    dkqs: int = Field(gt=0, le=600, description="贷款期数（月）")
    jkhtll: Decimal = Field(gt=0, lt=1, description="合同利率（小数，如 0.026）")
    fwzj: Decimal = Field(gt=0, description="房屋总价（元）")
    gfsfk: Decimal = Field(ge=0, description="购房首付款（元）")
    fwjzmj: Decimal | None = Field(default=None, gt=0, description="建筑面积（㎡）")
    zfts: int = Field(default=1, ge=0, le=10, description="认定住房套数（含本次）")
    jtysr: Decimal | None = Field(default=None, ge=0, description="家庭月收入（元）")
    fwxz: str | None = Field(default=None, pattern=r"^0[12]$", description="房屋性质 01新房 02二手房")
    bdcdyh: str | None = Field(default=None, max_length=40, description="不动产单元号")
    sfrmc: str | None = Field(default=None, max_length=100, description="售房人名称")
    sqrq: dt.date | None = Field(default=None, description="申请日期")


class RemittancePerson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grzh: str = Field(description="个人账号", pattern=GRZH_PATTERN)
    fse: Decimal = Field(gt=0, description="该职工本月缴存额（元）")


class RemittanceBatch(BaseModel):
    """单位汇缴批次 (pending remittance batch)."""

    model_config = ConfigDict(extra="forbid")
    dwzh: str = Field(pattern=r"^\d{12}$", description="单位账号，12位数字")
    hbjny: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="汇补缴年月 YYYY-MM")
    fse: Decimal = Field(gt=0, description="批次金额（元）")
    jzrq: dt.date | None = Field(default=None, description="记账日期，默认数据业务日期")
    persons: list[RemittancePerson] = Field(min_length=1, max_length=20000, description="职工明细")


class AccountChange(BaseModel):
    """个人信息变更 (pending account change)."""

    model_config = ConfigDict(extra="forbid")
    grzh: str = Field(description="个人账号，12位数字", pattern=GRZH_PATTERN)
    xingming: str | None = Field(default=None, max_length=50, description="姓名")
    zjhm: str | None = Field(default=None, max_length=18, description="证件号码")
    sjhm: str | None = Field(default=None, max_length=20, description="手机号码")
    hyzk: str | None = Field(default=None, pattern=r"^\d{2}$", description="婚姻状况 (GB/T 2261.2)")
    jtzz: str | None = Field(default=None, max_length=200, description="家庭住址")


class ScreeningHit(BaseModel):
    rule_id: str = Field(description="规则编号")
    rule_name: str = Field(description="规则名称")
    severity: str = Field(description="风险等级 高/中/低")
    record_key: str = Field(description="命中记录键")
    evidence: dict[str, Any] = Field(description="证据字段")


class ScreeningDecision(BaseModel):
    kind: str = Field(description="业务类型 withdrawal/loan/remittance/account_change")
    decision: str = Field(description="处置 pass / enhanced_verification / manual_review / stop_payment")
    decision_zh: str = Field(description="处置：通过 / 增强身份验证 / 人工复核 / 止付")
    reasons: list[ScreeningHit] = Field(description="命中规则及证据")
    rules_evaluated: int = Field(description="评估的规则数")
    elapsed_ms: float = Field(description="评估耗时（毫秒）")
