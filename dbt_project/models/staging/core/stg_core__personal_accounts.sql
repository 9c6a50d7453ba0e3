with source as (
    {{ core_latest('dp_indi_acct', ['indi_acct']) }}
),

renamed as (
    select
        -- keys
        indi_acct as grzh, -- 个人账号
        cust_no as khh, -- 客户号 (invented element code KHH)
        unit_no as dwzh, -- 单位账号
        -- codes
        {{ recode('map_grzhzt', 'acct_st') }} as grzhzt, -- 个人账户状态 (A.0.6)
        frz_flag as djbz, -- 冻结标志 0无 1只收不付 2不收不付 (center extension DJBZ)
        {{ recode('map_tqyy', 'close_rsn') }} as xhyy, -- 销户原因 (A.0.7)
        -- base, ratios, amounts
        {{ amount('base_amt') }} as grjcjs, -- 个人缴存基数
        {{ ratio('unit_prop') }} as dwjcbl, -- 单位缴存比例
        {{ ratio('indi_prop') }} as grjcbl, -- 个人缴存比例
        {{ amount('unit_pay') }} as dwyjce, -- 单位月缴存额
        {{ amount('indi_pay') }} as gryjce, -- 个人月缴存额
        {{ amount('bal') }} as grzhye, -- 个人账户余额
        {{ amount('prev_bal') }} as grzhsnjzye, -- 个人账户上年结转余额
        {{ amount('cur_bal') }} as grzhdngjye, -- 个人账户当年归集余额
        card_no as grckzhhm, -- 个人存款账户号码
        card_bank_cd as grckzhkhyhdm, -- 个人存款账户开户银行代码
        -- dates
        {{ to_date('open_dt') }} as khrq, -- 开户日期
        {{ to_date('close_dt') }} as xhrq, -- 销户日期
        {{ to_month('last_pay_ym') }} as jzny, -- 缴至年月 (YYYY-MM, last paid month)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
