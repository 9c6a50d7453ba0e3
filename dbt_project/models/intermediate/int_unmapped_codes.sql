-- Conformance of recoded fields: per staging model and column, the rows whose local code has no
-- mapping ('UNMAPPED') and the vendor dates that failed to parse (now NULL). Zero rows are kept so
-- a reader sees every checked column. The quality work (issue #4) scores these (规范性, JC-08).
-- One scan per relation (all its columns counted at once, then unpivoted); the personal ledger is
-- counted on the materialized member_transaction (1:1 with its staging view, whose de-duplication of
-- 33 M bronze rows would otherwise run again here).
{%- set code_columns = [
    ('stg_core__units', ['dwjjlx', 'dwsshy', 'xzqh', 'dwlb']),
    ('stg_core__persons', ['xingbie', 'zjlx', 'hyzk']),
    ('stg_core__unit_accounts', ['dwzhzt']),
    ('stg_core__personal_accounts', ['grzhzt', 'xhyy']),
    ('stg_core__account_status_log', ['ygrzhzt', 'grzhzt']),
    ('stg_core__unit_transactions', ['ywmxlx', 'czbz']),
    ('member_transaction', ['gjhtqywlx', 'czbz']),
    ('stg_core__withdrawals', ['tqyy', 'tqfs']),
    ('stg_core__loan_contracts', ['dkhkfs', 'dkdblx', 'dklx', 'fwxz']),
    ('stg_core__loan_accounts', ['dkfxdj', 'dkzt']),
    ('stg_core__loan_transactions', ['dkywmxlx', 'czbz']),
    ('stg_ga__population_register', ['xingbie']),
] -%}
{%- set date_columns = [
    ('cm_unit', ['unit_no'], ['found_dt']),
    ('cm_person', ['cust_no'], ['birth_dt']),
    ('dp_unit_acct', ['unit_no'], ['open_dt', 'close_dt', 'defer_end_dt']),
    ('dp_indi_acct', ['indi_acct'], ['open_dt', 'close_dt']),
    ('dp_state_log', ['log_no'], ['chg_dt']),
    ('dw_draw', ['draw_no'], ['apply_dt', 'appr_dt', 'buy_dt']),
    ('ln_contract', ['contract_no'], ['apply_dt', 'appr_dt', 'sign_dt']),
    ('ln_account', ['loan_acct'], ['issue_dt', 'settle_dt']),
    ('ln_plan', ['loan_acct', 'term_no'], ['due_dt']),
    ('ln_overdue', ['ovd_id'], ['due_dt', 'paid_dt']),
] -%}

{%- for model, columns in code_columns %}
select '{{ model }}' as model_name, column_name, 'UNMAPPED' as issue, n_rows
from (
    select
        {%- for column in columns %}
        count(*) filter (where {{ column }} = 'UNMAPPED')::integer as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref(model) }}
) unpivot (n_rows for column_name in ({{ columns | join(', ') }}))
union all
{%- endfor %}
{%- for table, keys, columns in date_columns %}
select 'source:core.{{ table }}', column_name, 'INVALID_DATE', n_rows
from (
    select
        {%- for column in columns %}
        count(*) filter (where {{ is_invalid_date(column) }})::integer as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from ({{ core_latest(table, keys) }})
) unpivot (n_rows for column_name in ({{ columns | join(', ') }}))
{% if not loop.last %}union all{% endif %}
{%- endfor %}
