with source as (
    {{ core_latest('fn_voucher', ['voucher_no', 'line_no']) }}
),

renamed as (
    select
        voucher_no as jzpzh, -- 记账凭证号
        line_no as flh, -- 分录号 (invented code FLH)
        subj_cd as kmbh, -- 科目编号
        {{ amount('dr_amt') }} as jffse, -- 借方发生额
        {{ amount('cr_amt') }} as dffse, -- 贷方发生额
        memo as zhaiyao, -- 摘要
        {{ to_date('acct_dt') }} as jzrq, -- 记账日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
