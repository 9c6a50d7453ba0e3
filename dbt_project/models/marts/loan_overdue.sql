-- Overdue instalments (逾期): every planned instalment paid late or unpaid past its due date.
select
    dkzh || '|' || dqqc as yqid,
    dkzh,
    dqqc,
    yhrq,
    dqjhhkje,
    dqjhghbj,
    dqjhghlx,
    sjhkbj,
    sjhkrq,
    is_paid,
    yqts
from {{ ref('int_loan_schedule_vs_actuals') }}
where yqts > 0
