-- Each planned instalment next to what was actually repaid for it (normal, overdue and HPF-funded
-- repayments, reversals excluded), the recomputed annuity instalment and the days past due.
-- Incremental by loan: a run recomputes whole loans (all their instalments) whose plan, account,
-- contract or transactions have bronze rows newer than this table's newest, and the loans with an
-- unpaid instalment already due, whose days past due grow with the business date; it replaces those
-- loans' rows. Same rows as a full build.
{{
    config(
        materialized='incremental',
        unique_key='dkzh',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{% set incremental = is_incremental_with('_ingested_at') -%}
{% if incremental -%}
{%- set watermark = '(select max(m._ingested_at) from ' ~ this ~ ' as m)' -%}
with changed_loans as (
    select dkzh from {{ ref('stg_core__loan_plans') }} where _ingested_at > {{ watermark }}
    union
    select dkzh from {{ ref('stg_core__loan_transactions') }} where _ingested_at > {{ watermark }}
    union
    select dkzh from {{ ref('stg_core__loan_accounts') }} where _ingested_at > {{ watermark }}
    union
    select a.dkzh
    from {{ ref('stg_core__loan_accounts') }} as a
    inner join {{ ref('stg_core__loan_contracts') }} as c on c.jkhtbh = a.jkhtbh
    where c._ingested_at > {{ watermark }}
    union
    select dkzh from {{ this }} where not is_paid and yhrq <= {{ biz_date() }}
),

plans as (
    select * from {{ ref('stg_core__loan_plans') }} where dkzh in (select dkzh from changed_loans)
),
{%- else -%}
with plans as (
    select * from {{ ref('stg_core__loan_plans') }}
),
{%- endif %}

loans as (
    select
        a.dkzh,
        a.dkffe,
        a.dkll,
        a.dkqs,
        a.dkjqrq,
        c.dkhkfs,
        greatest(a._ingested_at, c._ingested_at) as _ingested_at
    from {{ ref('stg_core__loan_accounts') }} as a
    left join {{ ref('stg_core__loan_contracts') }} as c on c.jkhtbh = a.jkhtbh
),

repaid as (
    select
        dkzh,
        dqqc,
        sum(bjje) as sjhkbj,
        sum(lxje) as sjhklx,
        sum(fxje) as sjhkfx,
        max(ywfsrq) as sjhkrq,
        max(_ingested_at) as _ingested_at
    from {{ ref('stg_core__loan_transactions') }}
    where dkywmxlx in ('02', '04', '05') and czbz = '01' and dqqc is not null
      {%- if incremental %}
      and dkzh in (select dkzh from changed_loans)
      {%- endif %}
    group by dkzh, dqqc
),

joined as (
    select
        p.dkzh, -- 贷款账号
        p.dqqc, -- 当期期次
        p.yhrq, -- 应还日期
        p.dqjhhkje, -- 当期计划还款金额
        p.dqjhghbj, -- 当期计划归还本金
        p.dqjhghlx, -- 当期计划归还利息
        p.hkjhzt, -- 还款计划状态 (local)
        l.dkhkfs, -- 还款方式 (A.0.11)
        case when l.dkhkfs = '01' then {{ annuity_instalment('l.dkffe', 'l.dkll', 'l.dkqs') }} end as dqjhhkje_js, -- 等额本息月还款额 (按公式重算)
        cast(coalesce(r.sjhkbj, 0) as decimal(18, 2)) as sjhkbj, -- 实际归还本金
        cast(coalesce(r.sjhklx, 0) as decimal(18, 2)) as sjhklx, -- 实际归还利息
        cast(coalesce(r.sjhkfx, 0) as decimal(18, 2)) as sjhkfx, -- 实际归还罚息
        r.sjhkrq, -- 实际还款日期 (最后一笔)
        coalesce(r.sjhkbj, 0) >= p.dqjhghbj as is_paid, -- 本金已足额归还
        l.dkjqrq, -- 贷款结清日期
        greatest(p._ingested_at, l._ingested_at, r._ingested_at) as _ingested_at -- 计划/贷款/还款最新入湖时间 (增量水位)
    from plans as p
    left join loans as l on l.dkzh = p.dkzh
    left join repaid as r on r.dkzh = p.dkzh and r.dqqc = p.dqqc
),

final as (
    select
        *,
        case
            when yhrq > {{ biz_date() }} then 0
            when is_paid then {{ overdue_days('yhrq', 'sjhkrq', biz_date()) }}
            else {{ overdue_days('yhrq', 'null::date', biz_date()) }}
        end as yqts, -- 逾期天数 (到还款日或业务日期)
        {{ dbt_loaded_at() }} as _dbt_loaded_at -- 本行写入的 dbt 运行时间
    from joined
)

select * from final
