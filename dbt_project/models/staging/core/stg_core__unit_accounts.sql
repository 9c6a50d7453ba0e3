with source as (
    {{ core_latest('dp_unit_acct', ['unit_no']) }}
),

renamed as (
    select
        -- keys
        unit_no as dwzh, -- 单位账号
        -- codes
        {{ recode('map_dwzhzt', 'acct_st') }} as dwzhzt, -- 单位账户状态 (A.0.4)
        close_rsn as dwxhyy, -- 单位销户原因 (vendor local code; A.0.3 values not yet confirmed, not recoded)
        -- ratios and counts
        {{ ratio('unit_prop') }} as dwjcbl, -- 单位缴存比例
        {{ ratio('indi_prop') }} as grjcbl, -- 个人缴存比例
        pay_cnt as dwjcrs, -- 单位缴存人数
        seal_cnt as dwfcrs, -- 单位封存人数
        -- amounts
        {{ amount('bal') }} as dwzhye, -- 单位账户余额
        -- dates
        {{ to_month('paid_to_ym') }} as jzny, -- 缴至年月 (YYYY-MM)
        {{ to_date('open_dt') }} as dwkhrq, -- 单位开户日期
        {{ to_date('close_dt') }} as dwxhrq, -- 单位销户日期
        {{ to_date('defer_end_dt') }} as hjjzrq, -- 缓缴截止日期 (invented element code HJJZRQ)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
