{#- Full years of age on `at_date` (birthday counted on its anniversary). -#}
{% macro age_at(birth_date, at_date) -%}
    (
        {{ dbt.datediff(birth_date, at_date, 'year') }}
        - case
            when extract(month from {{ at_date }}) * 100 + extract(day from {{ at_date }})
                < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
                then 1
            else 0
        end
    )
{%- endmacro %}

{#- Annuity (等额本息) monthly instalment: P·r·(1+r)^n / ((1+r)^n − 1), r = annual rate / 12. -#}
{% macro annuity_instalment(principal, annual_rate, terms) -%}
    cast(round(
        case
            when {{ annual_rate }} = 0 then {{ principal }} / {{ terms }}
            else {{ principal }} * ({{ annual_rate }} / 12.0) * power(1 + {{ annual_rate }} / 12.0, {{ terms }})
                / (power(1 + {{ annual_rate }} / 12.0, {{ terms }}) - 1)
        end, 2) as decimal(18, 2))
{%- endmacro %}

{#- Days past due: from the due date to the payment date (or `as_of` while unpaid), never negative. -#}
{% macro overdue_days(due_date, paid_date, as_of) -%}
    greatest({{ dbt.datediff(due_date, 'coalesce(' ~ paid_date ~ ', ' ~ as_of ~ ')', 'day') }}, 0)
{%- endmacro %}

{#- The business date: var('biz_date') or the core system's BIZ_DATE (sys_ctl). -#}
{% macro biz_date() -%}
    {%- if var('biz_date', none) -%}
        date '{{ var("biz_date") }}'
    {%- else -%}
        (select max(s.ctl_date) from {{ ref('stg_core__system_controls') }} as s where s.ctl_key = 'BIZ_DATE')
    {%- endif -%}
{%- endmacro %}

{#- numerator / denominator as DECIMAL(12,6); NULL when the denominator is 0 or NULL. -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast(case when {{ denominator }} <> 0 then {{ numerator }} / {{ denominator }} end as decimal(12, 6))
{%- endmacro %}
