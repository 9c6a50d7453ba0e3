-- Persons of the core system linked to partner records by ID number (证件号码).
with persons as (
    select khh, upper(zjhm) as zjhm from {{ ref('stg_core__persons') }} where zjhm is not null
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

links as (
    select
        p.khh || '|' || i.feed || '|' || i.partner_key as link_id, -- 关联键
        p.khh, -- 客户号
        p.zjhm, -- 证件号码
        i.feed, -- 共享数据来源 ga公安 mz民政 sb社保 bdc不动产
        i.partner_key, -- 共享记录键
        i._ingested_at -- 共享记录入湖时间
    from persons as p
    inner join partner_ids as i on i.zjhm = p.zjhm
)

select * from links
