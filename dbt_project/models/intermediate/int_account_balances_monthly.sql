-- End-of-month balance per personal account, from the running ledger (sparse: months with movements;
-- the balance holds until next_tjny). ye_ledger is the vendor's balance after the month's last row,
-- ye_running the running sum of signed amounts: they differ only where the ledger is broken (JC-15).
-- Reads the materialized, de-duplicated ledger (member_transaction). Incremental: a run recomputes
-- every month of the accounts that have ledger rows newer than this table's newest (a running sum
-- needs the account's history) and replaces those accounts' rows; other accounts are not touched.
{{
    config(
        materialized='incremental',
        unique_key=['grzh', 'tjny'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

with txns as (
    select
        grzh,
        ywlsh,
        jzrq,
        fse,
        grzhye,
        _ingested_at,
        {{ month_of('jzrq') }} as tjny
    from {{ ref('member_transaction') }}
    {%- if is_incremental() %}
    where grzh in (
        select grzh from {{ ref('member_transaction') }}
        where _ingested_at > (select max(m._ingested_at) from {{ this }} as m)
    )
    {%- endif %}
),

monthly as (
    select
        grzh,
        tjny,
        sum(fse) as fse_month,
        arg_max(grzhye, jzrq::varchar || ywlsh) as ye_ledger,
        count(*) as txn_count,
        max(_ingested_at) as _ingested_at
    from txns
    group by grzh, tjny
),

running as (
    select
        grzh, -- 个人账号
        tjny, -- 统计年月 (YYYY-MM)
        cast(fse_month as decimal(18, 2)) as fse_month, -- 当月净发生额
        cast(ye_ledger as decimal(18, 2)) as ye_ledger, -- 月末余额 (明细账交易后余额)
        cast(sum(fse_month) over (partition by grzh order by tjny rows unbounded preceding) as decimal(18, 2)) as ye_running, -- 月末余额 (发生额累计)
        txn_count, -- 当月笔数
        lead(tjny) over (partition by grzh order by tjny) as next_tjny, -- 下一个有发生额的月份
        _ingested_at, -- 该月最新明细的入湖时间 (增量水位)
        {{ dbt_loaded_at() }} as _dbt_loaded_at -- 本行写入的 dbt 运行时间
    from monthly
)

select * from running
