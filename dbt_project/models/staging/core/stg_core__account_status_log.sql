with source as (
    {{ core_latest('dp_state_log', ['log_no']) }}
),

renamed as (
    select
        log_no as djlsh, -- 登记流水号 (invented element code DJLSH)
        indi_acct as grzh, -- 个人账号
        {{ recode('map_grzhzt', 'old_st') }} as ygrzhzt, -- 原个人账户状态 (A.0.6)
        {{ recode('map_grzhzt', 'new_st') }} as grzhzt, -- 个人账户状态 (变更后, A.0.6)
        chg_rsn as bgyy, -- 变更原因 KH开户 FC封存 QF启封 ZC转出 XH销户 DJ冻结 JD解冻 (local; invented element code BGYY)
        {{ to_date('chg_dt') }} as bgrq, -- 变更日期 (invented element code BGRQ)
        _ingested_at as _ingested_at -- 入湖时间 (lineage)
    from source
)

select * from renamed
