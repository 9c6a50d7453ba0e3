with source as (
    {{ core_latest('fd_bank_bal', ['bank_acct', 'bal_dt']) }}
),

renamed as (
    select
        bank_acct as yhzhhm, -- 银行专户号码
        {{ to_date('bal_dt') }} as yerq, -- 余额日期 (invented code YERQ)
        {{ amount('bal') }} as yue, -- 余额
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
