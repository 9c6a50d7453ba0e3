-- End-of-month balance per personal account, from the running ledger (sparse: months with movements;
-- the balance holds until next_tjny). ye_ledger is the vendor's balance after the month's last row,
-- ye_running the running sum of signed amounts: they differ only where the ledger is broken (JC-15).
with txns as (
    select
        grzh,
        ywlsh,
        jzrq,
        fse,
        grzhye,
        {{ month_of('jzrq') }} as tjny
    from {{ ref('stg_core__personal_transactions') }}
),

monthly as (
    select
        grzh,
        tjny,
        sum(fse) as fse_month,
        arg_max(grzhye, jzrq::varchar || ywlsh) as ye_ledger,
        count(*) as txn_count
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
        lead(tjny) over (partition by grzh order by tjny) as next_tjny -- 下一个有发生额的月份
    from monthly
)

select * from running
