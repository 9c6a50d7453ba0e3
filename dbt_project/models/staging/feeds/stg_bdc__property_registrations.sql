with source as (
    {{ feed_latest('bdc', ['business_no', 'holder_id_no']) }}
),

renamed as (
    select
        business_no as djywh, -- 登记业务号 (invented code DJYWH)
        holder_id_no as qlrzjhm, -- 权利人证件号码 (invented code QLRZJHM)
        holder_name as qlrmc, -- 权利人名称
        unit_no as bdcdyh, -- 不动产单元号
        title_no as bdcqzh, -- 不动产权证号
        location as fwzl, -- 房屋坐落
        co_ownership as gyqk, -- 共有情况
        reg_type as djlx, -- 登记类型 首次/转移/抵押/抵押注销登记
        reg_date as djrq, -- 登记日期
        cast(floor_area as decimal(10, 2)) as fwjzmj, -- 建筑面积
        {{ amount('price') }} as cjjg, -- 成交价格
        mortgagee as dyqr, -- 抵押权人
        proof_no as djzmh, -- 不动产登记证明号
        {{ amount('secured_amount') }} as bdbzqse, -- 被担保主债权数额
        _source_object as _source_object, -- 来源文件 (lineage)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
