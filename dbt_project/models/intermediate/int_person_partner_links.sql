-- Persons of the core system linked to partner records by ID number (证件号码).
-- Incremental by person: a run recomputes every link of the persons whose core record changed since
-- the last run and of the persons matched by partner records ingested since then, and replaces those
-- persons' links (a changed ID number drops its old links). Same rows as a full build.
{{
    config(
        materialized='incremental',
        unique_key='khh',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{% set incremental = is_incremental_with('_person_ingested_at') -%}
with all_persons as (
    select khh, upper(zjhm) as zjhm, _ingested_at from {{ ref('stg_core__persons') }}
),

partner_ids as (
    select 'ga' as feed, zjhm as partner_key, upper(zjhm) as zjhm, _ingested_at from {{ ref('stg_ga__population_register') }}
    union all
    select 'mz', djzh, upper(nfzjhm), _ingested_at from {{ ref('stg_mz__marriage_registrations') }}
    union all
    select 'mz', djzh, upper(vfzjhm), _ingested_at from {{ ref('stg_mz__marriage_registrations') }}
    union all
    select 'sb', zjhm || '|' || zzjgdm || '|' || jfny, upper(zjhm), _ingested_at from {{ ref('stg_sb__contribution_bases') }}
    union all
    select 'bdc', djywh || '|' || qlrzjhm, upper(qlrzjhm), _ingested_at from {{ ref('stg_bdc__property_registrations') }}
),

persons as (
    select khh, zjhm, _ingested_at from all_persons
    where zjhm is not null
    {%- if incremental %}
      and khh in (
        select khh from all_persons
        where _ingested_at > (select max(m._person_ingested_at) from {{ this }} as m)
        union
        select p.khh from all_persons as p
        inner join partner_ids as i on i.zjhm = p.zjhm
        where i._ingested_at > (select max(m._ingested_at) from {{ this }} as m)
      )
    {%- endif %}
),

links as (
    select
        p.khh || '|' || i.feed || '|' || i.partner_key as link_id, -- 关联键
        p.khh, -- 客户号
        p.zjhm, -- 证件号码
        i.feed, -- 共享数据来源 ga公安 mz民政 sb社保 bdc不动产
        i.partner_key, -- 共享记录键
        i._ingested_at, -- 共享记录入湖时间
        p._ingested_at as _person_ingested_at, -- 人员记录入湖时间 (增量水位)
        {{ dbt_loaded_at() }} as _dbt_loaded_at -- 本行写入的 dbt 运行时间
    from persons as p
    inner join partner_ids as i on i.zjhm = p.zjhm
)

select * from links
