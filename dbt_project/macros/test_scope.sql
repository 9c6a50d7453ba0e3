{#- Tests on an incremental model check the rows its latest run wrote (newest _dbt_loaded_at): on a
    full build that is every row, on a daily run the day's rows — so a daily build's tests cost what
    the day's data costs. Sound for the keys because the model merges on them (delete+insert): unique
    within the new rows is unique in the table. `--vars '{test_all_rows: true}'` tests every row.
    A test's own `where` config is kept as dbt does. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where and not var('test_all_rows', false) and is_stamped_incremental(relation) -%}
        {%- set where = '_dbt_loaded_at >= (select max(_dbt_loaded_at) from ' ~ relation ~ ')' -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{% macro is_stamped_incremental(relation) -%}
    {%- if not execute or relation.identifier is not defined -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier and node.schema == relation.schema
              and node.config.materialized == 'incremental' and '_dbt_loaded_at' in node.columns -%}
            {%- do return(true) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(false) -%}
{%- endmacro %}
