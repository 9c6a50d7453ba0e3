{#- Current version of every key of a core bronze table: latest by upd_tm, then _ingested_at.
    `where` filters bronze before the de-duplication (used by incremental marts).
    Each extraction batch holds one version per key (the source's primary key, read once per batch),
    so the first batch's rows whose key no later batch brought again are current as they are; only
    keys seen again later go through the window. On a first build (one batch) that is a plain scan,
    not a sort of tens of millions of rows; the result is the same as ranking every row. -#}
{% macro core_latest(table, keys, where=none) -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set versions -%}
        (select * from {{ source('core', table) }}{% if where %} where {{ where }}{% endif %})
    {%- endset -%}
    {%- set later_keys -%}
        (select {{ key_list }} from {{ versions }}
         where _ingested_at > (select min(_ingested_at) from {{ versions }}))
    {%- endset -%}
    select * from (
        select first_batch.*
        from {{ versions }} as first_batch
        anti join {{ later_keys }} as later using ({{ key_list }})
        where first_batch._ingested_at = (select min(_ingested_at) from {{ versions }})
        union all
        (
            select repeated.*
            from {{ versions }} as repeated
            semi join {{ later_keys }} as later using ({{ key_list }})
            qualify row_number() over (
                partition by {{ key_list }}
                order by upd_tm desc, _ingested_at desc
            ) = 1
        )
    )
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


{#- When this dbt run started (UTC): stamped on the rows an incremental mart inserts, so that a reader
    (the publisher) can take exactly the rows changed since it last looked — a full refresh restamps all. -#}
{% macro dbt_loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{#- is_incremental(), and the existing table already has `column` (its incremental watermark): a table
    built before the model became incremental is rebuilt in full once instead of failing on the
    missing column. -#}
{% macro is_incremental_with(column) -%}
    {%- if not is_incremental() -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- do return(column in existing) -%}
{%- endmacro %}
