{#- Rename + recode of ln_txn rows; shared by the staging view and the incremental marts. -#}
{% macro loan_transactions_renamed(relation) -%}
    select
        txn_no as ywlsh, -- 业务流水号
        loan_acct as dkzh, -- 贷款账号
        {{ recode('map_dkywmxlx', 'txn_type') }} as dkywmxlx, -- 贷款业务明细类型 (A.0.15)
        {{ recode('map_czbz', 'rev_flag') }} as czbz, -- 冲账标识 (A.0.9)
        {{ amount('amt') }} as fse, -- 发生额
        {{ amount('prin_amt') }} as bjje, -- 本金金额
        {{ amount('int_amt') }} as lxje, -- 利息金额
        {{ amount('pen_amt') }} as fxje, -- 罚息金额
        term_no as dqqc, -- 当期期次
        {{ to_date('txn_dt') }} as ywfsrq, -- 业务发生日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from {{ relation }}
{%- endmacro %}
