{#- Generic test: every non-null value of the column is a code of the given code-table seed. -#}
{% test in_code_table(model, column_name, table, code_column='code') %}
    select {{ column_name }} as bad_code, count(*) as n_rows
    from {{ model }}
    where {{ column_name }} is not null
      and {{ column_name }} not in (select t.{{ code_column }} from {{ table }} as t)
    group by 1
{% endtest %}
