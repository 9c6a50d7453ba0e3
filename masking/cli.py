"""The `gjj` sub-commands of this concern (个人信息保护 PII detection and masking); heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

pii_app = typer.Typer(help="个人信息识别与脱敏 / personal data: detection, classification, masking", no_args_is_help=True)


@pii_app.command("detect")
def pii_detect(
    src: Annotated[Path, typer.Option("--in", help='JSONL input, one {"id", "text"} a line')],
    dst: Annotated[Path, typer.Option("--out", help='JSONL output, one {"id", "spans": [...]} a line')],
) -> None:
    """Detect personal data in texts: spans {start, end (exclusive), label, score} per line."""
    from masking.detect import DetectInputError, detect_jsonl

    try:
        n = detect_jsonl(src, dst)
    except (DetectInputError, FileNotFoundError, UnicodeDecodeError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"{n} texts → {dst}")


@pii_app.command("classify")
def pii_classify(
    out: Annotated[Path | None, typer.Option("--out", help="Where to write (default masking/classification.yaml)")] = None,
) -> None:
    """Propose the classification of every mart column by sampling the warehouse through the analyzer; entries
    marked `reviewed` keep their entity and level."""
    import duckdb

    from gjj.settings import get_settings
    from masking.classify import CLASSIFICATION_FILE, propose, write_classification

    settings = get_settings()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        proposal = propose(con)
        staging = propose(con, "staging", sample=50)
    finally:
        con.close()
    target = out or CLASSIFICATION_FILE
    write_classification(proposal, target, staging)
    typer.echo(f"{sum(len(c) for c in proposal.values())} columns of {len(proposal)} marts, "
               f"{sum(len(c) for c in staging.values())} columns of {len(staging)} staging views → {target}")


@pii_app.command("bench")
def pii_bench(
    rows: Annotated[int, typer.Option(help="Rows of the 10-column frame (1,000,000 for the real run)")] = 1_000_000,
    snippets: Annotated[int, typer.Option(help="Free-text snippets to anonymize at least (passes over the distinct corpus, best pass counts)")] = 2000,
) -> None:
    """Masking throughput: partial masks, HMAC pseudonyms and the analyst policy vs bare DuckDB; free text."""
    from bench import masking as bench

    path = bench.run(rows, snippets)
    typer.echo(Path(path).read_text(encoding="utf-8"))


access_app = typer.Typer(help="API 调用方与密钥 / API consumers and keys (serving access control)", no_args_is_help=True)


@access_app.command("issue")
def access_issue(
    consumer: Annotated[str, typer.Option(help="调用方标识 consumer id")],
    role: Annotated[str, typer.Option(help="public | leader | analyst | business_officer | auditor | privileged")],
    scopes: Annotated[str, typer.Option(help="数据范围，逗号分隔 (members,units,indicators,access-log,shares) 或 *")],
    name: Annotated[str, typer.Option(help="调用方名称")] = "",
    department: Annotated[str, typer.Option(help="所属部门")] = "",
    rate: Annotated[str, typer.Option(help="限流 (limits notation)")] = "600/minute",
    days: Annotated[int, typer.Option(help="有效天数")] = 90,
) -> None:
    """Register (or update) a consumer and issue an API key; the key is printed once and stored only hashed."""
    from gjj.settings import get_settings
    from serving.core.access import AccessError, Registry, registry_path

    reg = Registry(registry_path(get_settings()))
    try:
        reg.add_consumer(consumer, name or consumer, department, role, [s.strip() for s in scopes.split(",") if s.strip()],
                         rate)
        key = reg.issue_key(consumer, days)
    except AccessError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(key)
    typer.echo(f"# 仅显示一次，请妥善保存 / shown once: store it now (key id {key.split('_')[1]}, {days} days)",
               err=True)


@access_app.command("revoke")
def access_revoke(
    key_id: Annotated[str | None, typer.Option("--key-id", help="吊销一个密钥")] = None,
    consumer: Annotated[str | None, typer.Option(help="吊销该调用方的全部密钥")] = None,
) -> None:
    """Revoke one key (--key-id) or every key of a consumer (--consumer)."""
    from gjj.settings import get_settings
    from serving.core.access import Registry, registry_path

    if not key_id and not consumer:
        typer.echo("需要 --key-id 或 --consumer / give --key-id or --consumer", err=True)
        raise typer.Exit(code=1)
    n = Registry(registry_path(get_settings())).revoke(key_id=key_id, consumer_id=consumer)
    typer.echo(f"revoked {n} key(s)")


@access_app.command("list")
def access_list() -> None:
    """Keys with their consumer, role, scopes, expiry and revocation (never the secret)."""
    from gjj.settings import get_settings
    from serving.core.access import Registry, registry_path

    for row in Registry(registry_path(get_settings())).list_keys():
        typer.echo("\t".join("" if v is None else str(v) for v in row))


@access_app.command("report")
def access_report(
    since: Annotated[str | None, typer.Option(help="自该时间起 (ISO 8601)")] = None,
) -> None:
    """数据使用日志报告: requests, refusals, rows and unmasked fields per consumer, from the access log."""
    from gjj.settings import get_settings
    from serving.core.access import Registry, registry_path

    rows = Registry(registry_path(get_settings())).report(since)
    typer.echo("调用方\t请求数\t拒绝数\t返回行数\t最近访问\t使用目的\t未脱敏字段")
    for r in rows:
        typer.echo("\t".join(str(r[k] if r[k] is not None else "") for k in
                             ("consumer", "requests", "refused", "rows_returned", "last_access", "purposes"))
                   + "\t" + ",".join(r["unmasked_fields"]))  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    """Add this concern's commands (or command groups) to the platform's `gjj` app."""
    app.add_typer(pii_app, name="pii")
    app.add_typer(access_app, name="access")
