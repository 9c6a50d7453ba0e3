-- One row per loan ledger row (贷款业务明细). Incremental like member_transaction.
{{
    config(
        materialized='incremental',
        unique_key='ywlsh',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

with source as (
    {{ core_increment('ln_txn', ['txn_no']) }}
),

renamed as (
    {{ loan_transactions_renamed('source') }}
)

select
    ywlsh,
    dkzh,
    dkywmxlx,
    czbz,
    fse,
    bjje,
    lxje,
    fxje,
    dqqc,
    ywfsrq,
    _ingested_at,
    {{ dbt_loaded_at() }} as _dbt_loaded_at
from renamed
