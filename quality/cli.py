"""The `gjj` sub-commands of this concern (数据质量 quality rules, scores and reports); heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

quality_app = typer.Typer(
    help="数据质量：五维规则检查、评分、报告、整改跟踪 (issue #4)", no_args_is_help=True
)


@quality_app.command("rules")
def rules_cmd() -> None:
    """校验并列出质量规则 (validate and count the rule files)."""
    from collections import Counter

    from quality.rules import RuleError, load_rules

    try:
        rules = load_rules()
    except RuleError as exc:
        typer.echo(f"规则文件错误: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{len(rules)} 条规则")
    for dim, n in sorted(Counter(r.dimension for r in rules).items()):
        typer.echo(f"  {dim}: {n}")


@quality_app.command("run")
def run_cmd(
    report: Annotated[
        Path | None, typer.Option(help="HTML 报告路径 (default <root>/quality/report.html)")
    ] = None,
) -> None:
    """运行全部质量规则，记录评分与整改项，并生成报告。"""
    from gjj.settings import get_settings
    from quality import report as rep
    from quality.suite import run_suite

    s = get_settings()
    res = run_suite(s.root, s.warehouse_path, s.bronze_dir, s.duckdb_memory_limit)
    o = res.overall
    typer.echo(
        f"第 {res.run_id} 次质量检查：{len(res.outcome.results)} 条规则，{res.outcome.seconds:.1f} 秒；总分 {o.score:.2f} {o.grade}"
    )
    for sc in res.scores:
        if sc.level in ("dimension", "domain"):
            typer.echo(f"  {sc.name}: {sc.score:.2f} {sc.grade}")
    out = rep.write(s.root, s.warehouse_path, report or s.root / "quality" / "report.html", res.run_id)
    typer.echo(f"报告: {out}")
    if res.blocking:
        typer.echo("阻断发布的高等级规则: " + ", ".join(f"{r.rule.id}({r.failed})" for r in res.blocking))


@quality_app.command("report")
def report_cmd(
    out: Annotated[Path | None, typer.Option(help="HTML 报告路径")] = None,
    run_id: Annotated[int | None, typer.Option(help="检查批次 (default: latest)")] = None,
    pdf: Annotated[bool, typer.Option(help="同时生成 PDF（无头 Chromium，make chromium）")] = False,
) -> None:
    """生成数据质量评价报告 (HTML，可选 PDF)。"""
    from gjj.settings import get_settings
    from quality import report as rep

    s = get_settings()
    try:
        path = rep.write(s.root, s.warehouse_path, out or s.root / "quality" / "report.html", run_id)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"报告: {path}")
    if pdf:
        typer.echo(f"PDF: {rep.write_pdf(path, path.with_suffix('.pdf'))}")


@quality_app.command("remediate")
def remediate_cmd(
    item_ids: Annotated[list[int], typer.Argument(help="整改项编号")],
    status: Annotated[str, typer.Option(help="assigned 或 fixed")],
    assignee: Annotated[str | None, typer.Option(help="经办人")] = None,
) -> None:
    """更新整改项状态（复核关闭 verified 由下一次检查自动完成）。"""
    from gjj.settings import get_settings
    from quality import history

    try:
        n = history.set_status(get_settings().root, item_ids, status, assignee)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已更新 {n} 项")


@quality_app.command("bench")
def bench_cmd(
    scale: Annotated[float, typer.Option(help="scale of the generated center")] = 0.01,
    root: Annotated[
        Path | None, typer.Option(help="已构建的湖仓根目录 (a lakehouse built at this scale)")
    ] = None,
) -> None:
    """质量套件基准：全套规则用时与召回率，以及最大表在 GE pandas 执行下的对比。"""
    from bench import quality as bench_quality

    bench_quality.main(scale, root)


def register(app: typer.Typer) -> None:
    """Add this concern's commands (or command groups) to the platform's `gjj` app."""
    app.add_typer(quality_app, name="quality")


@quality_app.command("standards")
def standards_cmd(
    draft: Annotated[bool, typer.Option(help="从 dbt 说明与仓库类型补齐登记草稿（已有条目不变）")] = False,
) -> None:
    """数据标准与数据目录检查：未映射的字段、未登记/无责任部门/无说明的数据集。"""
    from quality import standards

    if draft:
        import duckdb
        import yaml

        from gjj.settings import get_settings

        con = duckdb.connect(str(get_settings().warehouse_path), read_only=True)
        try:
            rows = con.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'marts'"
            ).fetchall()
        finally:
            con.close()
        types: dict[str, dict[str, str]] = {}
        for t, c, typ in rows:
            types.setdefault(t, {})[c] = typ
        standards.REGISTRY_FILE.write_text(
            yaml.safe_dump(standards.draft(types), allow_unicode=True, sort_keys=False, width=120),
            encoding="utf-8",
        )
        typer.echo(f"草稿已写入 {standards.REGISTRY_FILE}，请数据管理员复核")
        return
    found = standards.problems()
    reg = standards.registry()
    typer.echo(f"{len(reg)} 个数据集，{sum(len(d.columns) for d in reg.values())} 个字段登记")
    for p in found:
        typer.echo(f"  {p}")
    if found:
        raise typer.Exit(1)
