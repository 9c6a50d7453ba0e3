with source as (
    {{ core_latest('ln_plan', ['loan_acct', 'term_no']) }}
),

renamed as (
    select
        loan_acct as dkzh, -- 贷款账号
        term_no as dqqc, -- 当期期次
        {{ to_date('due_dt') }} as yhrq, -- 应还日期 (invented code YHRQ)
        {{ amount('plan_amt') }} as dqjhhkje, -- 当期计划还款金额
        {{ amount('plan_prin') }} as dqjhghbj, -- 当期计划归还本金
        {{ amount('plan_int') }} as dqjhghlx, -- 当期计划归还利息
        plan_st as hkjhzt, -- 还款计划状态 0未到期 1已还 2逾期 (local; invented code HKJHZT)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
