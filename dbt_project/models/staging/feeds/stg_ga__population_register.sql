with source as (
    {{ feed_latest('ga', ['id_no']) }}
),

renamed as (
    select
        id_no as zjhm, -- 证件号码 (公民身份号码)
        name as xingming, -- 姓名
        case sex when '男' then '1' when '女' then '2' when null then null else 'UNMAPPED' end as xingbie, -- 性别 (GB/T 2261.1)
        birth_date as csny, -- 出生日期
        hukou_address as hjdz, -- 户籍地址
        status as rkzt, -- 人口状态 正常/死亡/迁出
        death_date as swrq, -- 死亡日期
        move_out_date as qcrq, -- 迁出日期
        _source_object as _source_object, -- 来源文件 (lineage)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
