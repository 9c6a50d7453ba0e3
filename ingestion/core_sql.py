"""The set-based extraction query for one core table (pure SQL text, no I/O).

One DuckDB query turns the source rows into bronze rows:

1. every column is cast to the type declared in ``core_schema`` (``Numeric(p,s)`` → ``DECIMAL(p,s)``,
   ``Integer`` → ``INTEGER``, ``CHAR``/``String`` → ``VARCHAR``; ``CHAR`` values lose their trailing
   blanks, as PostgreSQL and MySQL return them), so bronze is the same whichever database the core
   system runs on;
2. a value that does not survive its cast (``TRY_CAST`` gives NULL for a non-NULL value), a NULL key
   or a malformed ``upd_tm`` marks the row bad, with the failing fields, a Chinese + English reason
   and the raw row as JSON;
3. the lineage columns (``bronze.lineage_sql``) are added, including ``_row_hash`` over the typed values;
4. ``_cls`` classifies the row: 0 new, 1 already in bronze, 2 bad (to quarantine), 3 bad and already
   in quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ingestion.bronze import lineage_sql

NEW, LOADED, BAD, QUARANTINED = 0, 1, 2, 3
STAMP = "upd_tm"
STAMP_MAX = "99991231235959"
_INTEGRAL = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
}


@dataclass(frozen=True)
class ColumnPlan:
    """How one source column becomes a bronze column."""

    name: str
    target: str  # DuckDB type in bronze
    kind: str  # text | char | decimal | integer | double
    comment: str

    @property
    def label(self) -> str:
        """``amt(发生额)`` — the field as stewards read it in a quarantine reason."""
        return f"{self.name}({self.comment})" if self.comment else self.name


def plan_columns(table: sa.Table) -> list[ColumnPlan]:
    """Bronze type of every column of a ``core_schema`` table."""
    plans = []
    for col in table.columns:
        t = col.type
        comment = (col.comment or "").split(" ")[0]
        if isinstance(t, sa.CHAR):
            plans.append(ColumnPlan(col.name, "VARCHAR", "char", comment))
        elif isinstance(t, sa.String):
            plans.append(ColumnPlan(col.name, "VARCHAR", "text", comment))
        elif isinstance(t, sa.Float):
            plans.append(ColumnPlan(col.name, "DOUBLE", "double", comment))
        elif isinstance(t, sa.Numeric):
            if t.precision is None or t.precision > 38:
                plans.append(ColumnPlan(col.name, "DOUBLE", "double", comment))
            else:
                target = f"DECIMAL({t.precision},{t.scale or 0})"
                plans.append(ColumnPlan(col.name, target, "decimal", comment))
        elif isinstance(t, sa.BigInteger):
            plans.append(ColumnPlan(col.name, "BIGINT", "integer", comment))
        elif isinstance(t, sa.SmallInteger):
            plans.append(ColumnPlan(col.name, "SMALLINT", "integer", comment))
        elif isinstance(t, sa.Integer):
            plans.append(ColumnPlan(col.name, "INTEGER", "integer", comment))
        else:
            raise NotImplementedError(f"{table.name}.{col.name}: no bronze mapping for {t!r}")
    return plans


def q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def cast_expr(plan: ColumnPlan, raw: str, raw_type: str) -> str:
    """DuckDB expression casting the raw value ``raw`` (of DuckDB type ``raw_type``) to bronze."""
    if plan.kind == "char":
        # CHAR(n) blanks are padding (PostgreSQL/MySQL drop them when reading). rtrim() copies every
        # string (~3x the cost of the whole column here), so only values ending in a blank go through it.
        text = f"CAST({raw} AS VARCHAR)"
        return f"CASE WHEN suffix({text}, ' ') THEN rtrim({text}, ' ') ELSE {text} END"
    if plan.kind == "text":
        return f"CAST({raw} AS VARCHAR)"
    if raw_type.upper() == plan.target:
        return raw
    if plan.kind == "decimal" and raw_type.upper() in ("DOUBLE", "FLOAT", "REAL"):
        # Through the shortest round-trip text, as the value was written: DuckDB's DOUBLE -> DECIMAL
        # cast rounds the binary value (1.005 -> 1.00, as 1.00499…), text rounds the written digits
        # (1.01, as PostgreSQL/MySQL do and SQLite's text path below) — same bronze row either way.
        return f"TRY_CAST(CAST({raw} AS VARCHAR) AS {plan.target})"
    return f"TRY_CAST({raw} AS {plan.target})"


def _shown(raw: str) -> str:
    """The raw value quoted for a reason text (at most 60 characters)."""
    return f"'''' || left(CAST({raw} AS VARCHAR), 60) || ''''"


def failures(plan: ColumnPlan, raw: str, typed: str, raw_type: str, is_key: bool) -> list[tuple[str, str]]:
    """(condition, reason) pairs, as SQL, under which a column's value sends its row to quarantine."""
    out: list[tuple[str, str]] = []
    if is_key:
        out.append((f"{typed} IS NULL", lit(f"{plan.label}: 主键为空 / primary key is null")))
    if plan.name == STAMP:
        out.append(
            (
                f"{typed} IS NULL OR NOT regexp_full_match({typed}, '[0-9]{{14}}')",
                lit(f"{plan.label}: 变更时间戳不是 YYYYMMDDHHMMSS / change stamp is not YYYYMMDDHHMMSS: ")
                + f" || coalesce({_shown(raw)}, 'NULL')",
            )
        )
    if plan.kind in ("decimal", "integer", "double") and raw_type.upper() != plan.target:
        as_double = f"TRY_CAST({raw} AS DOUBLE)"
        if plan.kind == "decimal":
            what_zh, what_en = f"无法转换为数值 {plan.target}", f"not numeric for {plan.target}"
        elif plan.kind == "integer":
            what_zh, what_en = f"无法转换为整数 {plan.target}", f"not an integer for {plan.target}"
        else:
            what_zh, what_en = "无法转换为数值 DOUBLE", "not numeric for DOUBLE"
        reason = (
            f"CASE WHEN {as_double} IS NULL OR NOT isfinite({as_double}) "
            f"THEN {lit(f'{plan.label}: {what_zh} / {what_en}: ')} "
            f"ELSE {lit(f'{plan.label}: 超出 {plan.target} 的范围或精度 / out of range for {plan.target}: ')} END"
            f" || {_shown(raw)}"
        )
        condition = f"{raw} IS NOT NULL AND {typed} IS NULL"
        if plan.kind == "integer" and raw_type.upper() not in _INTEGRAL:
            # DuckDB rounds '1.5' to 2 when casting to INTEGER: a fraction must be rejected, not rounded.
            if raw_type.upper() == "VARCHAR":
                fraction = f"NOT regexp_full_match(trim({raw}), '[+-]?[0-9]+')"
            else:
                fraction = f"{as_double} <> trunc({as_double})"
            condition = f"{raw} IS NOT NULL AND ({typed} IS NULL OR {fraction})"
            reason = lit(f"{plan.label}: {what_zh} / {what_en}: ") + f" || {_shown(raw)}"
        out.append((condition, reason))
    return out


