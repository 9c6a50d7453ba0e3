"""数据质量评价报告: an HTML report of a run from the history store (score cards, trend chart, top failing
rules with masked sample records, remediation status and closure rate)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from quality import history
from quality.rules import tables

DIMENSIONS = ("完整性", "准确性", "一致性", "规范性", "及时性")
DOMAIN_LABELS = {"归集": "GJ", "提取": "TQ", "贷款": "DK", "资金": "ZJ"}
_ID = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
NAME_COLUMNS = {"xingming", "jkrxm", "gtjkrxm", "dwfrdbxm", "jbrxm", "qlrmc", "nfxm", "vfxm", "skzhmc", "xmqp"}
PHONE_COLUMNS = {"gddhhm"}  # fixed-line phones keep the last 4 digits (mobiles: see _MOBILE)
ADDRESS_COLUMNS = {"jtzz", "dwdz", "dwdzxx"}  # keep the first 6 characters (province/city)
INCOME_COLUMNS = {"jtysr"}  # personal income: never shown


def mask_value(column: str, value: Any) -> str:
    """Simple partial masking for the report (issue #5 owns the full policies): ID numbers keep the region
    and the last 4 characters, mobile numbers the first 3 and last 4, names (and their pinyin) the first
    character, phones the last 4 digits, addresses the first 6 characters, income nothing."""
    if value is None:
        return ""
    text = str(value)
    if column in INCOME_COLUMNS:
        return "***"
    if column in NAME_COLUMNS and text:
        return text[0] + "*" * max(1, len(text) - 1)
    if column in PHONE_COLUMNS and text:
        return "*" * max(1, len(text) - 4) + text[-4:]
    if column in ADDRESS_COLUMNS and text:
        return text[:6] + "****"
    text = _ID.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def _trend_png(con: duckdb.DuckDBPyConnection, upto: int) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = con.execute(
        """SELECT run_id, level, name, score FROM scores WHERE run_id <= ? AND level IN ('overall', 'domain')
        AND run_id > ? - 20 ORDER BY run_id""",
        [upto, upto],
    ).fetchall()
    series: dict[str, list[tuple[int, float]]] = {}
    for run_id, level, name, score in rows:
        label = "overall" if level == "overall" else DOMAIN_LABELS.get(name, name)
        series.setdefault(label, []).append((run_id, score))
    fig, ax = plt.subplots(figsize=(7, 3), dpi=100)
    for label, pts in series.items():
        ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            marker="o",
            label=label,
            linewidth=2.5 if label == "overall" else 1,
        )
    ax.set_xlabel("run")
    ax.set_ylabel("score")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", ncol=5, fontsize=8)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _samples(warehouse: Path, rule_table: str, keys: list[str]) -> tuple[list[str], list[list[str]]]:
    t = tables()[rule_table]
    if t.schema_ == "bronze" or not keys or not warehouse.exists():
        return [], []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute(
            f"SELECT * FROM {t.relation} WHERE CAST({t.key} AS VARCHAR) IN (SELECT unnest(?)) LIMIT 3", [keys]
        )
        cols = [d[0] for d in cur.description if not d[0].startswith("_")]
        rows = [dict(zip([d[0] for d in cur.description], r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    return cols[:10], [[mask_value(c, row[c]) for c in cols[:10]] for row in rows]


def render(root: Path, warehouse: Path, run_id: int | None = None, top: int = 10) -> str:
    con = history.connect(root, read_only=True)
    try:
        if run_id is None:
            got = con.execute("SELECT max(run_id) FROM runs").fetchone()
            run_id = got[0] if got else None
        if run_id is None:
            raise ValueError("还没有质量检查记录，请先运行 gjj quality run")
        run = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if run is None:
            raise ValueError(f"没有第 {run_id} 次质量检查")
        prev = con.execute(
            "SELECT overall FROM runs WHERE run_id < ? ORDER BY run_id DESC LIMIT 1", [run_id]
        ).fetchone()
        scores = con.execute(
            "SELECT level, name, score, grade FROM scores WHERE run_id = ? ORDER BY level, name", [run_id]
        ).fetchall()
        worst = con.execute(
            """SELECT rule_id, rule_name, table_name, dimension, severity, owner, checked, failed, pass_rate
            FROM rule_results WHERE run_id = ? AND failed > 0 ORDER BY severity, failed DESC LIMIT ?""",
            [run_id, top],
        ).fetchall()
        counts, rate = history.closure(con)
        by_owner = con.execute(
            """SELECT owner, count(*) FILTER (status <> 'verified'), count(*) FILTER (status = 'verified'), count(*)
            FROM remediation GROUP BY owner ORDER BY owner"""
        ).fetchall()
        issues = []
        for rid, name, table, dim, sev, owner, checked, failed, pass_rate in worst:
            keys = [
                k
                for (k,) in con.execute(
                    "SELECT record_key FROM failures WHERE run_id = ? AND rule_id = ? ORDER BY record_key LIMIT 3",
                    [run_id, rid],
                ).fetchall()
            ]
            cols, rows = _samples(warehouse, table, keys)
            issues.append(
                dict(
                    id=rid,
                    name=name,
                    table=table,
                    dimension=dim,
                    severity=sev,
                    owner=owner,
                    checked=checked,
                    failed=failed,
                    rate=pass_rate,
                    record_keys=[mask_value("", k) for k in keys],
                    cols=cols,
                    rows=rows,
                )
            )
        chart = _trend_png(con, run_id)
    finally:
        con.close()
    overall = next(s for s in scores if s[0] == "overall")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True
    )
    return env.get_template("report.html.j2").render(
        run=dict(id=run[0], at=run[1], warehouse=run[2], rules=run[3], seconds=run[4], blocking=run[7]),
        overall=overall,
        delta=None if prev is None else overall[2] - prev[0],
        dims=[s for s in scores if s[0] == "dimension"],
        domains=[s for s in scores if s[0] == "domain"],
        tables=[s for s in scores if s[0] == "table"],
        issues=issues,
        counts=counts,
        closure=rate,
        by_owner=by_owner,
        chart=chart,
    )


def write(root: Path, warehouse: Path, out: Path, run_id: int | None = None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(root, warehouse, run_id), encoding="utf-8")
    return out


CHROMIUM = Path("/usr/bin/chromium")


def write_pdf(html: Path, pdf: Path, chromium: Path = CHROMIUM) -> Path:
    """The report as PDF through headless Chromium's print-to-PDF (`make chromium` installs it with CJK fonts)."""
    import subprocess
    import tempfile

    if not chromium.exists():
        raise FileNotFoundError(f"{chromium} 不存在: 先运行 `make chromium` (Debian's chromium package)")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        args = [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf.resolve()}",
            html.resolve().as_uri(),
        ]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        raise RuntimeError(f"{html}: Chromium 未能生成 PDF (exit {done.returncode}): {done.stderr[-500:]}")
    return pdf
