-- One row per personal account (个人账户), current state. FIXED CONTRACT (serving API): columns may
-- only be added at the end.
with accounts as (
    select * from {{ ref('stg_core__personal_accounts') }}
),

persons as (
    select * from {{ ref('stg_core__persons') }}
),

units as (
    select * from {{ ref('stg_core__units') }}
),

open_loans as (
    select
        c.jkrgjjzh as grzh,
        sum(a.dkye) as dkye
    from {{ ref('stg_core__loan_accounts') }} as a
    inner join {{ ref('stg_core__loan_contracts') }} as c on c.jkhtbh = a.jkhtbh
    where a.dkzt in ('01', '02')
    group by c.jkrgjjzh
),

final as (
    select
        a.grzh,
        p.zjhm,
        p.xingming,
        p.xingbie,
        p.csny,
        a.dwzh,
        u.dwmc,
        u.xzqh,
        a.grzhzt,
        a.grjcjs,
        a.dwjcbl,
        a.grjcbl,
        a.gryjce,
        a.dwyjce,
        a.grzhye,
        a.grzhsnjzye,
        a.grzhdngjye,
        a.khrq,
        a.xhrq,
        a.jzny,
        cast(coalesce(l.dkye, 0) as decimal(18, 2)) as dkye,
        cast(greatest(a._ingested_at, coalesce(p._ingested_at, a._ingested_at)) as timestamp) as updated_at,
        -- added columns
        a.khh,
        p.hyzk,
        case when p.csny is not null then cast({{ age_at('p.csny', biz_date()) }} as integer) end as nl
    from accounts as a
    left join persons as p on p.khh = a.khh
    left join units as u on u.dwzh = a.dwzh
    left join open_loans as l on l.grzh = a.grzh
)

select * from final
