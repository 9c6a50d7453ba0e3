-- Decision indicators (决策指标, analytics/indicators.yaml) per month for the whole city: the flows and
-- balances of indicator_monthly_city with month-on-month (环比) and year-on-year (同比) growth, year-to-date
-- totals (本年累计), the housing-consumption share of withdrawals and the net fund inflow.
-- Growth = (x - x_prev) / x_prev, NULL when there is no previous value or it is 0. The month spine of
-- indicator_monthly is gap-free, so lag 1 / lag 12 rows are the previous month / the same month last year.
with city as (
    select
        tjny,
        sjdws,
        sjzgs,
        xkhzgs,
        jce,
        jcye,
        tqrs,
        tqe,
        dkffbs,
        dkffe,
        dkhse,
        dkye,
        yqe,
        tql,
        gdl,
        yql
    from {{ ref('indicator_monthly_city') }}
),

withdrawal_reasons as (
    select
        tjny,
        sum(tqe_gf) + sum(tqe_hd) + sum(tqe_zf) as tqe_zfxf
    from {{ ref('indicator_monthly') }}
    group by tjny
),

lagged as (
    select
        c.*,
        w.tqe_zfxf,
        lag(c.jce, 1) over w1 as jce_p1,
        lag(c.jce, 12) over w1 as jce_p12,
        lag(c.tqe, 1) over w1 as tqe_p1,
        lag(c.tqe, 12) over w1 as tqe_p12,
        lag(c.dkffe, 1) over w1 as dkffe_p1,
        lag(c.dkffe, 12) over w1 as dkffe_p12,
        lag(c.dkhse, 1) over w1 as dkhse_p1,
        lag(c.dkhse, 12) over w1 as dkhse_p12,
        lag(c.jcye, 1) over w1 as jcye_p1,
        lag(c.jcye, 12) over w1 as jcye_p12,
        lag(c.dkye, 1) over w1 as dkye_p1,
        lag(c.dkye, 12) over w1 as dkye_p12,
        lag(c.sjzgs, 12) over w1 as sjzgs_p12,
        sum(c.jce) over wy as jce_ytd,
        sum(c.tqe) over wy as tqe_ytd,
        sum(c.dkffe) over wy as dkffe_ytd,
        sum(c.dkffbs) over wy as dkffbs_ytd,
        sum(c.dkhse) over wy as dkhse_ytd
    from city as c
    left join withdrawal_reasons as w on w.tjny = c.tjny
    window
        w1 as (order by c.tjny),
        wy as (partition by substr(c.tjny, 1, 4) order by c.tjny rows unbounded preceding)
)

select
    tjny,
    cast(sjdws as integer) as sjdws,
    cast(sjzgs as integer) as sjzgs,
    {{ safe_ratio('(sjzgs - sjzgs_p12)', 'sjzgs_p12') }} as sjzgs_yoy,
    cast(xkhzgs as integer) as xkhzgs,
    cast(jce as decimal(18, 2)) as jce,
    {{ safe_ratio('(jce - jce_p1)', 'jce_p1') }} as jce_mom,
    {{ safe_ratio('(jce - jce_p12)', 'jce_p12') }} as jce_yoy,
    cast(jce_ytd as decimal(18, 2)) as jce_ytd,
    cast(jcye as decimal(18, 2)) as jcye,
    {{ safe_ratio('(jcye - jcye_p1)', 'jcye_p1') }} as jcye_mom,
    {{ safe_ratio('(jcye - jcye_p12)', 'jcye_p12') }} as jcye_yoy,
    cast(tqrs as integer) as tqrs,
    cast(tqe as decimal(18, 2)) as tqe,
    {{ safe_ratio('(tqe - tqe_p1)', 'tqe_p1') }} as tqe_mom,
    {{ safe_ratio('(tqe - tqe_p12)', 'tqe_p12') }} as tqe_yoy,
    cast(tqe_ytd as decimal(18, 2)) as tqe_ytd,
    {{ safe_ratio('tqe_zfxf', 'tqe') }} as zfxftqzb,
    cast(jce - tqe as decimal(18, 2)) as jljlr,
    cast(dkffbs as integer) as dkffbs,
    cast(dkffbs_ytd as integer) as dkffbs_ytd,
    cast(dkffe as decimal(18, 2)) as dkffe,
    {{ safe_ratio('(dkffe - dkffe_p1)', 'dkffe_p1') }} as dkffe_mom,
    {{ safe_ratio('(dkffe - dkffe_p12)', 'dkffe_p12') }} as dkffe_yoy,
    cast(dkffe_ytd as decimal(18, 2)) as dkffe_ytd,
    cast(dkhse as decimal(18, 2)) as dkhse,
    {{ safe_ratio('(dkhse - dkhse_p1)', 'dkhse_p1') }} as dkhse_mom,
    {{ safe_ratio('(dkhse - dkhse_p12)', 'dkhse_p12') }} as dkhse_yoy,
    cast(dkhse_ytd as decimal(18, 2)) as dkhse_ytd,
    cast(dkye as decimal(18, 2)) as dkye,
    {{ safe_ratio('(dkye - dkye_p1)', 'dkye_p1') }} as dkye_mom,
    {{ safe_ratio('(dkye - dkye_p12)', 'dkye_p12') }} as dkye_yoy,
    cast(yqe as decimal(18, 2)) as yqe,
    cast(tql as decimal(12, 6)) as tql,
    cast(gdl as decimal(12, 6)) as gdl,
    cast(yql as decimal(12, 6)) as yql,
    cast(jcye - dkye as decimal(18, 2)) as zjye
from lagged
