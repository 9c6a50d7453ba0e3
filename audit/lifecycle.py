"""Risk-event lifecycle (监测-触发-识别-评估-报告-处置-反馈-改进): a state machine over the audit store.

States move one step forward: triggered 触发 → identified 识别 → assessed 评估 → reported 报告 →
disposed 处置 → feedback 反馈 → closed 关闭. A steward may close an event as a false positive (误报) from
triggered/identified/assessed; reaching ``reported`` confirms it. Every change (state, department, note)
is a row of ``risk_event_history``. False positives and confirmations feed the per-rule statistics that
rule tuning reads (hit count, confirmed rate, false-positive rate).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from audit.store import SCHEMA

STATES = ("triggered", "identified", "assessed", "reported", "disposed", "feedback", "closed")
STATE_ZH = {"triggered": "触发", "identified": "识别", "assessed": "评估", "reported": "报告", "disposed": "处置",
            "feedback": "反馈", "closed": "关闭"}
NEXT = {s: STATES[i + 1] for i, s in enumerate(STATES[:-1])}
FALSE_POSITIVE_FROM = {"triggered", "identified", "assessed"}


class LifecycleError(ValueError):
    """A refused change; ``code`` is not_found | illegal_transition | invalid."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


@dataclass
class RiskEvents:
    """Lifecycle operations on one audit store file (opened per call: other processes may write it too)."""

    store: Path

    def _connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        if read_only:
            if not self.store.exists():
                raise LifecycleError("not_found", "稽核库不存在(请先运行 gjj audit run)", "audit store missing (run gjj audit run)")
            con = duckdb.connect()
            con.execute(f"ATTACH '{self.store}' AS audit (READ_ONLY)")
            return con
        self.store.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        con.execute(f"ATTACH '{self.store}' AS audit")
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                con.execute(stmt)
        return con

    # ---------------------------------------------------------------------------------------- reads

    def get(self, event_id: str) -> dict[str, Any]:
        con = self._connect(read_only=True)
        try:
            event = _one(con, "SELECT * FROM audit.main.risk_event WHERE event_id = ?", [event_id])
            if event is None:
                raise LifecycleError("not_found", f"风险事件 {event_id} 不存在", f"risk event {event_id} not found")
            event["history"] = _all(con, "SELECT changed_at, actor, action, from_state, to_state, department, note "
                                         "FROM audit.main.risk_event_history WHERE event_id = ? ORDER BY history_id", [event_id])
            return event
        finally:
            con.close()

    def find(self, *, rule_id: str | None = None, state: str | None = None, severity: str | None = None,
             department: str | None = None, open_only: bool = True, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        where, args = ["TRUE"], []
        for col, val in (("rule_id", rule_id), ("state", state), ("severity", severity), ("department", department)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        if open_only:
            where.append("cleared_at IS NULL")
        con = self._connect(read_only=True)
        try:
            return _all(con, f"""SELECT event_id, rule_id, rule_name, category, severity, record_key, grzh, dwzh, zjhm,
                    state, department, false_positive, confirmed, first_seen, last_seen, cleared_at
                FROM audit.main.risk_event WHERE {' AND '.join(where)}
                ORDER BY CASE severity WHEN '高' THEN 0 WHEN '中' THEN 1 ELSE 2 END, first_seen DESC, event_id
                LIMIT {int(limit)} OFFSET {int(offset)}""", args)
        finally:
            con.close()

    def rule_stats(self) -> list[dict[str, Any]]:
        """Per rule: events, open, confirmed, false positives, confirmed rate among the judged ones."""
        con = self._connect(read_only=True)
        try:
            return _all(con, """SELECT rule_id, any_value(rule_name) AS rule_name, any_value(severity) AS severity,
                    count(*) AS hits, count(*) FILTER (WHERE cleared_at IS NULL AND state <> 'closed') AS open,
                    count(*) FILTER (WHERE confirmed) AS confirmed, count(*) FILTER (WHERE false_positive) AS false_positives,
                    round(count(*) FILTER (WHERE confirmed) / nullif(count(*) FILTER (WHERE confirmed OR false_positive), 0), 4)
                        AS confirmed_rate,
                    round(count(*) FILTER (WHERE false_positive) / nullif(count(*) FILTER (WHERE confirmed OR false_positive), 0), 4)
                        AS false_positive_rate
                FROM audit.main.risk_event GROUP BY rule_id ORDER BY rule_id""", [])
        finally:
            con.close()

    # ---------------------------------------------------------------------------------------- writes

    def transition(self, event_id: str, to_state: str, actor: str, note: str | None = None,
                   department: str | None = None) -> dict[str, Any]:
        if to_state not in STATES:
            raise LifecycleError("invalid", f"未知状态 {to_state}", f"unknown state {to_state}")
        return self._change(event_id, actor, "transition", to_state=to_state, note=note, department=department)

    def assign(self, event_id: str, department: str, actor: str, note: str | None = None) -> dict[str, Any]:
        return self._change(event_id, actor, "assign", department=department, note=note)

    def add_note(self, event_id: str, actor: str, note: str) -> dict[str, Any]:
        return self._change(event_id, actor, "note", note=note)

    def mark_false_positive(self, event_id: str, actor: str, note: str) -> dict[str, Any]:
        return self._change(event_id, actor, "false_positive", to_state="closed", note=note)

    def _change(self, event_id: str, actor: str, action: str, *, to_state: str | None = None,
                note: str | None = None, department: str | None = None) -> dict[str, Any]:
        if not actor.strip():
            raise LifecycleError("invalid", "操作人不能为空", "actor is required")
        con = self._connect()
        try:
            con.execute("BEGIN")
            row = _one(con, "SELECT state, department FROM audit.main.risk_event WHERE event_id = ?", [event_id])
            if row is None:
                raise LifecycleError("not_found", f"风险事件 {event_id} 不存在", f"risk event {event_id} not found")
            current = row["state"]
            if to_state is not None:
                if action == "false_positive":
                    legal = current in FALSE_POSITIVE_FROM
                else:
                    legal = NEXT.get(current) == to_state
                if not legal:
                    allowed = NEXT.get(current)
                    raise LifecycleError(
                        "illegal_transition",
                        f"不允许从 {STATE_ZH[current]}({current}) 变更为 {STATE_ZH[to_state]}({to_state})"
                        + (f"，下一步只能是 {STATE_ZH[allowed]}({allowed})" if allowed else "，事件已关闭"),
                        f"illegal transition {current} → {to_state}" + (f"; next allowed: {allowed}" if allowed else "; event is closed"),
                    )
            now = dt.datetime.now()
            new_state = to_state or current
            con.execute(
                """UPDATE audit.main.risk_event SET state = ?, department = coalesce(?, department), updated_at = ?,
                       false_positive = false_positive OR ?, confirmed = confirmed OR ?
                   WHERE event_id = ?""",
                [new_state, department, now, action == "false_positive", new_state == "reported", event_id],
            )
            con.execute(
                """INSERT INTO audit.main.risk_event_history
                   VALUES (nextval('audit.main.risk_event_history_seq'), ?, ?, ?, ?, ?, ?, ?, ?)""",
                [event_id, now, actor, action, current, new_state, department, note],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()
        return self.get(event_id)


def _one(con: duckdb.DuckDBPyConnection, sql: str, args: list[Any]) -> dict[str, Any] | None:
    cur = con.execute(sql, args)
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


def _all(con: duckdb.DuckDBPyConnection, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
