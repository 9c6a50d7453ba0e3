-- The personal-ledger part of indicator_monthly (实缴单位/职工, 缴存额, net flow, 提取人数/额 by reason)
-- per month, district and unit type: the one scan of the whole ledger behind the indicators.
-- Incremental by month: a run recomputes the months that have ledger rows newer than this table's
-- newest (new or changed rows; a month is recomputed whole because distinct counts do not add up),
-- and every month when any unit's district or type changed (unit_groups_hash, a fingerprint of the
-- unit → group mapping); those months are replaced. Same rows as a full build.
{{
    config(
        materialized='incremental',
        unique_key='tjny',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

with units as (
    {{ unit_groups() }}
),

fingerprint as (
    select coalesce(bit_xor(hash(dwzh, xzqh, dwlb)), 0) as unit_groups_hash from units
),

{% set incremental = is_incremental_with('unit_groups_hash') -%}
{% if incremental -%}
months_to_build as (
    select distinct {{ month_of('jzrq') }} as tjny
    from {{ ref('member_transaction') }}
    where _ingested_at > (select max(m._ingested_at) from {{ this }} as m)
    union
    select m.tjny
    from {{ this }} as m
    where m.unit_groups_hash <> (select f.unit_groups_hash from fingerprint as f)
),
{%- endif %}

txns as (
    select
        {{ month_of('t.jzrq') }} as tjny,
        coalesce(u.xzqh, '411200') as xzqh,
        coalesce(u.dwlb, '007') as dwlb,
        t.dwzh,
        t.grzh,
        t.gjhtqywlx,
        t.fse,
        t.tqyy,
        t._ingested_at
    from {{ ref('member_transaction') }} as t
    left join units as u on u.dwzh = t.dwzh
    {%- if incremental %}
    where t.jzrq >= (select min(strptime(b.tjny, '%Y-%m'))::date from months_to_build as b)
      and {{ month_of('t.jzrq') }} in (select b.tjny from months_to_build as b)
    {%- endif %}
),

measures as (
    select
        tjny, -- 统计年月 (YYYY-MM)
        xzqh, -- 行政区划 (GB/T 2260)
        dwlb, -- 单位类别 (MOHURD)
        count(distinct case when gjhtqywlx in ('01', '02') and fse > 0 then dwzh end) as sjdws, -- 实缴单位数
        count(distinct case when gjhtqywlx in ('01', '02') and fse > 0 then grzh end) as sjzgs, -- 实缴职工人数
        sum(case when gjhtqywlx in ('01', '02') then fse else 0 end) as jce, -- 缴存额
        sum(fse) as net_flow, -- 当月净发生额 (缴存余额的变动)
        count(distinct case when gjhtqywlx in ('11', '12') then grzh end) as tqrs, -- 提取人数
        -sum(case when gjhtqywlx in ('11', '12') then fse else 0 end) as tqe, -- 提取额
        -sum(case when gjhtqywlx in ('11', '12') and tqyy in ('01', '02') then fse else 0 end) as tqe_gf, -- 购房提取额
        -sum(case when gjhtqywlx in ('11', '12') and tqyy = '06' then fse else 0 end) as tqe_hd, -- 还贷提取额
        -sum(case when gjhtqywlx in ('11', '12') and tqyy = '07' then fse else 0 end) as tqe_zf, -- 租房提取额
        -sum(case when gjhtqywlx in ('11', '12') and tqyy = '03' then fse else 0 end) as tqe_lt, -- 离退休提取额
        -sum(
            case when gjhtqywlx in ('11', '12') and (tqyy is null or tqyy not in ('01', '02', '03', '06', '07'))
                then fse else 0 end
        ) as tqe_qt, -- 其他提取额
        max(_ingested_at) as _ingested_at -- 该月最新明细的入湖时间 (增量水位)
    from txns
    group by tjny, xzqh, dwlb
)

select
    m.*,
    (select f.unit_groups_hash from fingerprint as f) as unit_groups_hash, -- 单位→区县/类别映射指纹
    {{ dbt_loaded_at() }} as _dbt_loaded_at -- 本行写入的 dbt 运行时间
from measures as m
