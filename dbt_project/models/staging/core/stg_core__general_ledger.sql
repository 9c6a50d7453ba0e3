with source as (
    {{ core_latest('fn_ledger', ['subj_cd', 'ym']) }}
),

renamed as (
    select
        subj_cd as kmbh, -- 科目编号
        {{ to_month('ym') }} as kjqj, -- 会计期间 (YYYY-MM; invented code KJQJ)
        {{ amount('open_bal') }} as qcye, -- 期初余额
        {{ amount('dr_amt') }} as jffse, -- 借方发生额
        {{ amount('cr_amt') }} as dffse, -- 贷方发生额
        {{ amount('close_bal') }} as qmye, -- 期末余额
        bal_dir as yefx, -- 余额方向 J借 D贷 (local)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
