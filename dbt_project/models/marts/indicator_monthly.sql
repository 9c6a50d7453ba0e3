-- Monthly annual-report indicators (DOMAIN.md §7) by district (xzqh, GB/T 2260) and MOHURD unit type
-- (dwlb). Additive measures only; ratios are in indicator_monthly_city. Deposits and withdrawals are
-- attributed to the unit of the ledger row; loans to the borrower's account's unit. Rows whose unit
-- cannot be resolved (orphans) go to the city code 411200 and type 007 其他 so that totals stay whole.
-- The ledger measures come from int_indicator_ledger_monthly (incremental by month): a daily run
-- does not rescan the ledger.
with units as (
    {{ unit_groups() }}
),

txn_measures as (
    select * from {{ ref('int_indicator_ledger_monthly') }}
),

new_accounts as (
    select
        {{ month_of('a.khrq') }} as tjny,
        coalesce(u.xzqh, '411200') as xzqh,
        coalesce(u.dwlb, '007') as dwlb,
        count(*) as xkhzgs
    from {{ ref('stg_core__personal_accounts') }} as a
    left join units as u on u.dwzh = a.dwzh
    where a.khrq is not null
    group by 1, 2, 3
),

loans as (
    select
        a.dkzh,
        a.dkffe,
        a.dkffrq,
        a.dkjqrq,
        coalesce(u.xzqh, '411200') as xzqh,
        coalesce(u.dwlb, '007') as dwlb
    from {{ ref('stg_core__loan_accounts') }} as a
    left join {{ ref('stg_core__loan_contracts') }} as c on c.jkhtbh = a.jkhtbh
    left join {{ ref('stg_core__personal_accounts') }} as p on p.grzh = c.jkrgjjzh
    left join units as u on u.dwzh = p.dwzh
),

issued as (
    select
        {{ month_of('dkffrq') }} as tjny,
        xzqh,
        dwlb,
        count(*) as dkffbs,
        sum(dkffe) as dkffe
    from loans
    where dkffrq is not null
    group by 1, 2, 3
),

recovered as (
    select
        {{ month_of('t.ywfsrq') }} as tjny,
        l.xzqh,
        l.dwlb,
        sum(t.bjje) as dkhse
    from {{ ref('loan_transaction') }} as t
    inner join loans as l on l.dkzh = t.dkzh
    where t.czbz = '01' and t.dkywmxlx in ('02', '03', '04', '05', '06')
    group by 1, 2, 3
),

months as (
    select
        strftime(m, '%Y-%m') as tjny,
        cast(m + interval 1 month - interval 1 day as date) as month_end
    from (
        select unnest(generate_series(
            cast(least(
                (select min(strptime(tjny, '%Y-%m')) from txn_measures),
                (select min(dkffrq) from loans)
            ) as date),
            {{ biz_date() }},
            interval 1 month
        )) as m0
    ) as s,
    lateral (select date_trunc('month', s.m0) as m) as t
),

overdue_candidates as (
    select
        s.dkzh,
        s.yhrq,
        s.dqjhhkje,
        s.is_paid,
        s.sjhkrq,
        s.dkjqrq,
        l.xzqh,
        l.dwlb
    from {{ ref('int_loan_schedule_vs_actuals') }} as s
    inner join loans as l on l.dkzh = s.dkzh
    where s.yhrq <= {{ biz_date() }}
      and (not s.is_paid or s.sjhkrq > s.yhrq)
),

overdue as (
    select
        m.tjny,
        o.xzqh,
        o.dwlb,
        sum(o.dqjhhkje) as yqe
    from overdue_candidates as o
    inner join months as m
        on o.yhrq < least(m.month_end, {{ biz_date() }})
        and (not o.is_paid or o.sjhkrq > least(m.month_end, {{ biz_date() }}))
        and (o.dkjqrq is null or o.dkjqrq > least(m.month_end, {{ biz_date() }}))
    group by 1, 2, 3
),

groups as (
    select xzqh, dwlb from units
    union
    select xzqh, dwlb from txn_measures
    union
    select xzqh, dwlb from loans
    union
    select xzqh, dwlb from new_accounts
),

spine as (
    select m.tjny, g.xzqh, g.dwlb from (select distinct tjny from months) as m cross join groups as g
),

joined as (
    select
        s.tjny,
        s.xzqh,
        s.dwlb,
        coalesce(t.sjdws, 0) as sjdws,
        coalesce(t.sjzgs, 0) as sjzgs,
        coalesce(n.xkhzgs, 0) as xkhzgs,
        coalesce(t.jce, 0) as jce,
        sum(coalesce(t.net_flow, 0)) over w as jcye,
        coalesce(t.tqrs, 0) as tqrs,
        coalesce(t.tqe, 0) as tqe,
        coalesce(t.tqe_gf, 0) as tqe_gf,
        coalesce(t.tqe_hd, 0) as tqe_hd,
        coalesce(t.tqe_zf, 0) as tqe_zf,
        coalesce(t.tqe_lt, 0) as tqe_lt,
        coalesce(t.tqe_qt, 0) as tqe_qt,
        coalesce(i.dkffbs, 0) as dkffbs,
        coalesce(i.dkffe, 0) as dkffe,
        coalesce(r.dkhse, 0) as dkhse,
        sum(coalesce(i.dkffe, 0) - coalesce(r.dkhse, 0)) over w as dkye,
        coalesce(o.yqe, 0) as yqe
    from spine as s
    left join txn_measures as t on t.tjny = s.tjny and t.xzqh = s.xzqh and t.dwlb = s.dwlb
    left join new_accounts as n on n.tjny = s.tjny and n.xzqh = s.xzqh and n.dwlb = s.dwlb
    left join issued as i on i.tjny = s.tjny and i.xzqh = s.xzqh and i.dwlb = s.dwlb
    left join recovered as r on r.tjny = s.tjny and r.xzqh = s.xzqh and r.dwlb = s.dwlb
    left join overdue as o on o.tjny = s.tjny and o.xzqh = s.xzqh and o.dwlb = s.dwlb
    window w as (partition by s.xzqh, s.dwlb order by s.tjny rows unbounded preceding)
),

final as (
    select
        tjny,
        xzqh,
        dwlb,
        cast(sjdws as integer) as sjdws,
        cast(sjzgs as integer) as sjzgs,
        cast(xkhzgs as integer) as xkhzgs,
        cast(jce as decimal(18, 2)) as jce,
        cast(jcye as decimal(18, 2)) as jcye,
        cast(tqrs as integer) as tqrs,
        cast(tqe as decimal(18, 2)) as tqe,
        cast(tqe_gf as decimal(18, 2)) as tqe_gf,
        cast(tqe_hd as decimal(18, 2)) as tqe_hd,
        cast(tqe_zf as decimal(18, 2)) as tqe_zf,
        cast(tqe_lt as decimal(18, 2)) as tqe_lt,
        cast(tqe_qt as decimal(18, 2)) as tqe_qt,
        cast(dkffbs as integer) as dkffbs,
        cast(dkffe as decimal(18, 2)) as dkffe,
        cast(dkhse as decimal(18, 2)) as dkhse,
        cast(dkye as decimal(18, 2)) as dkye,
        cast(yqe as decimal(18, 2)) as yqe
    from joined
)

select * from final
