-- Withdrawal applications (提取), one row per application, with the applicant's unit.
select
    w.tqsqh,
    w.grzh,
    a.dwzh,
    w.tqyy,
    w.tqlb,
    w.tqfs,
    w.tqzt,
    w.qd,
    w.tqje,
    w.tqqye,
    w.jkhtbh,
    w.fwzj,
    w.bdcdyh,
    w.sqrq,
    w.sprq,
    w.gfrq
from {{ ref('stg_core__withdrawals') }} as w
left join {{ ref('stg_core__personal_accounts') }} as a on a.grzh = w.grzh
