-- Unit remittance batches (汇缴 01 / 补缴 02), one row per unit ledger row (单位业务明细).
select
    t.ywlsh,
    t.dwzh,
    u.dwmc,
    u.xzqh,
    u.dwlb,
    t.ywmxlx,
    t.czbz,
    t.hbjny,
    t.jzrq,
    t.fse,
    t.fsrs
from {{ ref('stg_core__unit_transactions') }} as t
left join {{ ref('stg_core__units') }} as u on u.dwzh = t.dwzh
where t.ywmxlx in ('01', '02')
