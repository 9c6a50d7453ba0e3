"""Schema of the simulated core business system (核心业务系统).

A vendor-style schema of its own: table families CM (customers), DP (deposits), DW (withdrawals),
LN (loans), FD (funds), FN (finance), PB (public); local code values; dates stored the way the
vendor stores them (CHAR(8) ``YYYYMMDD``, months CHAR(6) ``YYYYMM``, change stamps CHAR(14)
``YYYYMMDDHHMMSS``). Mapping to JGJ/T 320 names and code tables is the dbt layer's job.

Every table carries ``upd_tm``, the vendor's last-change stamp, which incremental extraction
uses as its watermark. Small reference tables are extracted as full snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import CHAR, Column, Integer, MetaData, Numeric, String, Table

metadata = MetaData()

AMT = Numeric(16, 2)
RATE = Numeric(10, 6)


def _date(name: str, comment: str, nullable: bool = True) -> Column:
    return Column(name, CHAR(8), nullable=nullable, comment=comment)


def _stamp() -> Column:
    return Column("upd_tm", CHAR(14), nullable=False, comment="最后修改时间 YYYYMMDDHHMMSS")


def _t(name: str, comment: str, *cols: Column) -> Table:
    return Table(name, metadata, *cols, _stamp(), comment=comment)


# ---------------------------------------------------------------- PB public / reference
sys_ctl = _t(
    "sys_ctl", "系统控制参数",
    Column("ctl_key", String(32), primary_key=True, comment="参数键"),
    Column("ctl_val", String(64), nullable=False, comment="参数值"),
)
pb_bank = _t(
    "pb_bank", "受托银行",
    Column("bank_cd", CHAR(3), primary_key=True, comment="银行代码"),
    Column("bank_nm", String(60), nullable=False, comment="银行名称"),
)
pb_param = _t(
    "pb_param", "政策参数(有效期)",
    Column("param_id", Integer, primary_key=True, comment="参数序号"),
    Column("param_cd", String(24), nullable=False, comment="参数代码"),
    Column("param_nm", String(60), nullable=False, comment="参数名称"),
    Column("param_val", Numeric(18, 6), nullable=False, comment="参数值"),
    _date("eff_dt", "生效日期", nullable=False),
    _date("exp_dt", "失效日期"),
)
pb_ban_list = _t(
    "pb_ban_list", "禁提禁贷名单",
    Column("ban_id", Integer, primary_key=True, comment="序号"),
    Column("cert_no", String(18), nullable=False, comment="证件号码"),
    Column("ban_kind", CHAR(1), nullable=False, comment="禁止类型 T提取 D贷款 A全部"),
    _date("start_dt", "开始日期", nullable=False),
    _date("end_dt", "结束日期", nullable=False),
    Column("reason", String(100), comment="原因"),
)

# ---------------------------------------------------------------- CM customers
cm_unit = _t(
    "cm_unit", "单位基本资料",
    Column("unit_no", CHAR(12), primary_key=True, comment="单位编号"),
    Column("unit_nm", String(100), comment="单位名称"),
    Column("uscc", String(18), comment="统一社会信用代码"),
    Column("econ_kind", String(3), comment="经济类型(本地码)"),
    Column("unit_kind", String(2), comment="单位性质(本地码)"),
    Column("industry", String(5), comment="所属行业"),
    Column("area_cd", String(2), comment="所在区县(本地码)"),
    Column("subord", String(2), comment="隶属关系(本地码)"),
    Column("addr", String(120), comment="单位地址"),
    Column("post_cd", CHAR(6), comment="邮编"),
    Column("email", String(60), comment="电子信箱"),
    Column("legal_nm", String(40), comment="法人代表姓名"),
    Column("legal_cert_no", String(18), comment="法人代表证件号码"),
    _date("found_dt", "设立日期"),
    Column("sal_day", Integer, comment="发薪日"),
    Column("agent_nm", String(40), comment="经办人姓名"),
    Column("agent_mobile", String(11), comment="经办人手机"),
    Column("agent_cert_no", String(18), comment="经办人证件号码"),
    Column("bank_cd", CHAR(3), comment="受托银行代码"),
)
cm_person = _t(
    "cm_person", "个人基本资料",
    Column("cust_no", CHAR(10), primary_key=True, comment="客户号"),
    Column("cust_nm", String(40), comment="姓名"),
    Column("name_py", String(60), comment="姓名全拼"),
    Column("sex", CHAR(1), comment="性别 M男 F女 U未知"),
    Column("cert_type", CHAR(1), comment="证件类型 A身份证 B军官证 C护照 D外国人永居证 Z其他"),
    Column("cert_no", String(18), comment="证件号码"),
    _date("birth_dt", "出生日期"),
    Column("marital", String(2), comment="婚姻状况(本地码)"),
    Column("mobile", String(11), comment="手机号码"),
    Column("tel", String(16), comment="固定电话"),
    Column("home_addr", String(120), comment="家庭住址"),
    Column("edu", String(2), comment="学历(本地码)"),
    Column("fam_income", AMT, comment="家庭月收入"),
)

# ---------------------------------------------------------------- DP deposits
dp_unit_acct = _t(
    "dp_unit_acct", "单位分户账",
    Column("unit_no", CHAR(12), primary_key=True, comment="单位编号"),
    Column("acct_st", CHAR(1), nullable=False, comment="账户状态 N正常 K开户 H缓缴 X销户 F封存"),
    Column("unit_prop", Numeric(5, 4), comment="单位缴存比例"),
    Column("indi_prop", Numeric(5, 4), comment="个人缴存比例"),
    Column("pay_cnt", Integer, comment="缴存人数"),
    Column("seal_cnt", Integer, comment="封存人数"),
    Column("bal", AMT, comment="单位账户余额"),
    Column("paid_to_ym", CHAR(6), comment="缴至年月"),
    _date("open_dt", "开户日期"),
    _date("close_dt", "销户日期"),
    Column("close_rsn", CHAR(1), comment="销户原因(本地码)"),
    _date("defer_end_dt", "缓缴截止日期"),
)
dp_indi_acct = _t(
    "dp_indi_acct", "个人分户账",
    Column("indi_acct", CHAR(12), primary_key=True, comment="个人账号"),
    Column("cust_no", CHAR(10), nullable=False, comment="客户号"),
    Column("unit_no", CHAR(12), comment="单位编号"),
    Column("base_amt", AMT, comment="缴存基数"),
    Column("unit_prop", Numeric(5, 4), comment="单位缴存比例"),
    Column("indi_prop", Numeric(5, 4), comment="个人缴存比例"),
    Column("unit_pay", AMT, comment="单位月缴存额"),
    Column("indi_pay", AMT, comment="个人月缴存额"),
    Column("bal", AMT, comment="账户余额"),
    Column("prev_bal", AMT, comment="上年结转余额"),
    Column("cur_bal", AMT, comment="当年归集余额"),
    Column("acct_st", CHAR(1), nullable=False, comment="账户状态 0正常 1封存 2合并销户 3外部转出销户 4提取销户 5冻结"),
    Column("frz_flag", CHAR(1), comment="冻结标志 0无 1只收不付 2不收不付"),
    _date("open_dt", "开户日期"),
    _date("close_dt", "销户日期"),
    Column("close_rsn", String(4), comment="销户原因(提取原因码)"),
    Column("last_pay_ym", CHAR(6), comment="最后缴存年月"),
    Column("card_no", String(19), comment="个人银行卡号"),
    Column("card_bank_cd", CHAR(3), comment="银行卡开户行代码"),
)
dp_state_log = _t(
    "dp_state_log", "个人账户状态变更登记簿",
    Column("log_no", CHAR(14), primary_key=True, comment="登记流水号"),
    Column("indi_acct", CHAR(12), nullable=False, comment="个人账号"),
    Column("old_st", CHAR(1), comment="原状态"),
    Column("new_st", CHAR(1), nullable=False, comment="新状态"),
    _date("chg_dt", "变更日期", nullable=False),
    Column("chg_rsn", String(2), comment="变更原因 KH开户 FC封存 QF启封 ZC转出 XH销户 DJ冻结 JD解冻"),
)
dp_unit_txn = _t(
    "dp_unit_txn", "单位明细账(汇补缴批次)",
    Column("txn_no", CHAR(16), primary_key=True, comment="业务流水号"),
    Column("unit_no", CHAR(12), nullable=False, comment="单位编号"),
    Column("txn_type", CHAR(2), nullable=False, comment="业务类型 HJ汇缴 BJ补缴"),
    Column("pay_ym", CHAR(6), nullable=False, comment="汇补缴年月"),
    _date("acct_dt", "记账日期", nullable=False),
    Column("amt", AMT, nullable=False, comment="发生额"),
    Column("head_cnt", Integer, nullable=False, comment="发生人数"),
    Column("rev_flag", CHAR(1), nullable=False, comment="冲账标志 0正常 1冲账"),
)
dp_indi_txn = _t(
    "dp_indi_txn", "个人明细账",
    Column("txn_no", CHAR(16), primary_key=True, comment="明细流水号"),
    Column("indi_acct", CHAR(12), nullable=False, comment="个人账号"),
    Column("unit_no", CHAR(12), comment="单位编号"),
    Column("batch_no", CHAR(16), comment="单位业务流水号"),
    Column("txn_type", CHAR(2), nullable=False,
           comment="业务类型 HJ汇缴 BJ补缴 JX结息 ZR转入 ZC转出 BT部分提取 XT销户提取"),
    Column("dc", CHAR(1), nullable=False, comment="借贷 C贷(增加) D借(减少)"),
    _date("acct_dt", "记账日期", nullable=False),
    Column("amt", AMT, nullable=False, comment="发生额"),
    Column("int_amt", AMT, comment="发生利息额"),
    Column("bal", AMT, comment="交易后余额"),
    Column("pay_ym", CHAR(6), comment="汇补缴年月"),
    Column("draw_no", CHAR(14), comment="提取申请号"),
    Column("rev_flag", CHAR(1), nullable=False, comment="冲账标志 0正常 1冲账"),
    Column("orig_txn_no", CHAR(16), comment="原明细流水号(冲账)"),
    Column("remark", String(100), comment="摘要"),
)

# ---------------------------------------------------------------- DW withdrawals
dw_draw = _t(
    "dw_draw", "提取审核登记表",
    Column("draw_no", CHAR(14), primary_key=True, comment="提取申请号"),
    Column("indi_acct", CHAR(12), nullable=False, comment="个人账号"),
    Column("draw_rsn", CHAR(4), nullable=False, comment="提取原因(本地四位码)"),
    Column("draw_mode", CHAR(1), comment="提取方式 1现金 2转账"),
    _date("apply_dt", "申请日期", nullable=False),
    _date("appr_dt", "审批日期"),
    Column("draw_amt", AMT, nullable=False, comment="提取金额"),
    Column("bal_before", AMT, comment="提取前余额"),
    Column("payee_acct", String(19), comment="收款账号"),
    Column("payee_nm", String(60), comment="收款人"),
    Column("agent_cert_no", String(18), comment="代办人证件号码"),
    Column("agent_mobile", String(11), comment="代办人手机"),
    Column("prop_cert_no", String(40), comment="不动产权证号"),
    Column("prop_unit_no", String(28), comment="不动产单元号"),
    Column("house_addr", String(120), comment="房屋坐落"),
    Column("house_price", AMT, comment="房屋总价"),
    _date("buy_dt", "购房日期"),
    Column("contract_no", CHAR(14), comment="贷款合同号(还贷提取)"),
    Column("channel", CHAR(2), comment="渠道 GT柜台 WT网厅 SJ手机 WX微信"),
    Column("status", CHAR(1), nullable=False, comment="状态 1已支付 2已驳回 3已撤销"),
)

# ---------------------------------------------------------------- LN loans
ln_contract = _t(
    "ln_contract", "贷款合同信息",
    Column("contract_no", CHAR(14), primary_key=True, comment="借款合同号"),
    Column("indi_acct", CHAR(12), comment="借款人个人账号"),
    Column("borrower_nm", String(40), comment="借款人姓名"),
    Column("borrower_cert_no", String(18), comment="借款人证件号码"),
    _date("apply_dt", "申请日期"),
    _date("appr_dt", "审批日期"),
    _date("sign_dt", "签订日期"),
    Column("loan_amt", AMT, comment="合同金额"),
    Column("term_mon", Integer, comment="贷款期数(月)"),
    Column("rate", RATE, comment="合同年利率"),
    Column("repay_mode", CHAR(1), comment="还款方式 1等额本息 2等额本金"),
    Column("guar_mode", String(2), comment="担保方式 DY抵押 ZY质押 BZ保证"),
    Column("loan_kind", String(2), comment="贷款种类 GJ公积金 ZH组合"),
    Column("house_kind", String(2), comment="房屋类型 XF新房 ES二手房"),
    Column("house_addr", String(120), comment="房屋坐落"),
    Column("house_area", Numeric(8, 2), comment="建筑面积"),
    Column("house_price", AMT, comment="房屋总价"),
    Column("down_pay", AMT, comment="首付款"),
    Column("prop_unit_no", String(28), comment="不动产单元号"),
    Column("seller_nm", String(60), comment="售房人"),
    Column("seller_acct", String(19), comment="售房人账号"),
    Column("bank_cd", CHAR(3), comment="受托银行"),
    Column("fam_income", AMT, comment="家庭月收入"),
    Column("home_cnt", Integer, comment="认定住房套数"),
    Column("repay_day", Integer, comment="约定还款日"),
)
ln_coborrower = _t(
    "ln_coborrower", "共同借款人",
    Column("cobr_no", CHAR(16), primary_key=True, comment="序号"),
    Column("contract_no", CHAR(14), nullable=False, comment="借款合同号"),
    Column("cust_nm", String(40), comment="姓名"),
    Column("cert_no", String(18), comment="证件号码"),
    Column("relation", CHAR(1), comment="参贷关系 1配偶 2子女 3父母 9其他"),
    Column("indi_acct", CHAR(12), comment="公积金账号"),
    Column("income", AMT, comment="月收入"),
)
ln_mortgage = _t(
    "ln_mortgage", "抵押物信息",
    Column("mort_no", CHAR(14), primary_key=True, comment="抵押编号"),
    Column("contract_no", CHAR(14), nullable=False, comment="借款合同号"),
    Column("prop_cert_no", String(40), comment="不动产权证号"),
    Column("other_right_no", String(40), comment="不动产登记证明号(他项权)"),
    Column("prop_unit_no", String(28), comment="不动产单元号"),
    Column("house_addr", String(120), comment="抵押物坐落"),
    Column("eval_amt", AMT, comment="评估价值"),
    _date("reg_dt", "抵押登记日期"),
    _date("release_dt", "抵押注销日期"),
)
ln_account = _t(
    "ln_account", "贷款分户账",
    Column("loan_acct", CHAR(14), primary_key=True, comment="贷款账号"),
    Column("contract_no", CHAR(14), nullable=False, comment="借款合同号"),
    Column("issue_amt", AMT, comment="发放金额"),
    _date("issue_dt", "发放日期"),
    Column("bal", AMT, comment="贷款余额"),
    Column("rate", RATE, comment="执行利率"),
    Column("term_mon", Integer, comment="期数"),
    Column("risk_cls", CHAR(1), comment="五级分类 1正常 2关注 3次级 4可疑 5损失"),
    Column("loan_st", CHAR(1), comment="贷款状态 1正常 2逾期 3结清 4核销"),
    _date("settle_dt", "结清日期"),
    Column("prin_paid", AMT, comment="回收本金总额"),
    Column("int_paid", AMT, comment="回收利息总额"),
    Column("pen_paid", AMT, comment="罚息总额"),
    Column("prepay_prin", AMT, comment="提前归还本金总额"),
    Column("ovd_prin", AMT, comment="逾期本金总额"),
    Column("ovd_int", AMT, comment="逾期利息总额"),
    Column("ovd_terms", Integer, comment="累计逾期期数"),
)
ln_plan = _t(
    "ln_plan", "分期还款计划",
    Column("loan_acct", CHAR(14), primary_key=True, comment="贷款账号"),
    Column("term_no", Integer, primary_key=True, comment="期次"),
    _date("due_dt", "应还日期", nullable=False),
    Column("plan_amt", AMT, comment="计划还款额"),
    Column("plan_prin", AMT, comment="计划本金"),
    Column("plan_int", AMT, comment="计划利息"),
    Column("plan_st", CHAR(1), comment="状态 0未到期 1已还 2逾期"),
)
ln_txn = _t(
    "ln_txn", "贷款明细账",
    Column("txn_no", CHAR(16), primary_key=True, comment="业务流水号"),
    Column("loan_acct", CHAR(14), nullable=False, comment="贷款账号"),
    Column("txn_type", CHAR(2), nullable=False,
           comment="业务类型 01发放 02正常还款 03提前还款 04逾期还款 05公积金冲还贷 06结清"),
    _date("txn_dt", "发生日期", nullable=False),
    Column("amt", AMT, nullable=False, comment="发生额"),
    Column("prin_amt", AMT, comment="本金"),
    Column("int_amt", AMT, comment="利息"),
    Column("pen_amt", AMT, comment="罚息"),
    Column("term_no", Integer, comment="期次"),
    Column("rev_flag", CHAR(1), nullable=False, comment="冲账标志 0正常 1冲账"),
)
ln_overdue = _t(
    "ln_overdue", "逾期登记簿",
    Column("ovd_id", CHAR(18), primary_key=True, comment="登记号"),
    Column("loan_acct", CHAR(14), nullable=False, comment="贷款账号"),
    Column("term_no", Integer, nullable=False, comment="逾期期次"),
    _date("due_dt", "应还日期", nullable=False),
    Column("ovd_prin", AMT, comment="逾期本金"),
    Column("ovd_int", AMT, comment="逾期利息"),
    Column("ovd_pen", AMT, comment="逾期罚息"),
    _date("paid_dt", "实收日期"),
)

# ---------------------------------------------------------------- FD funds / FN finance
fd_bank_acct = _t(
    "fd_bank_acct", "银行专户",
    Column("bank_acct", String(19), primary_key=True, comment="专户账号"),
    Column("acct_nm", String(60), comment="专户名称"),
    Column("bank_cd", CHAR(3), comment="银行代码"),
    Column("subj_cd", String(8), comment="对应科目"),
    Column("nature", CHAR(1), comment="专户性质 1归集 2贷款 3增值收益 4其他"),
    _date("open_dt", "开户日期"),
    _date("close_dt", "销户日期"),
)
fd_settle = _t(
    "fd_settle", "银行结算流水",
    Column("settle_no", CHAR(18), primary_key=True, comment="银行结算流水号"),
    Column("bank_acct", String(19), nullable=False, comment="专户账号"),
    _date("settle_dt", "结算日期", nullable=False),
    Column("biz_type", String(2), comment="资金业务类型 HJ归集 TQ提取 FK放款 HK回收 LX利息"),
    Column("dc", CHAR(1), nullable=False, comment="收付 C收 D付"),
    Column("amt", AMT, nullable=False, comment="金额"),
    Column("biz_no", CHAR(16), comment="业务流水号"),
    Column("cp_acct", String(19), comment="对方账号"),
    Column("cp_nm", String(60), comment="对方户名"),
    Column("memo", String(60), comment="摘要"),
)
fd_bank_bal = _t(
    "fd_bank_bal", "银行对账单余额(月末)",
    Column("bank_acct", String(19), primary_key=True, comment="专户账号"),
    Column("bal_dt", CHAR(8), primary_key=True, comment="余额日期"),
    Column("bal", AMT, nullable=False, comment="银行余额"),
)
fn_subject = _t(
    "fn_subject", "会计科目",
    Column("subj_cd", String(8), primary_key=True, comment="科目编号"),
    Column("subj_nm", String(60), nullable=False, comment="科目名称"),
    Column("subj_lvl", Integer, comment="科目级别"),
    Column("subj_attr", CHAR(1), comment="科目属性 1资产 2负债 3净资产 4收入 5支出"),
    Column("bal_dir", CHAR(1), comment="余额方向 J借 D贷"),
)
fn_voucher = _t(
    "fn_voucher", "记账凭证分录",
    Column("voucher_no", CHAR(14), primary_key=True, comment="凭证号"),
    Column("line_no", Integer, primary_key=True, comment="分录号"),
    _date("acct_dt", "记账日期", nullable=False),
    Column("subj_cd", String(8), nullable=False, comment="科目编号"),
    Column("dr_amt", AMT, nullable=False, comment="借方金额"),
    Column("cr_amt", AMT, nullable=False, comment="贷方金额"),
    Column("memo", String(60), comment="摘要"),
)
fn_ledger = _t(
    "fn_ledger", "总账(月)",
    Column("subj_cd", String(8), primary_key=True, comment="科目编号"),
    Column("ym", CHAR(6), primary_key=True, comment="会计期间"),
    Column("open_bal", AMT, comment="期初余额"),
    Column("dr_amt", AMT, comment="借方发生额"),
    Column("cr_amt", AMT, comment="贷方发生额"),
    Column("close_bal", AMT, comment="期末余额"),
    Column("bal_dir", CHAR(1), comment="余额方向 J借 D贷"),
)


@dataclass(frozen=True)
class TableSpec:
    """How a core table is extracted: full snapshot (reference) or incremental on ``upd_tm``."""

    name: str
    keys: tuple[str, ...]
    full_snapshot: bool


REFERENCE_TABLES = {"sys_ctl", "pb_bank", "pb_param", "pb_ban_list", "fn_subject", "fd_bank_acct"}

TABLES: dict[str, TableSpec] = {
    t.name: TableSpec(t.name, tuple(c.name for c in t.primary_key.columns), t.name in REFERENCE_TABLES)
    for t in metadata.sorted_tables
}
