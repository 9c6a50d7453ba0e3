{#- Vendor CHAR(8) 'YYYYMMDD' → DATE; an invalid date becomes NULL (counted in int_unmapped_codes). -#}
{% macro to_date(expr) -%}
    try_strptime(nullif(trim({{ expr }}), ''), '%Y%m%d')::date
{%- endmacro %}

{#- Whether a non-empty vendor date fails to parse. -#}
{% macro is_invalid_date(expr) -%}
    (nullif(trim({{ expr }}), '') is not null and try_strptime(trim({{ expr }}), '%Y%m%d') is null)
{%- endmacro %}

{#- Vendor CHAR(6) 'YYYYMM' → 'YYYY-MM' text (NULL when not a month). -#}
{% macro to_month(expr) -%}
    case
        when regexp_full_match({{ expr }}, '[0-9]{4}(0[1-9]|1[0-2])')
            then substr({{ expr }}, 1, 4) || '-' || substr({{ expr }}, 5, 2)
    end
{%- endmacro %}

{#- DATE → 'YYYY-MM'. -#}
{% macro month_of(expr) -%}
    strftime({{ expr }}, '%Y-%m')
{%- endmacro %}

{% macro amount(expr) -%}
    cast({{ expr }} as decimal(18, 2))
{%- endmacro %}

{#- JGJ/T 320 rates DECIMAL(8,7); contribution ratios kept at 4 decimals (DECIMAL(6,4)). -#}
{% macro rate(expr) -%}
    cast({{ expr }} as decimal(8, 7))
{%- endmacro %}

{% macro ratio(expr) -%}
    cast({{ expr }} as decimal(6, 4))
{%- endmacro %}

{#- Local code → standard code through seeds/mappings/map_<field>.csv.
    NULL stays NULL (a missing value, measured by completeness rules); a non-null local code
    without a mapping becomes the explicit value 'UNMAPPED' (counted by int_unmapped_codes). -#}
{% macro recode(map_name, expr, column='std_code') -%}
    case
        when {{ expr }} is null then null
        else coalesce(
            (select m.{{ column }} from {{ ref(map_name) }} as m where m.local_code = {{ expr }}),
            'UNMAPPED'
        )
    end
{%- endmacro %}
