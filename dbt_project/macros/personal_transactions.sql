{#- Rename + recode of dp_indi_txn rows; shared by the staging view and the incremental mart so both
    speak the same standard. -#}
{% macro personal_transactions_renamed(relation) -%}
    select
        -- keys
        txn_no as ywlsh, -- 业务流水号 (个人明细流水号)
        indi_acct as grzh, -- 个人账号
        unit_no as dwzh, -- 单位账号
        batch_no as dwywlsh, -- 单位业务流水号 (汇补缴批次; invented element code DWYWLSH)
        draw_no as tqsqh, -- 提取申请号 (invented element code TQSQH)
        orig_txn_no as yywlsh, -- 原业务流水号 (冲账; invented element code YYWLSH)
        -- codes
        {{ recode('map_gjhtqywlx', 'txn_type') }} as gjhtqywlx, -- 归集和提取业务类型 (A.0.5)
        {{ recode('map_czbz', 'rev_flag') }} as czbz, -- 冲账标识 (A.0.9)
        dc as jdbz, -- 借贷标志 C增加 D减少 (vendor code; A.0.22 values not confirmed)
        -- amounts (fse signed: + into the account, − out of it)
        {{ amount("case when dc = 'D' then -amt else amt end") }} as fse, -- 发生额 (带符号)
        {{ amount('int_amt') }} as fslxe, -- 发生利息额
        {{ amount('bal') }} as grzhye, -- 个人账户余额 (交易后)
        -- dates
        {{ to_date('acct_dt') }} as jzrq, -- 记账日期
        {{ to_month('pay_ym') }} as hbjny, -- 汇补缴年月 (YYYY-MM)
        remark as zhaiyao, -- 摘要
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from {{ relation }}
{%- endmacro %}
