with source as (
    {{ core_latest('cm_unit', ['unit_no']) }}
),

renamed as (
    select
        -- keys
        unit_no as dwzh, -- 单位账号
        uscc as zzjgdm, -- 组织机构代码 (统一社会信用代码)
        -- attributes
        unit_nm as dwmc, -- 单位名称
        addr as dwdz, -- 单位地址
        post_cd as dwyb, -- 单位邮编
        email as dwdzxx, -- 单位电子信箱
        legal_nm as dwfrdbxm, -- 单位法人代表姓名
        legal_cert_no as dwfrdbzjhm, -- 单位法人代表证件号码
        sal_day as dwfxr, -- 单位发薪日
        agent_nm as jbrxm, -- 经办人姓名
        agent_mobile as jbrsjhm, -- 经办人手机号码
        agent_cert_no as jbrzjhm, -- 经办人证件号码
        bank_cd as styhdm, -- 受托银行代码
        -- codes (standard)
        {{ recode('map_dwjjlx', 'econ_kind') }} as dwjjlx, -- 单位经济类型 (GB/T 12402)
        {{ recode('map_dwsshy', 'industry') }} as dwsshy, -- 单位所属行业 (GB/T 4754)
        {{ recode('map_xzqh', 'area_cd') }} as xzqh, -- 行政区划 (GB/T 2260; invented element code XZQH)
        {{ recode('map_dwlb', 'unit_kind') }} as dwlb, -- 单位类别 (住建部单位性质编码 001–011; invented element code DWLB)
        subord as dwlsgx, -- 单位隶属关系 (GB/T 12404; vendor already uses the national codes)
        -- dates
        {{ to_date('found_dt') }} as dwslrq, -- 单位设立日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
