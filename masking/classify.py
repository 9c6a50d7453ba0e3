"""Column classification (数据分级分类): every column of the marts gets an entity and a sensitivity level.

Proposal, in the spirit of presidio-structured: sample up to ``SAMPLE`` distinct non-null values of each
column, run them through the Chinese analyzer, and call a column by the label that covers whole values in at
least ``MIN_SHARE`` of the sample; long Chinese text with detections inside is FREE_TEXT. Columns the analyzer
cannot judge (account numbers, amounts, dates) are proposed from the JGJ/T 320 field code and the table's grain.
The proposal is reviewed by a steward and committed as ``masking/classification.yaml``; the masking policies
key on it, and a test fails when a mart column is missing from it or the analyzer now disagrees with it.

    gjj pii classify [--out masking/classification.yaml]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from masking.detect import detect

CLASSIFICATION_FILE = Path(__file__).with_name("classification.yaml")
SAMPLE = 200
MIN_SHARE = 0.8

# Sensitivity levels, lowest first.
LEVELS: dict[str, str] = {
    "public": "公开：可对外发布的汇总和代码",
    "internal": "内部：单位、业务流水和汇总金额，限中心内部",
    "personal": "个人信息：可关联到个人的账号、金额、日期",
    "sensitive": "敏感个人信息：身份证、姓名、电话、银行卡、住址、证件、自由文本",
}
# Entities beyond the analyzer's labels (structured fields the analyzer cannot recognise by content).
STRUCTURED_ENTITIES: dict[str, str] = {
    "ACCOUNT_NO": "个人账号/贷款账号/合同号（可关联个人）",
    "UNIT_ID": "单位账号/组织机构代码",
    "UNIT_NAME": "单位名称",
    "BIRTH_DATE": "出生日期",
    "AGE": "年龄",
    "AMOUNT": "个人金额",
    "DATE": "个人业务日期",
    "FREE_TEXT": "自由文本（摘要、备注）",
    "SERIAL": "业务流水号/记录号",
    "CODE": "代码值（状态、类型、区划）",
    "MEASURE": "汇总指标（金额、人数、比率）",
    "TECHNICAL": "技术字段（装载时间戳）",
}
PII_LEVEL = "sensitive"
# Labels that identify or locate a person (USCC identifies a unit).
PERSONAL_LABELS = frozenset({"CN_ID", "CN_MOBILE", "CN_PHONE", "BANK_CARD", "PERSON", "ADDRESS", "PROPERTY_CERT",
                             "EMAIL", "PASSPORT", "HK_MACAU_PASS"})

# Tables whose rows are about one person (their amounts and dates are personal information).
PERSONAL_TABLES = frozenset({"member_account", "member_transaction", "loan_account", "loan_overdue", "loan_repayment",
                             "loan_transaction", "withdrawal", "account_status_history"})
# JGJ/T 320 field codes the analyzer cannot judge by content: code → (entity, level).
FIELD_CODES: dict[str, tuple[str, str]] = {
    "grzh": ("ACCOUNT_NO", "personal"), "jkrgjjzh": ("ACCOUNT_NO", "personal"), "dkzh": ("ACCOUNT_NO", "personal"),
    "jkhtbh": ("ACCOUNT_NO", "personal"), "tqsqh": ("ACCOUNT_NO", "personal"), "yhzhhm": ("ACCOUNT_NO", "personal"),
    "khh": ("ACCOUNT_NO", "personal"), "bdcdyh": ("PROPERTY_CERT", "sensitive"),
    "dwzh": ("UNIT_ID", "internal"), "zzjgdm": ("UNIT_ID", "internal"),
    "dwmc": ("UNIT_NAME", "internal"), "yhzhmc": ("UNIT_NAME", "internal"),
    "csny": ("BIRTH_DATE", "personal"), "nl": ("AGE", "personal"),
    "xingming": ("PERSON", "sensitive"), "jkrxm": ("PERSON", "sensitive"),
    "zjhm": ("CN_ID", "sensitive"), "jkrzjh": ("CN_ID", "sensitive"),
    "zhaiyao": ("FREE_TEXT", "sensitive"),
    "xingbie": ("CODE", "personal"), "hyzk": ("CODE", "personal"),
    "_ingested_at": ("TECHNICAL", "internal"), "_dbt_loaded_at": ("TECHNICAL", "internal"),
    "updated_at": ("TECHNICAL", "internal"),
}
_SERIALS = ("ywlsh", "yywlsh", "djlsh", "yhjslsh", "yqid", "zzid")


@dataclass
class Detection:
    label: str | None
    share: float
    sampled: int


def _sample_detection(con: duckdb.DuckDBPyConnection, table: str, column: str, schema: str = "marts",
                      sample: int = SAMPLE) -> Detection:
    values = [str(v) for (v,) in con.execute(
        f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM {schema}."{table}" WHERE "{column}" IS NOT NULL '
        f"LIMIT {sample}").fetchall()]
    if not values:
        return Detection(None, 0.0, 0)
    whole: dict[str, int] = {}
    inside = 0
    for v in values:
        spans = detect(v)
        if spans:
            inside += 1
        for s in spans:
            if s.end - s.start >= 0.8 * len(v.strip()):
                whole[s.label] = whole.get(s.label, 0) + 1
    if whole:
        label, n = max(whole.items(), key=lambda kv: kv[1])
        if n / len(values) >= MIN_SHARE:
            return Detection(label, n / len(values), len(values))
    long_text = sum(1 for v in values if len(v) >= 8 and any("\u4e00" <= c <= "\u9fa5" for c in v))
    if long_text / len(values) >= 0.5 and inside / len(values) >= 0.2:
        return Detection("FREE_TEXT", inside / len(values), len(values))
    return Detection(None, max(whole.values(), default=0) / len(values), len(values))


def _by_code(table: str, column: str, dtype: str, personal_tables: frozenset[str] = PERSONAL_TABLES
             ) -> tuple[str, str]:
    if column in FIELD_CODES:
        entity, level = FIELD_CODES[column]
        if table not in personal_tables and level == "personal":
            level = "internal"
        return entity, level
    if column in _SERIALS:
        return "SERIAL", "internal"
    personal = table in personal_tables
    other = "public" if table.startswith("indicator") else "internal"
    if dtype == "DECIMAL(18,2)":
        return ("AMOUNT", "personal") if personal else ("MEASURE", other)
    if dtype.startswith(("DECIMAL", "DOUBLE", "FLOAT", "HUGEINT", "BIGINT", "INTEGER")):
        return "MEASURE", "personal" if personal else other
    if dtype in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"):
        return "DATE", "personal" if personal else other
    return "CODE", other


def propose(con: duckdb.DuckDBPyConnection, schema: str = "marts", sample: int = SAMPLE
            ) -> dict[str, dict[str, dict[str, object]]]:
    """{table: {column: {entity, level, detected}}} for every column of ``schema`` on ``con``. Marts: the tables
    about one person are PERSONAL_TABLES; elsewhere (staging) a table is personal when it holds a personal
    identifier (a field code of an account, ID number or name)."""
    cols = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = ? ORDER BY table_name, ordinal_position", [schema]).fetchall()
    personal = PERSONAL_TABLES
    if schema != "marts":
        personal = frozenset(t for t, c, _ in cols if FIELD_CODES.get(c, ("", ""))[0] in ("ACCOUNT_NO", "CN_ID",
                                                                                           "PERSON"))
    out: dict[str, dict[str, dict[str, object]]] = {}
    for table, column, dtype in cols:
        det = (_sample_detection(con, table, column, schema, sample) if dtype == "VARCHAR"
               else Detection(None, 0.0, 0))
        entity, level = _by_code(table, column, dtype, personal)
        if det.label is not None and (entity == "CODE" or det.label in PERSONAL_LABELS):
            entity, level = det.label, PII_LEVEL
        out.setdefault(table, {})[column] = {
            "entity": entity, "level": level,
            "detected": None if det.label is None else f"{det.label} {det.share:.2f} of {det.sampled}"}
    return out


def load_classification(path: Path = CLASSIFICATION_FILE) -> dict[str, dict[str, dict[str, object]]]:
    """The reviewed classification: {dataset: {column: {entity, level, ...}}}; unknown entities/levels rejected."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    datasets = doc.get("datasets") if isinstance(doc, dict) else None
    if not isinstance(datasets, dict):
        raise ValueError(f"{path}: 缺少 datasets / missing 'datasets'")
    from masking.recognizers import LABELS

    known = set(LABELS) | set(STRUCTURED_ENTITIES)
    for ds, columns in datasets.items():
        for col, c in columns.items():
            if not isinstance(c, dict) or c.get("entity") not in known or c.get("level") not in LEVELS:
                raise ValueError(f"{path}: {ds}.{col}: 未知的实体或级别 / unknown entity or level: {c!r} "
                                 f"(entities: {sorted(known)}, levels: {list(LEVELS)})")
    return datasets


