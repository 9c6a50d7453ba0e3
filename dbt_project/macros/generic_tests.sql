{#- Generic test: the combination of columns is unique. -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Generic test: rows where the SQL expression is false (NULL counts as passing). -#}
{% test expression_is_true(model, expression, where=none) %}
    select *
    from {{ model }}
    where not ({{ expression }})
    {% if where %}and ({{ where }}){% endif %}
{% endtest %}
