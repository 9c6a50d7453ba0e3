-- City-level monthly indicators with the annual-report ratios (DOMAIN.md §2.6, §7):
-- 提取率 tql = tqe / jce; 个贷率 gdl = dkye / jcye; 个贷逾期率 yql = yqe / dkye.
-- Head counts are summed over districts × unit types (a person paying in two groups counts twice).
with monthly as (
    select
        tjny,
        sum(sjdws) as sjdws,
        sum(sjzgs) as sjzgs,
        sum(xkhzgs) as xkhzgs,
        sum(jce) as jce,
        sum(jcye) as jcye,
        sum(tqrs) as tqrs,
        sum(tqe) as tqe,
        sum(dkffbs) as dkffbs,
        sum(dkffe) as dkffe,
        sum(dkhse) as dkhse,
        sum(dkye) as dkye,
        sum(yqe) as yqe
    from {{ ref('indicator_monthly') }}
    group by tjny
)

select
    tjny,
    cast(sjdws as integer) as sjdws,
    cast(sjzgs as integer) as sjzgs,
    cast(xkhzgs as integer) as xkhzgs,
    cast(jce as decimal(18, 2)) as jce,
    cast(jcye as decimal(18, 2)) as jcye,
    cast(tqrs as integer) as tqrs,
    cast(tqe as decimal(18, 2)) as tqe,
    cast(dkffbs as integer) as dkffbs,
    cast(dkffe as decimal(18, 2)) as dkffe,
    cast(dkhse as decimal(18, 2)) as dkhse,
    cast(dkye as decimal(18, 2)) as dkye,
    cast(yqe as decimal(18, 2)) as yqe,
    {{ safe_ratio('tqe', 'jce') }} as tql,
    {{ safe_ratio('dkye', 'jcye') }} as gdl,
    {{ safe_ratio('yqe', 'dkye') }} as yql
from monthly
