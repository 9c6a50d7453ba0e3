-- One row per employer unit (缴存单位) with its unit account and the last 12 months' deposits.
-- FIXED CONTRACT (serving API): columns may only be added at the end.
with units as (
    select * from {{ ref('stg_core__units') }}
),

unit_accounts as (
    select * from {{ ref('stg_core__unit_accounts') }}
),

deposits_12m as (
    select
        dwzh,
        sum(fse) as jce_12m
    from {{ ref('member_transaction') }}
    where gjhtqywlx in ('01', '02')
      and jzrq > {{ dbt.dateadd('month', -12, biz_date()) }}
      and jzrq <= {{ biz_date() }}
    group by dwzh
),

final as (
    select
        u.dwzh,
        u.dwmc,
        u.zzjgdm,
        u.dwjjlx,
        u.dwsshy,
        u.xzqh,
        u.dwlb,
        a.dwzhzt,
        a.dwjcbl,
        a.grjcbl,
        cast(a.dwjcrs as integer) as dwjcrs,
        cast(a.dwfcrs as integer) as dwfcrs,
        a.dwzhye,
        a.jzny,
        a.dwkhrq,
        a.dwxhrq,
        cast(coalesce(d.jce_12m, 0) as decimal(18, 2)) as jce_12m
    from units as u
    left join unit_accounts as a on a.dwzh = u.dwzh
    left join deposits_12m as d on d.dwzh = u.dwzh
)

select * from final
