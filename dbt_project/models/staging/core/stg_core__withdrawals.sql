with source as (
    {{ core_latest('dw_draw', ['draw_no']) }}
),

renamed as (
    select
        -- keys
        draw_no as tqsqh, -- 提取申请号 (invented element code TQSQH)
        indi_acct as grzh, -- 个人账号
        contract_no as jkhtbh, -- 借款合同编号 (还贷提取)
        -- codes
        {{ recode('map_tqyy', 'draw_rsn') }} as tqyy, -- 提取原因 (A.0.7)
        {{ recode('map_tqyy', 'draw_rsn', 'tqyy_bucket') }} as tqlb, -- 提取类别 gf购房建房 hd还贷 zf租房 lt离退休 qt其他 (annual-report bucket; invented code TQLB)
        {{ recode('map_tqfs', 'draw_mode') }} as tqfs, -- 提取方式 (A.0.8)
        channel as qd, -- 渠道 GT柜台 WT网厅 SJ手机 WX微信 (local; invented code QD)
        status as tqzt, -- 提取状态 1已支付 2已驳回 3已撤销 (local; invented code TQZT)
        -- amounts
        {{ amount('draw_amt') }} as tqje, -- 提取金额 (invented code TQJE)
        {{ amount('bal_before') }} as tqqye, -- 提取前余额 (invented code TQQYE)
        {{ amount('house_price') }} as fwzj, -- 房屋总价
        -- parties and property
        payee_acct as skzhhm, -- 收款账户号码
        payee_nm as skzhmc, -- 收款账户名称
        agent_cert_no as dbrzjhm, -- 代办人证件号码
        agent_mobile as dbrsjhm, -- 代办人手机号码
        prop_cert_no as bdcqzh, -- 不动产权证号
        prop_unit_no as bdcdyh, -- 不动产单元号
        house_addr as fwzl, -- 房屋坐落
        -- dates
        {{ to_date('apply_dt') }} as sqrq, -- 申请日期
        {{ to_date('appr_dt') }} as sprq, -- 审批日期
        {{ to_date('buy_dt') }} as gfrq, -- 购房日期
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
