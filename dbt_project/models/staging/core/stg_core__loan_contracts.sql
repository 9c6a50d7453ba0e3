with source as (
    {{ core_latest('ln_contract', ['contract_no']) }}
),

renamed as (
    select
        -- keys
        contract_no as jkhtbh, -- 借款合同编号
        indi_acct as jkrgjjzh, -- 借款人公积金账号
        borrower_cert_no as jkrzjh, -- 借款人证件号码
        -- attributes
        borrower_nm as jkrxm, -- 借款人姓名
        house_addr as fwzl, -- 房屋坐落
        prop_unit_no as bdcdyh, -- 不动产单元号
        seller_nm as sfrmc, -- 售房人名称
        seller_acct as sfrzhhm, -- 售房人账户号码
        bank_cd as swtyhdm, -- 受委托银行代码
        home_cnt as zfts, -- 认定住房套数 (invented code ZFTS)
        repay_day as ydhkr, -- 约定还款日
        term_mon as dkqs, -- 贷款期数
        -- codes
        {{ recode('map_dkhkfs', 'repay_mode') }} as dkhkfs, -- 贷款还款方式 (A.0.11)
        {{ recode('map_dkdblx', 'guar_mode') }} as dkdblx, -- 贷款担保类型 (A.0.10)
        {{ recode('map_dklx', 'loan_kind') }} as dklx, -- 贷款类型 (A.0.12)
        {{ recode('map_fwxz', 'house_kind') }} as fwxz, -- 房屋性质 (A.0.13; MOHURD 01新房 02二手房)
        -- amounts, rates
        {{ amount('loan_amt') }} as htdkje, -- 合同贷款金额
        {{ rate('rate') }} as jkhtll, -- 借款合同利率
        cast(house_area as decimal(10, 2)) as fwjzmj, -- 房屋建筑面积
        {{ amount('house_price') }} as fwzj, -- 房屋总价
        {{ amount('down_pay') }} as gfsfk, -- 购房首付款
        {{ amount('fam_income') }} as jtysr, -- 家庭月收入
        -- dates
        {{ to_date('apply_dt') }} as sqrq, -- 申请日期
        {{ to_date('appr_dt') }} as sprq, -- 审批日期
        {{ to_date('sign_dt') }} as jkhtqdrq, -- 借款合同签订日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
