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
    {% if is_incremental() %}
    {{ core_latest('ln_txn', ['txn_no'], where='_ingested_at > (select max(m._ingested_at) from ' ~ this ~ ' as m)') }}
    {% else %}
    {{ core_latest('ln_txn', ['txn_no']) }}
    {% endif %}
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
    _ingested_at
from renamed
