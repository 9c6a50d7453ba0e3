with source as (
    {{ feed_latest('sb', ['id_no', 'unit_uscc', 'pay_month']) }}
),

renamed as (
    select
        id_no as zjhm, -- 证件号码
        name as xingming, -- 姓名
        unit_uscc as zzjgdm, -- 单位统一社会信用代码
        {{ to_month('pay_month') }} as jfny, -- 缴费年月 (YYYY-MM)
        {{ amount('base_amount') }} as jfjs, -- 社保缴费基数
        _source_object as _source_object, -- 来源文件 (lineage)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
