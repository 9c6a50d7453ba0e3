{#- Current version of every key of a core bronze table: latest by upd_tm, then _ingested_at.
    `where` filters bronze before the de-duplication (used by incremental marts). -#}
{% macro core_latest(table, keys, where=none) -%}
    select *
    from {{ source('core', table) }}
    {% if where %}where {{ where }}{% endif %}
    qualify row_number() over (
        partition by {{ keys | join(', ') }}
        order by upd_tm desc, _ingested_at desc
    ) = 1
{%- endmacro %}

{#- Current version of every key of a feed: latest file (_ingested_at), then last row in it. -#}
{% macro feed_latest(feed, keys) -%}
    select *
    from {{ source('feeds', feed) }}
    qualify row_number() over (
        partition by {{ keys | join(', ') }}
        order by _ingested_at desc, _row_number desc
    ) = 1
{%- endmacro %}


{#- The bronze rows an incremental model has not seen yet (ingested after its newest row), latest
    version per key; the whole table on a first or full-refresh build. -#}
{% macro core_increment(table, keys) -%}
    {%- if is_incremental() -%}
    {{ core_latest(table, keys, where='_ingested_at > (select max(m._ingested_at) from ' ~ this ~ ' as m)') }}
    {%- else -%}
    {{ core_latest(table, keys) }}
    {%- endif -%}
{%- endmacro %}
