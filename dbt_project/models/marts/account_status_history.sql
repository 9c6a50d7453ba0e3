-- Personal account status intervals (个人账户状态历史).
select
    djlsh,
    grzh,
    grzhzt,
    ygrzhzt,
    bgyy,
    valid_from,
    valid_to,
    is_current
from {{ ref('int_account_status_history') }}
