-- One row per personal ledger row (个人业务明细). FIXED CONTRACT (serving API). Incremental: a run
-- reads only the bronze rows ingested after the newest one already here, keeps their latest version
-- and merges them on ywlsh (new rows and changed rows, e.g. an original annotated by a reversal).
{{
    config(
        materialized='incremental',
        unique_key='ywlsh',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

with source as (
    {{ core_increment('dp_indi_txn', ['txn_no']) }}
),

renamed as (
    {{ personal_transactions_renamed('source') }}
),

withdrawals as (
    select tqsqh, tqyy, tqfs from {{ ref('stg_core__withdrawals') }}
),

final as (
    select
        t.ywlsh,
        t.grzh,
        t.dwzh,
        t.jzrq,
        t.gjhtqywlx,
        t.fse,
        t.fslxe,
        t.grzhye,
        case when t.gjhtqywlx in ('11', '12') then w.tqyy end as tqyy,
        case when t.gjhtqywlx in ('11', '12') then w.tqfs end as tqfs,
        t.czbz,
        t.hbjny,
        t.zhaiyao,
        -- added columns
        t.tqsqh,
        t.yywlsh,
        t._ingested_at,
        {{ dbt_loaded_at() }} as _dbt_loaded_at
    from renamed as t
    left join withdrawals as w on w.tqsqh = t.tqsqh
)

select * from final
