with source as (
    {{ core_latest('ln_coborrower', ['cobr_no']) }}
),

renamed as (
    select
        cobr_no as gtjkrxh, -- 共同借款人序号 (invented code GTJKRXH)
        contract_no as jkhtbh, -- 借款合同编号
        indi_acct as gtjkrgjjzh, -- 共同借款人公积金账号
        cert_no as gtjkrzjhm, -- 共同借款人证件号码
        cust_nm as gtjkrxm, -- 共同借款人姓名
        relation as cdgx, -- 参贷关系 1配偶 2子女 3父母 9其他 (local; standard table not confirmed)
        {{ amount('income') }} as ysr, -- 月收入
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
