"""贷款负担与逾期（按发放年份）+ 政策模拟 — loan affordability and overdue by cohort, and a what-if."""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from analytics.snapshot import open_snapshot, snapshot_database, store_path
    from gjj.settings import Settings

    settings = Settings()
    con = open_snapshot(settings)
    mo.md(f"# 贷款负担与逾期：按发放年份\n数据源 `{snapshot_database(settings)}` (只读)")
    return con, mo, settings, store_path


@app.cell
def _(con):
    # Cohort = year of issue. Affordability: the first instalment against the borrower's monthly income,
    # estimated from the contribution base (缴存基数 ≈ 月工资); an annuity instalment at the loan's rate.
    cohorts = con.sql("""
        WITH l AS (
            SELECT year(l.dkffrq) AS cohort, l.dkffe::DOUBLE AS dkffe, l.dkqs, l.dkll::DOUBLE AS rate,
                   a.grjcjs::DOUBLE AS income, l.dkye::DOUBLE AS dkye, coalesce(l.ljyqqs, 0) AS ljyqqs,
                   coalesce(l.dqyqqs, 0) AS dqyqqs
            FROM marts.loan_account AS l LEFT JOIN marts.member_account AS a ON a.grzh = l.jkrgjjzh
            WHERE l.dkffrq IS NOT NULL AND l.dkqs > 0
        ),
        pay AS (
            SELECT *, CASE WHEN rate > 0 THEN dkffe * (rate / 12) / (1 - pow(1 + rate / 12, -dkqs))
                           ELSE dkffe / dkqs END AS instalment
            FROM l
        )
        SELECT cohort AS 发放年份, count(*) AS 笔数, round(avg(dkffe) / 1e4, 2) AS 平均贷款额_万元,
               round(median(instalment / nullif(income, 0)), 4) AS 月供收入比_中位数,
               round(avg(CASE WHEN instalment / nullif(income, 0) > 0.5 THEN 1 ELSE 0 END), 4) AS 月供超收入一半占比,
               round(avg(CASE WHEN ljyqqs > 0 THEN 1 ELSE 0 END), 4) AS 曾逾期占比,
               sum(CASE WHEN dqyqqs > 0 THEN 1 ELSE 0 END) AS 当前逾期笔数
        FROM pay GROUP BY cohort ORDER BY cohort
    """).pl()
    cohorts  # noqa: B018 (the cell's output)
    return (cohorts,)


@app.cell
def _(cohorts, mo):
    worst = cohorts.sort("曾逾期占比", descending=True).row(0, named=True)
    mo.md(f"曾逾期比例最高的是 **{worst['发放年份']}** 年发放的贷款：{worst['曾逾期占比']:.1%}"
          f"（月供收入比中位数 {worst['月供收入比_中位数'] or 0:.2f}）。")
    return (worst,)


@app.cell
def _(mo, settings, store_path):
    # 政策模拟 what-if: raise the loan cap, tighten rent withdrawals: the projected 个贷率 in 12 months.
    import duckdb

    from analytics.forecast import Scenario, policy_parameter, what_if
    from analytics.snapshot import current_version

    path = store_path(settings, current_version(settings))
    if not path.is_file():
        scenarios = None
        view = mo.md(f"分析库 `{path}` 尚未生成：运行 `gjj analytics build` 后重新执行本单元。")
    else:
        store = duckdb.connect(str(path), read_only=True)
        rows = []
        for label, scenario in [("现行政策", Scenario()), ("贷款最高额度 80 万", Scenario(loan_cap=800_000)),
                                ("贷款最高额度 40 万", Scenario(loan_cap=400_000)),
                                ("租房提取 +50%", Scenario(withdrawal_reason="zf", withdrawal_change=0.5)),
                                ("缴存基数上限 3 万", Scenario(deposit_base_cap=30_000))]:
            factors, months = what_if(store, scenario)
            rows.append({"情景": label, "12个月后个贷率": round(months["gdl"][-1], 4),
                         "12个月后可用资金_万元": round(months["zjye"][-1] / 1e4, 2),
                         "说明": "；".join(factors.notes) or "—"})
        store.close()
        import polars as pl

        scenarios = pl.DataFrame(rows)
        view = mo.vstack([mo.md(f"个贷率预警阈值 {policy_parameter('GDL_WARN'):.0%}"), scenarios])
    view  # noqa: B018 (the cell's output)
    return (scenarios,)


if __name__ == "__main__":
    app.run()
