with source as (
    {{ core_latest('ln_mortgage', ['mort_no']) }}
),

renamed as (
    select
        mort_no as dybh, -- 抵押编号 (invented code DYBH)
        contract_no as jkhtbh, -- 借款合同编号
        prop_cert_no as dywqzh, -- 抵押物权证号
        other_right_no as dywtxqzh, -- 抵押物他项权证号
        prop_unit_no as bdcdyh, -- 不动产单元号
        house_addr as dywfwzl, -- 抵押物房屋坐落
        {{ amount('eval_amt') }} as dywpgjz, -- 抵押物评估价值
        {{ to_date('reg_dt') }} as dyqjlrq, -- 抵押权建立日期
        {{ to_date('release_dt') }} as dyqjcrq, -- 抵押权解除日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
