-- One row per loan repayment (正常/提前/逾期/公积金冲还贷/结清), with the instalment's due date.
-- Incremental like member_transaction.
{{
    config(
        materialized='incremental',
        unique_key='ywlsh',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

-- Reads the loan ledger mart (one read of bronze for both), new rows only on an incremental run.
with renamed as (
    select * from {{ ref('loan_transaction') }}
    {% if is_incremental() %}
    where _ingested_at > (select max(m._ingested_at) from {{ this }} as m)
    {% endif %}
)

select
    r.ywlsh,
    r.dkzh,
    r.dkywmxlx,
    r.czbz,
    r.fse,
    r.bjje,
    r.lxje,
    r.fxje,
    r.dqqc,
    r.ywfsrq,
    p.yhrq,
    r._ingested_at,
    {{ dbt_loaded_at() }} as _dbt_loaded_at
from renamed as r
left join {{ ref('stg_core__loan_plans') }} as p on p.dkzh = r.dkzh and p.dqqc = r.dqqc
where r.dkywmxlx in ('02', '03', '04', '05', '06')
