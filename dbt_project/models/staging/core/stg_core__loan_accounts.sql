with source as (
    {{ core_latest('ln_account', ['loan_acct']) }}
),

renamed as (
    select
        -- keys
        loan_acct as dkzh, -- 贷款账号
        contract_no as jkhtbh, -- 借款合同编号
        -- codes
        {{ recode('map_dkfxdj', 'risk_cls') }} as dkfxdj, -- 贷款风险等级 (A.0.14)
        {{ recode('map_dkzt', 'loan_st') }} as dkzt, -- 贷款状态 01正常 02逾期 03结清 04核销 (local table local_dkzt; invented code DKZT)
        -- amounts, rates
        {{ amount('issue_amt') }} as dkffe, -- 贷款发放额
        {{ amount('bal') }} as dkye, -- 贷款余额
        {{ rate('rate') }} as dkll, -- 贷款利率
        term_mon as dkqs, -- 贷款期数
        {{ amount('prin_paid') }} as hsbjze, -- 回收本金总额
        {{ amount('int_paid') }} as hslxze, -- 回收利息总额
        {{ amount('pen_paid') }} as fxze, -- 罚息总额
        {{ amount('prepay_prin') }} as tqghbjze, -- 提前归还本金总额
        {{ amount('ovd_prin') }} as yqbjze, -- 逾期本金总额
        {{ amount('ovd_int') }} as yqlxze, -- 逾期利息总额
        ovd_terms as ljyqqs, -- 累计逾期期数
        -- dates
        {{ to_date('issue_dt') }} as dkffrq, -- 贷款发放日期
        {{ to_date('settle_dt') }} as dkjqrq, -- 贷款结清日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