def load_staging_classification(path: Path = CLASSIFICATION_FILE) -> dict[str, dict[str, dict[str, object]]]:
    """The classification of the standard staging layer (section ``staging``: {view: {column: {...}}})."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    staging = doc.get("staging") or {}
    if not isinstance(staging, dict):
        raise ValueError(f"{path}: staging 应为映射 / 'staging' must be a mapping")
    return staging


def _keep_reviewed(proposal: dict[str, dict[str, dict[str, object]]], old: dict[str, dict[str, dict[str, object]]]
                   ) -> None:
    for ds, columns in proposal.items():
        for col, c in columns.items():
            prev = old.get(ds, {}).get(col)
            if prev and prev.get("reviewed"):
                c.update({k: prev[k] for k in ("entity", "level", "reviewed", "note") if k in prev})


def write_classification(proposal: dict[str, dict[str, dict[str, object]]], path: Path,
                         staging: dict[str, dict[str, dict[str, object]]] | None = None) -> None:
    """Write the proposal, keeping the entity/level of columns a steward already reviewed in ``path``."""
    _keep_reviewed(proposal, load_classification(path) if path.exists() else {})
    if staging is not None:
        _keep_reviewed(staging, load_staging_classification(path) if path.exists() else {})
    elif path.exists():
        staging = load_staging_classification(path) or None
    header = ("# 列分级分类 (column classification) — proposed by `gjj pii classify` (analyzer sampling + JGJ/T 320 "
              "field codes),\n# reviewed by a data steward: `reviewed` names who checked the entry. Levels: "
              + ", ".join(LEVELS) + ".\n")
    doc: dict[str, object] = {"version": 1, "levels": LEVELS, "entities": STRUCTURED_ENTITIES, "datasets": proposal}
    if staging:
        doc["staging"] = staging
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(header + body, encoding="utf-8")
