-- Effective-dated policy parameters: the core system's pb_param plus what the core lacks (seed).
select
    csdm, -- 参数代码
    csmc, -- 参数名称
    csz, -- 参数值
    valid_from, -- 生效日期
    valid_to, -- 失效日期
    'core:pb_param' as source -- 来源
from {{ ref('stg_core__policy_parameters') }}
union all
select
    param_cd,
    param_nm,
    param_val,
    valid_from,
    valid_to,
    'seed: ' || source
from {{ ref('seed_policy_parameters') }}
