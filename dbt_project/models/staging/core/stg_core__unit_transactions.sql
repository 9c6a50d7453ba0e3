with source as (
    {{ core_latest('dp_unit_txn', ['txn_no']) }}
),

renamed as (
    select
        txn_no as ywlsh, -- 业务流水号
        unit_no as dwzh, -- 单位账号
        {{ recode('map_gjhtqywlx', 'txn_type') }} as ywmxlx, -- 业务明细类型 (A.0.5)
        {{ recode('map_czbz', 'rev_flag') }} as czbz, -- 冲账标识 (A.0.9)
        {{ amount('amt') }} as fse, -- 发生额
        head_cnt as fsrs, -- 发生人数
        {{ to_month('pay_ym') }} as hbjny, -- 汇补缴年月 (YYYY-MM)
        {{ to_date('acct_dt') }} as jzrq, -- 记账日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
