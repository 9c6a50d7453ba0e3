with source as (
    {{ feed_latest('scjg', ['uscc']) }}
),

renamed as (
    select
        uscc as zzjgdm, -- 统一社会信用代码
        name as qymc, -- 企业名称
        status as djzt, -- 登记状态 存续/在业/注销/吊销
        founded_date as clrq, -- 成立日期
        cancel_date as zxrq, -- 注销或吊销日期
        legal_rep as fddbr, -- 法定代表人
        address as zs, -- 住所
        _source_object as _source_object, -- 来源文件 (lineage)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
