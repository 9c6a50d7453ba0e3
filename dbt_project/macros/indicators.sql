{#- Each unit's district (xzqh, GB/T 2260) and MOHURD unit type (dwlb) for the indicator marts; a unit
    without a mapped district or type counts under the city (411200) and type 007 其他. -#}
{% macro unit_groups() -%}
    select
        dwzh,
        case when xzqh is null or xzqh = 'UNMAPPED' then '411200' else xzqh end as xzqh,
        case when dwlb is null or dwlb = 'UNMAPPED' then '007' else dwlb end as dwlb
    from {{ ref('stg_core__units') }}
{%- endmacro %}