def range_condition(
    stamp: str, wm_from: str | None, bound: str | None, incremental: bool = True
) -> str | None:
    """Rows of an incremental batch: ``wm_from <= upd_tm <= bound``, plus malformed stamps above
    ``STAMP_MAX`` (e.g. letters), which no watermark would ever reach: they are read so that they
    land in quarantine instead of being skipped silently. ``bound`` None: no well-formed new stamp.
    """
    if not incremental:
        return None
    upper = f"{stamp} > {lit(STAMP_MAX)}"
    if bound is not None:
        upper = f"({stamp} <= {lit(bound)} OR {upper})"
    return f"{stamp} >= {lit(wm_from)} AND {upper}" if wm_from is not None else upper


def extract_query(
    *,
    relation: str,
    plans: list[ColumnPlan],
    raw_types: dict[str, str],
    keys: tuple[str, ...],
    incremental: bool,
    wm_from: str | None,
    wm_to: str | None,
    batch_id: str,
    source_object: str,
    ingested_at: datetime,
    seen_hashes: str,
    seen_quarantine: str,
) -> str:
    """The classification query (see module docstring).

    ``relation`` is the source FROM-item; for an ``incremental`` table, rows are kept when
    ``range_condition`` holds (a reference table is read whole);
    ``seen_hashes`` is a query of ``_row_hash`` values already in bronze for this batch's scope and
    ``seen_quarantine`` one of ``md5(raw)`` values already quarantined for this table.
    """
    names = [p.name for p in plans]
    raw_cols = ", ".join(q(n) for n in names)
    where = range_condition(q(STAMP), wm_from, wm_to, incremental) if incremental else None
    where_sql = f" WHERE {where}" if where else ""

    typed_cols = ", ".join(
        f"{cast_expr(p, 'r.' + q(p.name), raw_types[p.name])} AS {q(p.name)}" for p in plans
    )

    checks: list[tuple[str, str, str]] = []  # (field, condition, reason)
    for p in plans:
        raw = f'"_raw".{q(p.name)}'
        for cond, reason in failures(p, raw, q(p.name), raw_types[p.name], p.name in keys):
            checks.append((p.name, cond, reason))
    flags = ", ".join(f"coalesce({cond}, false) AS {q(f'_f{i}')}" for i, (_, cond, _) in enumerate(checks))
    any_bad = " OR ".join(q(f"_f{i}") for i in range(len(checks))) or "false"
    fields = ", ".join(f"CASE WHEN {q(f'_f{i}')} THEN {lit(f)} END" for i, (f, _, _) in enumerate(checks))
    reasons = ", ".join(f"CASE WHEN {q(f'_f{i}')} THEN {r} END" for i, (_, _, r) in enumerate(checks))
    # concat_ws skips NULLs, but a field failing two checks (e.g. NULL key and bad stamp) is listed once.
    field_list = f"array_to_string(list_distinct(list_filter([{fields}], x -> x IS NOT NULL)), ',')"
    lineage = lineage_sql(names, batch_id, "core", source_object, ingested_at)
    # The raw row as text whatever the read path delivered (typed DOUBLE or text), so a bad row reads
    # the same each time and is recognised as already quarantined.
    raw_text = ", ".join(f'{q(n)} := CAST("_raw".{q(n)} AS VARCHAR)' for n in names)
    cols = ", ".join(q(n) for n in names)

    return f"""
WITH r AS (
    SELECT {raw_cols} FROM {relation}{where_sql}
), t AS (
    SELECT {typed_cols}, r AS "_raw" FROM r
), v AS (
    SELECT *, {flags} FROM t
), w AS (
    SELECT *, ({any_bad}) AS "_bad" FROM v
), x AS (
    SELECT {cols}, {lineage}, "_bad",
        CASE WHEN "_bad" THEN {field_list} END AS "_q_field",
        CASE WHEN "_bad" THEN concat_ws('; ', {reasons}) END AS "_q_reason",
        CASE WHEN "_bad" THEN to_json(struct_pack({raw_text})) END AS "_q_raw"
    FROM w
)
SELECT * EXCLUDE ("_bad"),
    CAST(CASE
        WHEN "_bad" THEN CASE WHEN md5("_q_raw") IN ({seen_quarantine}) THEN {QUARANTINED} ELSE {BAD} END
        WHEN "_row_hash" IN ({seen_hashes}) THEN {LOADED}
        ELSE {NEW}
    END AS TINYINT) AS "_cls"
FROM x
"""


def key_cast(
    plans: list[ColumnPlan], keys: tuple[str, ...], alias: str, raw_types: dict[str, str]
) -> list[str]:
    """Typed key expressions over the raw source relation ``alias`` (for key comparisons with bronze)."""
    by_name = {p.name: p for p in plans}
    return [cast_expr(by_name[k], f"{alias}.{q(k)}", raw_types[k]) for k in keys]
