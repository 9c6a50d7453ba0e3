with source as (
    {{ core_latest('pb_ban_list', ['ban_id']) }}
),

renamed as (
    select
        ban_id as jzxh, -- 禁止名单序号 (invented code)
        cert_no as zjhm, -- 证件号码
        ban_kind as jzlx, -- 禁止类型 T提取 D贷款 A全部 (local code, no standard table)
        {{ to_date('start_dt') }} as ksrq, -- 开始日期
        {{ to_date('end_dt') }} as jsrq, -- 结束日期
        reason as jzyy, -- 禁止原因
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
