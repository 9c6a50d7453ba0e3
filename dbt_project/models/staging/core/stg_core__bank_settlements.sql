with source as (
    {{ core_latest('fd_settle', ['settle_no']) }}
),

renamed as (
    select
        settle_no as yhjslsh, -- 银行结算流水号
        bank_acct as yhzhhm, -- 银行专户号码
        biz_no as ywlsh, -- 业务流水号
        biz_type as zjywlx, -- 资金业务类型 HJ归集 TQ提取 FK放款 HK回收 LX利息 ZY转移 (local)
        dc as sfbz, -- 收付标志 C收 D付 (local; invented code SFBZ)
        {{ amount("case when dc = 'D' then -amt else amt end") }} as fse, -- 发生额 (带符号: + 收 − 付)
        cp_acct as dfzhhm, -- 对方账户号码
        cp_nm as dfzhmc, -- 对方账户名称
        memo as zhaiyao, -- 摘要
        {{ to_date('settle_dt') }} as jsfsrq, -- 结算发生日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
