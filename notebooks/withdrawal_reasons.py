"""提取原因（按年龄段）— withdrawal reasons by age band, over the published snapshot (read-only)."""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from analytics.indicators import REPO
    from analytics.snapshot import open_snapshot, snapshot_database
    from gjj.settings import Settings

    settings = Settings()
    con = open_snapshot(settings)
    mo.md(f"# 提取原因：按年龄段\n数据源 `{snapshot_database(settings)}` (脱敏分析库，只读)；年龄段为分析库的10岁分段（如 30-39，个人信息保护泛化）")
    return REPO, con, mo


@app.cell
def _(REPO, con):
    # Withdrawals of the last 24 months, by the member's age band and the withdrawal reason (A.0.7).
    reasons = con.sql(f"""
        WITH names AS (
            SELECT code, name FROM read_csv('{REPO}/dbt_project/seeds/code_tables/a0_7_tqyy.csv', all_varchar = true)
        ),
        w AS (
            -- the analyst edition carries ages only as 10-year bands ('30-39', generalised for analysts, issue #5)
            SELECT t.grzh, t.tqyy, -t.fse::DOUBLE AS tqe, coalesce(CAST(a.nl AS VARCHAR), '未知') AS age_band
            FROM marts.member_transaction AS t
            JOIN marts.member_account AS a USING (grzh)
            WHERE t.gjhtqywlx IN ('11', '12')
              AND t.jzrq > (SELECT max(jzrq) FROM marts.member_transaction) - INTERVAL 24 MONTH
        )
        SELECT w.age_band AS 年龄段, coalesce(n.name, w.tqyy, '未填') AS 提取原因, count(*) AS 笔数,
               count(DISTINCT w.grzh) AS 人数, round(sum(w.tqe) / 1e4, 2) AS 金额_万元,
               round(sum(w.tqe) / sum(sum(w.tqe)) OVER (PARTITION BY w.age_band), 4) AS 年龄段内占比
        FROM w LEFT JOIN names AS n ON n.code = w.tqyy
        GROUP BY w.age_band, coalesce(n.name, w.tqyy, '未填') ORDER BY 年龄段, 金额_万元 DESC
    """).pl()
    reasons  # noqa: B018 (the cell's output)
    return (reasons,)


@app.cell
def _(mo, reasons):
    import polars as pl

    top = reasons.sort("金额_万元", descending=True).group_by("年龄段", maintain_order=True).first().sort("年龄段")
    lines = [f"- {r['年龄段']}：{r['提取原因']}（占该年龄段提取额 {r['年龄段内占比']:.1%}）"
             for r in top.iter_rows(named=True)]
    share = reasons.pivot(on="年龄段", index="提取原因", values="年龄段内占比").fill_null(0)
    mo.vstack([mo.md("各年龄段第一位的提取原因：\n" + "\n".join(lines)), share])
    return (top, pl)


if __name__ == "__main__":
    app.run()
