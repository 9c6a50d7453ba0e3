with source as (
    {{ core_latest('ln_overdue', ['ovd_id']) }}
),

renamed as (
    select
        ovd_id as yqdjh, -- 逾期登记号 (invented code YQDJH)
        loan_acct as dkzh, -- 贷款账号
        term_no as dqqc, -- 逾期期次
        {{ to_date('due_dt') }} as yhrq, -- 应还日期
        {{ amount('ovd_prin') }} as yqbj, -- 逾期本金
        {{ amount('ovd_int') }} as yqlx, -- 逾期利息
        {{ amount('ovd_pen') }} as yqfx, -- 逾期罚息
        {{ to_date('paid_dt') }} as ssrq, -- 实收日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
