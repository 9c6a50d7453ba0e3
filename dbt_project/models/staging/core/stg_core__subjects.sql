with source as (
    {{ core_latest('fn_subject', ['subj_cd']) }}
),

renamed as (
    select
        subj_cd as kmbh, -- 科目编号
        subj_nm as kmmc, -- 科目名称
        subj_lvl as kmjb, -- 科目级别
        subj_attr as kmsx, -- 科目属性 1资产 2负债 3净资产 4收入 5支出 (local)
        bal_dir as kmyefx, -- 科目余额方向 J借 D贷 (local)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
