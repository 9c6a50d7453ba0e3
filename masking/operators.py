"""The masking operators, twice: as DuckDB SQL over whole columns (snapshots, exports, benchmarks) and as Python
for the few values of one API response. Both give identical results (tests/masking/test_masking.py checks it).

Partial masks by entity: 身份证 4112**********1234 · 手机 138****5678 · 姓名 张* / 欧阳** · 银行卡 622202*******1234 ·
地址 河南省三门峡市湖滨区**** · 账号 4112****0001. Pseudonym: 'P' + the first 24 hex digits of
HMAC-SHA256(GJJ_MASKING_KEY, value) — in SQL as sha256((K⊕opad) ‖ sha256((K⊕ipad) ‖ value)) (RFC 2104).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from datetime import date, datetime
from decimal import Decimal

from masking.policy import Operator, PolicyError
from masking.vocab import COMPOUND_SURNAMES

KEY_ENV = "GJJ_MASKING_KEY"
PSEUDONYM_HEX = 24
_COMPOUND_SQL = ", ".join(f"'{s}'" for s in sorted(COMPOUND_SURNAMES))
AMOUNT_BANDS: tuple[tuple[int, str], ...] = ((0, "负数"), (10_000, "0-1万"), (50_000, "1万-5万"), (100_000, "5万-10万"),
                                             (500_000, "10万-50万"))
AMOUNT_TOP = "50万以上"


class MaskingKeyMissing(RuntimeError):
    """A pseudonym is needed but GJJ_MASKING_KEY is not set."""


def masking_key() -> bytes:
    key = os.environ.get(KEY_ENV, "")
    if len(key) < 16:
        raise MaskingKeyMissing(f"环境变量 {KEY_ENV} 未设置或少于16个字符：假名化需要密钥（密钥不得写入代码库） / "
                                f"{KEY_ENV} is not set (or shorter than 16 characters): pseudonyms need a key, "
                                "which never sits in the repository")
    return key.encode()


def _pads(key: bytes) -> tuple[str, str]:
    k = hashlib.sha256(key).digest() if len(key) > 64 else key
    k = k.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in k).hex(), bytes(b ^ 0x5C for b in k).hex()


def key_fingerprint(key: bytes) -> str:
    """Identifies the key (e.g. in a snapshot manifest) without revealing it."""
    return hmac.new(key, b"gjj-masking-key-fingerprint", hashlib.sha256).hexdigest()[:16]


# ---- SQL -------------------------------------------------------------------------------------------------

def _partial_sql(c: str, entity: str) -> str:
    n = f"length({c})"
    if entity == "CN_ID":
        return f"CASE WHEN {n} > 8 THEN left({c}, 4) || repeat('*', {n} - 8) || right({c}, 4) ELSE repeat('*', {n}) END"
    if entity in ("CN_MOBILE", "ACCOUNT_NO"):
        return f"CASE WHEN {n} > 7 THEN left({c}, 3) || repeat('*', {n} - 7) || right({c}, 4) ELSE repeat('*', {n}) END"
    if entity == "PROPERTY_CERT":
        return f"CASE WHEN {n} > 10 THEN left({c}, 6) || '****' || right({c}, 4) ELSE repeat('*', {n}) END"
    if entity == "BANK_CARD":
        return (f"CASE WHEN {n} > 10 THEN left({c}, 6) || repeat('*', {n} - 10) || right({c}, 4) "
                f"ELSE repeat('*', {n}) END")
    if entity == "CN_PHONE":
        return f"CASE WHEN {n} > 4 THEN left({c}, {n} - 4) || '****' ELSE repeat('*', {n}) END"
    if entity == "PERSON":
        return (f"CASE WHEN left({c}, 2) IN ({_COMPOUND_SQL}) AND {n} > 2 THEN left({c}, 2) || repeat('*', {n} - 2) "
                f"ELSE left({c}, 1) || repeat('*', greatest({n} - 1, 1)) END")
    if entity == "ADDRESS":
        return (f"coalesce(nullif(regexp_extract({c}, '^.*?[区县]', 0), ''), "
                f"nullif(regexp_extract({c}, '^.*?市', 0), ''), left({c}, 2)) || '****'")
    if entity == "EMAIL":
        return f"CASE WHEN strpos({c}, '@') > 1 THEN left({c}, 1) || '***' || substr({c}, strpos({c}, '@')) ELSE '***' END"
    return f"left({c}, 1) || '***'"


def _generalize_sql(c: str, param: str, dtype: str, where: str) -> str:
    if param in ("year", "month"):
        if dtype not in ("DATE", "TIMESTAMP"):
            raise PolicyError(f"{where}: 按{param}泛化只适用于日期列 / generalize {param} needs a DATE column, got {dtype}")
        return f"CAST(date_trunc('{param}', {c}) AS {dtype})"
    if not dtype.startswith(("DECIMAL", "INTEGER", "BIGINT", "DOUBLE", "HUGEINT", "SMALLINT")):
        raise PolicyError(f"{where}: {param} 只适用于数值列 / generalize {param} needs a numeric column, got {dtype}")
    if param == "age_band":
        return (f"CAST(CAST(floor({c} / 10) * 10 AS INTEGER) AS VARCHAR) || '-' || "
                f"CAST(CAST(floor({c} / 10) * 10 + 9 AS INTEGER) AS VARCHAR)")
    whens = " ".join(f"WHEN {c} < {limit} THEN '{label}'" for limit, label in AMOUNT_BANDS)
    return f"CASE WHEN {c} IS NULL THEN NULL {whens} ELSE '{AMOUNT_TOP}' END"


def column_sql(op: Operator, entity: str, column: str, dtype: str, key: bytes | None, where: str,
               free_text_map: str | None = None) -> str:
    """A DuckDB expression masking ``column`` (an SQL reference) with ``op``."""
    if op.name == "keep":
        return column
    if op.name == "redact":
        return f"CAST(NULL AS {dtype})"
    c = column if dtype == "VARCHAR" else f"CAST({column} AS VARCHAR)"
    if op.name == "partial":
        return _partial_sql(c, entity)
    if op.name == "pseudonym":
        if key is None:
            raise MaskingKeyMissing(f"{where}: pseudonym needs {KEY_ENV}")
        ipad, opad = _pads(key)
        return (f"'P' || left(sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode({c})))), "
                f"{PSEUDONYM_HEX})")
    if op.name == "generalize":
        assert op.param is not None
        return _generalize_sql(column, op.param, dtype, where)
    if op.name == "free_text":
        if free_text_map is None:
            raise PolicyError(f"{where}: free_text needs a mapping table")
        return f"(SELECT m.masked FROM {free_text_map} AS m WHERE m.original = {column})"
    raise PolicyError(f"{where}: unknown operator {op}")


# ---- Python (one response) -------------------------------------------------------------------------------

def _partial(v: str, entity: str) -> str:
    n = len(v)
    if entity == "CN_ID":
        return v[:4] + "*" * (n - 8) + v[-4:] if n > 8 else "*" * n
    if entity in ("CN_MOBILE", "ACCOUNT_NO"):
        return v[:3] + "*" * (n - 7) + v[-4:] if n > 7 else "*" * n
    if entity == "PROPERTY_CERT":
        return v[:6] + "****" + v[-4:] if n > 10 else "*" * n
    if entity == "BANK_CARD":
        return v[:6] + "*" * (n - 10) + v[-4:] if n > 10 else "*" * n
    if entity == "CN_PHONE":
        return v[:-4] + "****" if n > 4 else "*" * n
    if entity == "PERSON":
        if v[:2] in COMPOUND_SURNAMES and n > 2:
            return v[:2] + "*" * (n - 2)
        return v[:1] + "*" * max(n - 1, 1)
    if entity == "ADDRESS":
        m = re.match(r"^.*?[区县]", v) or re.match(r"^.*?市", v)
        return (m.group(0) if m else v[:2]) + "****"
    if entity == "EMAIL":
        at = v.find("@")
        return v[:1] + "***" + v[at:] if at > 0 else "***"
    return v[:1] + "***"


def pseudonym(value: str, key: bytes) -> str:
    return "P" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def _as_text(v: object) -> str:
    if isinstance(v, Decimal | float | int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, datetime | date):
        return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
    return str(v)


def _generalize(v: object, param: str) -> object:
    if param in ("year", "month") and isinstance(v, str):  # an ISO date in a JSON response
        d = _generalize(date.fromisoformat(v[:10]), param)
        return d.isoformat() if isinstance(d, date) else d
    if param == "year" and isinstance(v, date):
        return v.replace(month=1, day=1)
    if param == "month" and isinstance(v, date):
        return v.replace(day=1)
    num = Decimal(str(v))
    if param == "age_band":
        low = int((num / 10).to_integral_value(rounding="ROUND_FLOOR")) * 10
        return f"{low}-{low + 9}"
    return next((label for limit, label in AMOUNT_BANDS if num < limit), AMOUNT_TOP)


def mask_value(op: Operator, entity: str, value: object, key: bytes | None) -> object:
    """The Python twin of :func:`column_sql` for one value."""
    if value is None or op.name == "keep":
        return value
    if op.name == "redact":
        return None
    if op.name == "partial":
        return _partial(_as_text(value), entity)
    if op.name == "pseudonym":
        if key is None:
            raise MaskingKeyMissing(f"pseudonym needs {KEY_ENV}")
        return pseudonym(_as_text(value), key)
    if op.name == "generalize":
        assert op.param is not None
        return _generalize(value, op.param)
    if op.name == "free_text":
        from masking.anonymize import anonymize_text

        return anonymize_text(str(value))
    raise PolicyError(f"unknown operator {op}")
