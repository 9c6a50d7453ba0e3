with source as (
    {{ core_latest('sys_ctl', ['ctl_key']) }}
),

renamed as (
    select
        ctl_key as ctl_key, -- 参数键 (vendor system control key; no JGJ/T 320 element)
        ctl_val as ctl_val, -- 参数值
        case when regexp_full_match(ctl_val, '[0-9]{8}') then {{ to_date('ctl_val') }} end as ctl_date, -- 参数值作为日期 (YYYYMMDD values)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
