with source as (
    {{ core_latest('pb_param', ['param_id']) }}
),

renamed as (
    select
        param_id as csxh, -- 参数序号 (invented code: CanShu XuHao)
        param_cd as csdm, -- 参数代码 (vendor parameter code, e.g. JS_MAX)
        param_nm as csmc, -- 参数名称
        cast(param_val as decimal(18, 6)) as csz, -- 参数值
        {{ to_date('eff_dt') }} as valid_from, -- 生效日期
        {{ to_date('exp_dt') }} as valid_to, -- 失效日期 (NULL = open-ended)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
