"""缴存趋势（按单位性质）— deposit trends by unit type, over the published snapshot (read-only)."""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analytics.indicators import REPO
    from analytics.snapshot import open_snapshot, snapshot_database
    from gjj.settings import Settings

    settings = Settings()
    con = open_snapshot(settings)
    mo.md(f"# 缴存趋势：按单位性质\n数据源 `{snapshot_database(settings)}` (只读)")
    return REPO, con, mo, plt


@app.cell
def _(REPO, con):
    # Annual deposits per unit type with year-on-year growth: full years only (12 months present).
    by_type = con.sql(f"""
        WITH names AS (
            SELECT code, name FROM read_csv('{REPO}/dbt_project/seeds/code_tables/mohurd_dwlb.csv', all_varchar = true)
        ),
        yearly AS (
            SELECT substr(tjny, 1, 4) AS nian, dwlb, sum(jce)::DOUBLE AS jce, sum(sjzgs) AS zgs_months,
                   count(DISTINCT tjny) AS months
            FROM marts.indicator_monthly GROUP BY ALL
        )
        SELECT y.nian AS 年度, y.dwlb AS 单位类别, coalesce(n.name, y.dwlb) AS 单位性质,
               round(y.jce / 1e4, 2) AS 缴存额_万元,
               round(y.jce / nullif(lag(y.jce) OVER (PARTITION BY y.dwlb ORDER BY y.nian), 0) - 1, 4) AS 同比,
               round(y.jce / nullif(y.zgs_months, 0), 2) AS 人均月缴存额_元
        FROM yearly AS y LEFT JOIN names AS n ON n.code = y.dwlb
        WHERE y.months = 12
        ORDER BY 年度, 单位类别
    """).pl()
    by_type  # noqa: B018 (the cell's output)
    return (by_type,)


@app.cell
def _(by_type, mo, plt):
    pivot = by_type.pivot(on="单位性质", index="年度", values="缴存额_万元").sort("年度")
    fig, ax = plt.subplots(figsize=(9, 4))
    for column in pivot.columns[1:]:
        ax.plot(pivot["年度"].to_list(), pivot[column].to_list(), marker="o", label=column)
    ax.set_ylabel("万元")
    ax.legend(fontsize=7)
    latest = by_type.filter(by_type["年度"] == by_type["年度"].max()).sort("缴存额_万元", descending=True)
    top = latest.row(0, named=True)
    mo.vstack([fig, mo.md(f"最近完整年度 {top['年度']}：缴存额最高的单位性质为 **{top['单位性质']}**，"
                          f"{top['缴存额_万元']:,.2f} 万元，同比 {top['同比'] or 0:+.1%}。")])
    return (latest,)


if __name__ == "__main__":
    app.run()
