with source as (
    {{ core_latest('pb_bank', ['bank_cd']) }}
),

renamed as (
    select
        bank_cd as styhdm, -- 受托银行代码
        bank_nm as styhmc, -- 受托银行名称
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
