-- General-ledger balances per subject and month (总账), with the subject's name.
select
    g.kmbh || '|' || g.kjqj as zzid,
    g.kmbh,
    s.kmmc,
    g.kjqj,
    g.qcye,
    g.jffse,
    g.dffse,
    g.qmye,
    g.yefx
from {{ ref('stg_core__general_ledger') }} as g
left join {{ ref('stg_core__subjects') }} as s on s.kmbh = g.kmbh
