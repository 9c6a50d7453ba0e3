with source as (
    {{ core_latest('cm_person', ['cust_no']) }}
),

renamed as (
    select
        -- keys
        cust_no as khh, -- 客户号 (vendor customer number; invented element code KHH)
        cert_no as zjhm, -- 证件号码
        -- attributes
        cust_nm as xingming, -- 姓名
        name_py as xmqp, -- 姓名全拼
        mobile as sjhm, -- 手机号码
        tel as gddhhm, -- 固定电话号码
        home_addr as jtzz, -- 家庭住址
        edu as xueli, -- 学历 (GB/T 4658 codes, used by the vendor as is)
        {{ amount('fam_income') }} as jtysr, -- 家庭月收入
        -- codes (standard)
        {{ recode('map_xingbie', 'sex') }} as xingbie, -- 性别 (GB/T 2261.1)
        {{ recode('map_zjlx', 'cert_type') }} as zjlx, -- 证件类型 (A.0.1)
        {{ recode('map_hyzk', 'marital') }} as hyzk, -- 婚姻状况 (GB/T 2261.2)
        -- dates
        {{ to_date('birth_dt') }} as csny, -- 出生年月 (出生日期)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
