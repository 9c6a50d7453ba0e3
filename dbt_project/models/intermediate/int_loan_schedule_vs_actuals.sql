-- Each planned instalment next to what was actually repaid for it (normal, overdue and HPF-funded
-- repayments, reversals excluded), the recomputed annuity instalment and the days past due.
with plans as (
    select * from {{ ref('stg_core__loan_plans') }}
),

loans as (
    select
        a.dkzh,
        a.dkffe,
        a.dkll,
        a.dkqs,
        a.dkjqrq,
        c.dkhkfs
    from {{ ref('stg_core__loan_accounts') }} as a
    left join {{ ref('stg_core__loan_contracts') }} as c on c.jkhtbh = a.jkhtbh
),

repaid as (
    select
        dkzh,
        dqqc,
        sum(bjje) as sjhkbj,
        sum(lxje) as sjhklx,
        sum(fxje) as sjhkfx,
        max(ywfsrq) as sjhkrq
    from {{ ref('stg_core__loan_transactions') }}
    where dkywmxlx in ('02', '04', '05') and czbz = '01' and dqqc is not null
    group by dkzh, dqqc
),

joined as (
    select
        p.dkzh, -- 贷款账号
        p.dqqc, -- 当期期次
        p.yhrq, -- 应还日期
        p.dqjhhkje, -- 当期计划还款金额
        p.dqjhghbj, -- 当期计划归还本金
        p.dqjhghlx, -- 当期计划归还利息
        p.hkjhzt, -- 还款计划状态 (local)
        l.dkhkfs, -- 还款方式 (A.0.11)
        case when l.dkhkfs = '01' then {{ annuity_instalment('l.dkffe', 'l.dkll', 'l.dkqs') }} end as dqjhhkje_js, -- 等额本息月还款额 (按公式重算)
        cast(coalesce(r.sjhkbj, 0) as decimal(18, 2)) as sjhkbj, -- 实际归还本金
        cast(coalesce(r.sjhklx, 0) as decimal(18, 2)) as sjhklx, -- 实际归还利息
        cast(coalesce(r.sjhkfx, 0) as decimal(18, 2)) as sjhkfx, -- 实际归还罚息
        r.sjhkrq, -- 实际还款日期 (最后一笔)
        coalesce(r.sjhkbj, 0) >= p.dqjhghbj as is_paid, -- 本金已足额归还
        l.dkjqrq -- 贷款结清日期
    from plans as p
    left join loans as l on l.dkzh = p.dkzh
    left join repaid as r on r.dkzh = p.dkzh and r.dqqc = p.dqqc
),

final as (
    select
        *,
        case
            when yhrq > {{ biz_date() }} then 0
            when is_paid then {{ overdue_days('yhrq', 'sjhkrq', biz_date()) }}
            else {{ overdue_days('yhrq', 'null::date', biz_date()) }}
        end as yqts -- 逾期天数 (到还款日或业务日期)
    from joined
)

select * from final
