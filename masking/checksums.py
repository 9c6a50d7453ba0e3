"""Check characters of Chinese identifiers: 居民身份证 (GB 11643), 统一社会信用代码 (GB 32100), bank cards (Luhn).

Used by the recognizers (a match that fails its check is not reported) and by the corpus generator.
"""

from __future__ import annotations

from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_char(first17: str) -> str:
    """The 18th character of a 居民身份证号 (GB 11643-1999, ISO 7064 MOD 11-2)."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _valid_date(yyyymmdd: str) -> bool:
    try:
        d = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= d <= date(2100, 1, 1)


def valid_cn_id(text: str) -> bool:
    """An 18-character ID with a real birth date and a matching check character, or a 15-digit legacy ID
    (GB 11643-1989: YYMMDD birth date, no check character) with a real date."""
    s = text.replace(" ", "").upper()
    if len(s) == 18 and s[:17].isdigit() and s[0] != "0":
        return _valid_date(s[6:14]) and id_check_char(s[:17]) == s[17]
    if len(s) == 15 and s.isdigit() and s[0] != "0":
        return _valid_date("19" + s[6:12])
    return False


def luhn_valid(digits: str) -> bool:
    s = digits.replace(" ", "").replace("-", "")
    if not s.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass Luhn."""
    return next(str(d) for d in range(10) if luhn_valid(body + str(d)))


def uscc_check_char(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 (GB 32100-2015, MOD 31)."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def valid_uscc(text: str) -> bool:
    s = text.upper()
    if len(s) != 18 or any(c not in USCC_CHARSET for c in s) or not s[2:8].isdigit():
        return False
    return uscc_check_char(s[:17]) == s[17]
