with source as (
    {{ core_latest('fd_bank_acct', ['bank_acct']) }}
),

renamed as (
    select
        bank_acct as yhzhhm, -- 银行专户号码
        acct_nm as yhzhmc, -- 银行专户名称
        bank_cd as yhdm, -- 银行代码
        subj_cd as kmbh, -- 科目编号
        nature as zhxz, -- 专户性质 1归集 2贷款 3增值收益 4其他 (local)
        {{ to_date('open_dt') }} as khrq, -- 开户日期
        {{ to_date('close_dt') }} as xhrq, -- 销户日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
