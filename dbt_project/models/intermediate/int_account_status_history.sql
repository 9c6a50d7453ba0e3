-- Personal account status history (SCD2-style intervals) from the status-change register (dp_state_log).
with changes as (
    select
        djlsh,
        grzh,
        ygrzhzt,
        grzhzt,
        bgyy,
        bgrq
    from {{ ref('stg_core__account_status_log') }}
),

intervals as (
    select
        djlsh, -- 登记流水号
        grzh, -- 个人账号
        grzhzt, -- 个人账户状态 (A.0.6) in the interval
        ygrzhzt, -- 原个人账户状态
        bgyy, -- 变更原因
        bgrq as valid_from, -- 状态起始日期
        lead(bgrq) over (partition by grzh order by bgrq, djlsh) - 1 as valid_to, -- 状态截止日期 (NULL = current)
        row_number() over (partition by grzh order by bgrq desc, djlsh desc) = 1 as is_current -- 是否当前状态
    from changes
)

select * from intervals
