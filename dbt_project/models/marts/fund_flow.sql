-- Bank settlement flows of the special accounts (资金流水), signed (+ received, − paid).
select
    s.yhjslsh,
    s.yhzhhm,
    b.yhzhmc,
    b.yhdm,
    s.zjywlx,
    s.sfbz,
    s.fse,
    s.ywlsh,
    s.jsfsrq,
    {{ month_of('s.jsfsrq') }} as tjny,
    s.zhaiyao
from {{ ref('stg_core__bank_settlements') }} as s
left join {{ ref('stg_core__bank_accounts') }} as b on b.yhzhhm = s.yhzhhm
