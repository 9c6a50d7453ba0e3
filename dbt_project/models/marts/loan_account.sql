-- Loans (个人住房贷款): account + contract + current overdue position.
with overdue as (
    select
        dkzh,
        count(*) filter (where yqts > 0 and not is_paid) as dqyqqs,
        max(yqts) filter (where not is_paid) as zdyqts,
        sum(dqjhhkje) filter (where yqts > 0 and not is_paid) as dqyqe
    from {{ ref('int_loan_schedule_vs_actuals') }}
    group by dkzh
)

select
    a.dkzh,
    a.jkhtbh,
    c.jkrgjjzh,
    c.jkrzjh,
    c.jkrxm,
    a.dkzt,
    a.dkfxdj,
    c.dkhkfs,
    c.dkdblx,
    c.dklx,
    c.fwxz,
    c.htdkje,
    a.dkffe,
    a.dkffrq,
    a.dkye,
    a.dkll,
    a.dkqs,
    a.dkjqrq,
    a.hsbjze,
    a.hslxze,
    a.yqbjze,
    a.ljyqqs,
    cast(coalesce(o.dqyqqs, 0) as integer) as dqyqqs,
    cast(coalesce(o.zdyqts, 0) as integer) as zdyqts,
    cast(coalesce(o.dqyqe, 0) as decimal(18, 2)) as dqyqe
from {{ ref('stg_core__loan_accounts') }} as a
left join {{ ref('stg_core__loan_contracts') }} as c on c.jkhtbh = a.jkhtbh
left join overdue as o on o.dkzh = a.dkzh
