with source as (
    {{ feed_latest('mz', ['registration_no']) }}
),

renamed as (
    select
        registration_no as djzh, -- 登记证字号
        reg_type as djlx, -- 登记类型 结婚/离婚
        husband_name as nfxm, -- 男方姓名
        husband_id_no as nfzjhm, -- 男方身份证号
        wife_name as vfxm, -- 女方姓名
        wife_id_no as vfzjhm, -- 女方身份证号
        reg_date as djrq, -- 登记日期
        registry_office as djjg, -- 登记机关
        _source_object as _source_object, -- 来源文件 (lineage)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
