"""A risk-event report (风险事件报告) from the audit store: per rule counts, states, masked sample events."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb


def _mask(v: object) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= 4 else "*" * (len(s) - 4) + s[-4:]


def simulator_scale(warehouse: Path) -> float | None:
    """The simulated center's scale (core system control SIM_SCALE), if the warehouse has one."""
    if not warehouse.exists():
        return None
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute("SELECT ctl_val FROM staging.stg_core__system_controls WHERE ctl_key = 'SIM_SCALE'").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return float(row[0]) if row and row[0] is not None else None


def write_event_report(store: Path, out: Path, samples: int = 3, scale: float | None = None) -> Path:
    con = duckdb.connect(str(store), read_only=True)
    try:
        run = con.execute("SELECT run_id, mode, business_date, rules_ran, rules_failed, hits, finished_at FROM audit_run WHERE rules_ran > 0 "
                          "ORDER BY finished_at DESC LIMIT 1").fetchone()
        rules = con.execute("""SELECT rule_id, any_value(rule_name), any_value(category), any_value(severity),
                count(*) FILTER (WHERE cleared_at IS NULL), count(*) FILTER (WHERE state <> 'triggered'),
                count(*) FILTER (WHERE false_positive) FROM risk_event GROUP BY rule_id ORDER BY rule_id""").fetchall()
        events = con.execute("""SELECT rule_id, record_key, evidence FROM risk_event WHERE cleared_at IS NULL
                QUALIFY row_number() OVER (PARTITION BY rule_id ORDER BY first_seen, record_key) <= ?""", [samples]).fetchall()
    finally:
        con.close()
    lines = ["# 风险事件报告 · Risk-event report", ""]
    if run:
        lines += [f"最近一次稽核 last run `{run[0]}` ({run[1]}), 业务日期 {run[2]}: {run[3]} 条规则运行, {run[4]} 失败, "
                  f"{run[5]} 条命中 hits, 完成于 {run[6]:%Y-%m-%d %H:%M}"
                  + (f", 模拟中心规模 simulator scale {scale:g}." if scale is not None else "."), ""]
    lines += ["| 规则 | 名称 | 类别 | 等级 | 未消除事件 | 已处理 | 误报 |", "| --- | --- | --- | --- | ---: | ---: | ---: |"]
    lines += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]} |" for r in rules]
    lines += ["", "## 样例事件 (记录键与证件号脱敏) · sample events, keys masked", ""]
    for rule_id, key, evidence in events:
        ev = {k: (_mask(v) if k in ("zjhm", "xingming", "sjhm", "skzhmc", "link_value", "grzh_list", "khh_list") else v)
              for k, v in json.loads(evidence or "{}").items()}
        lines.append(f"- **{rule_id}** `{_mask(key)}` — {json.dumps(ev, ensure_ascii=False)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
