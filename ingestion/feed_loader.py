"""Load partner-department feeds (数据共享 inbound) from ``landing/<feed>/`` into bronze.

For each file whose name matches its feed's contract (``ingestion/contracts/<feed>.yaml``):

1. content hash (sha256); content already loaded (``bronze/_meta/loaded_files``) is not loaded again
   (header-only files of quiet days excepted: they are identical every day and hold no rows);
2. encoding detection (BOM, strict UTF-8, strict GB18030/GBK, charset-normalizer as a tie-breaker);
   a declared/detected mismatch is a warning, decoding uses the detected encoding;
3. read all values as strings (CSV, JSON Lines, xlsx); header checked against the contract:
   missing column → file rejected (JSON Lines: a required key absent from every line; optional keys
   may be left out, as JSON does for nulls); extra column → warning (values kept in ``_extra``) or
   rejection, as the contract says (``on_extra_column``);
4. set-based checks in polars: NFKC normalisation (full-width digits), required, dates (impossible
   ones such as 2023-02-30 included), decimals, integers, allowed values, patterns, lengths, and
   duplicate keys within the file; failing rows go to quarantine with field and reason;
5. good rows go to the Delta table ``bronze/feeds/<feed>`` with lineage columns and ``_row_number``;
6. reconciliation (rows read = bronze + quarantine) logged with ``bronze.write_log``; the file moves
   to ``processed/``. A file that cannot be read or breaks the contract moves to ``rejected/`` with
   ``<file>.reason.json`` (an empty CSV/xlsx has no header to check and is rejected; an empty JSON
   Lines file is a day without records).

Writes are idempotent per file content (Delta application transaction ``feed:<feed>:<sha256>``), so a
run interrupted between the bronze write and the bookkeeping can simply be run again.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import shutil
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

import charset_normalizer
import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
from deltalake import DeltaTable, write_deltalake

from gjj.settings import Settings
from ingestion import bronze
from ingestion.feed_contracts import CHINA_TZ, ColumnSpec, FeedContract, load_contracts

ROW_NUMBER = "_row_number"
EXTRA = "_extra"

_CJK_FAMILY = ("gb2312", "gbk", "gb18030")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (b"\x84\x31\x95\x33", "gb18030"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class FeedFileError(Exception):
    """A file-level failure: the file is moved to ``rejected/`` with this code and message."""

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


# ---------------------------------------------------------------------------------------- encoding


def _norm_codec(name: str) -> str:
    return codecs.lookup(name).name


@dataclass(frozen=True)
class EncodingDetection:
    encoding: str  # the codec used to decode (python name, e.g. 'utf-8-sig', 'gbk', 'gb18030')
    method: str  # bom | strict | charset-normalizer | declared
    ascii_only: bool = False


def compatible(declared: str | None, detected: EncodingDetection) -> bool:
    """True when text in ``detected`` decodes identically with ``declared`` (subset relations)."""
    if declared is None:
        return True
    d, e = _norm_codec(declared), _norm_codec(detected.encoding)
    if detected.ascii_only and d in {"utf-8", "utf-8-sig", *_CJK_FAMILY, "ascii"}:
        return True
    if {d, e} <= {"utf-8", "utf-8-sig"}:
        return True
    if d in _CJK_FAMILY and e in _CJK_FAMILY:
        return _CJK_FAMILY.index(e) <= _CJK_FAMILY.index(d)
    return d == e


def _strict(data: bytes, codec: str) -> UnicodeDecodeError | None:
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        return exc
    return None


def detect_encoding(data: bytes, declared: str | None = None) -> EncodingDetection:
    """Detect the text encoding of ``data``.

    Order: a byte-order mark; then strict decoding as UTF-8 and as GB18030 (reported as GBK when the
    text also decodes as GBK, or as the declared Chinese codec when that decodes); when both UTF-8
    and GB18030 decode non-ASCII text, charset-normalizer breaks the tie. Raises FeedFileError
    ('truncated' when only the last few bytes fail, else 'undecodable').
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            err = _strict(data, codec)
            if err is None:
                return EncodingDetection(codec, "bom")
            _raise_decode(data, {codec: err})
    if data.isascii():
        return EncodingDetection("utf-8", "strict", ascii_only=True)
    errors: dict[str, UnicodeDecodeError] = {}
    utf8_err = _strict(data, "utf-8")
    gb_err = _strict(data, "gb18030")
    if utf8_err is None and gb_err is None:
        best = charset_normalizer.from_bytes(data[: 1 << 16], cp_isolation=["utf_8", "gb18030"]).best()
        if best is not None and _norm_codec(best.encoding) == "gb18030":
            return EncodingDetection(_refine_cjk(data, declared), "charset-normalizer")
        return EncodingDetection("utf-8", "charset-normalizer")
    if utf8_err is None:
        return EncodingDetection("utf-8", "strict")
    if gb_err is None:
        return EncodingDetection(_refine_cjk(data, declared), "strict")
    errors["utf-8"], errors["gb18030"] = utf8_err, gb_err
    if declared and _norm_codec(declared) not in ("utf-8", "gb18030"):
        decl_err = _strict(data, declared)
        if decl_err is None:
            return EncodingDetection(declared, "declared")
        errors[declared] = decl_err
    _raise_decode(data, errors)
    raise AssertionError("unreachable")


def _refine_cjk(data: bytes, declared: str | None) -> str:
    """The narrowest Chinese codec that decodes: the declared one if it works, GBK, else GB18030."""
    if declared and _norm_codec(declared) in _CJK_FAMILY and _strict(data, declared) is None:
        return _norm_codec(declared)
    return "gbk" if _strict(data, "gbk") is None else "gb18030"


def _raise_decode(data: bytes, errors: dict[str, UnicodeDecodeError]) -> None:
    furthest = max(e.start for e in errors.values())
    details = {codec: f"byte {e.start}: {e.reason}" for codec, e in errors.items()}
    if furthest >= len(data) - 3:
        raise FeedFileError(
            "truncated",
            f"文件在多字节字符中间截断 / file ends in the middle of a character (byte {furthest} of {len(data)})",
            decode_errors=details,
        )
    raise FeedFileError(
        "undecodable",
        "无法按 UTF-8、GB18030 或约定编码解码 / cannot be decoded as UTF-8, GB18030 or the declared encoding",
        decode_errors=details,
    )


# ---------------------------------------------------------------------------------------- reading


@dataclass
class RawFeed:
    """A file read as strings: ``frame`` has one column per header (original text) plus _row_number;
    ``bad_rows`` are rows that could not be split into the header's fields (row number, raw JSON)."""

    header: list[str]
    frame: pl.DataFrame
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row_number, reason, raw)
    warnings: list[str] = field(default_factory=list)


def _clean_header(names: Iterable[object]) -> list[str]:
    return [
        unicodedata.normalize("NFKC", str(n if n is not None else "")).strip().lstrip("\ufeff") for n in names
    ]


def _frame(
    header: list[str], columns: list[list[str | None]], row_numbers: list[int] | range
) -> pl.DataFrame:
    data = {f"c{i}": pl.Series(f"c{i}", col, dtype=pl.String) for i, col in enumerate(columns)}
    df = pl.DataFrame(data) if data else pl.DataFrame()
    df.columns = header
    return df.with_columns(pl.Series(ROW_NUMBER, list(row_numbers), dtype=pl.Int64))


def read_csv_text(text: str, delimiter: str = ",") -> RawFeed:
    """Split CSV text into string columns. Fast path pyarrow; rows with a wrong field count send the
    file through Python's csv module, which gives exact row numbers for the quarantine."""
    if not text.strip():
        raise FeedFileError("empty_file", "文件为空 / file is empty")
    first_line = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = _clean_header(first_line)
    dups = sorted({h for h in header if header.count(h) > 1})
    if dups:
        raise FeedFileError(
            "duplicate_column", f"表头列名重复 / duplicated header: {', '.join(dups)}", columns=dups
        )
    ends_clean = text.endswith(("\n", "\r"))
    n = len(header)
    invalid = 0

    def _count(_row: object) -> str:
        nonlocal invalid
        invalid += 1
        return "skip"

    names = [f"c{i}" for i in range(n)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=_count
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        invalid = -1
    if invalid == 0:
        df = pl.from_arrow(table)
        assert isinstance(df, pl.DataFrame)
        df.columns = header
        return RawFeed(
            header, df.with_columns(pl.int_range(1, df.height + 1, dtype=pl.Int64).alias(ROW_NUMBER))
        )
    return _read_csv_slow(text, header, delimiter, ends_clean)


def _read_csv_slow(text: str, header: list[str], delimiter: str, ends_clean: bool) -> RawFeed:
    records = list(csv.reader(io.StringIO(text), delimiter=delimiter))[1:]
    n = len(header)
    if records and len(records[-1]) != n and not ends_clean:
        raise FeedFileError(
            "truncated",
            f"文件末行不完整 / file truncated mid-row: last row has {len(records[-1])} of {n} fields and no line end",
            last_row=len(records),
        )
    good: list[list[str]] = []
    numbers: list[int] = []
    bad: list[tuple[int, str, str]] = []
    for i, rec in enumerate(records, start=1):
        if not rec:  # blank line
            bad.append((i, f"空行 / blank line (expected {n} fields)", json.dumps({"_fields": []})))
        elif len(rec) == n:
            good.append(rec)
            numbers.append(i)
        else:
            bad.append(
                (
                    i,
                    f"字段数不符 / field count {len(rec)} ≠ {n}",
                    json.dumps({"_fields": rec}, ensure_ascii=False),
                )
            )
    columns = [list(col) for col in zip(*good, strict=True)] if good else [[] for _ in header]
    return RawFeed(header, _frame(header, columns, numbers), bad)


def read_jsonl_text(text: str) -> RawFeed:
    """One JSON object per line; the header is the union of keys in first-seen order."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise FeedFileError("empty_file", "文件为空 / file is empty")
    objs: list[dict[str, object]] = []
    numbers: list[int] = []
    bad: list[tuple[int, str, str]] = []
    keys: dict[str, None] = {}
    for i, line in enumerate(lines, start=1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if i == len(lines) and not text.endswith(("\n", "\r")):
                raise FeedFileError(
                    "truncated", f"文件末行不完整 / file truncated mid-line {i}: {exc.msg}", last_row=i
                ) from exc
            bad.append(
                (
                    i,
                    f"JSON 无法解析 / invalid JSON: {exc.msg}",
                    json.dumps({"_line": line}, ensure_ascii=False),
                )
            )
            continue
        if not isinstance(obj, dict):
            bad.append(
                (i, "不是 JSON 对象 / not a JSON object", json.dumps({"_line": line}, ensure_ascii=False))
            )
            continue
        objs.append(obj)
        numbers.append(i)
        keys.update(dict.fromkeys(obj))
    if not keys:
        raise FeedFileError("no_header", "没有任何字段 / no fields in any line")
    header = list(keys)

    def _s(v: object) -> str | None:
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, (dict, list)):
            return json.dumps(v, ensure_ascii=False)
        return str(v)

    columns = [[_s(o.get(k)) for o in objs] for k in header]
    clean = _clean_header(header)
    return RawFeed(clean, _frame(clean, columns, numbers), bad)


_XL_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XL_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_XL_CELL = re.compile(r'<c r="([A-Z]{1,3})(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_XL_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))


def read_xlsx_bytes(data: bytes, sheet: str, contract: FeedContract | None = None) -> RawFeed:
    """Read one sheet; every value becomes a string. Plain sheets (what departments' exports are:
    inline or shared strings and numbers) are read column-wise from the sheet XML, about ten times
    faster than openpyxl; anything else (styled dates in date columns, unusual markup) goes through
    openpyxl (read-only), where Excel dates in date columns are written in the contract's format.
    Fully empty rows are skipped with a warning."""
    fast = _read_xlsx_plain(data, sheet, contract)
    if fast is not None:
        return fast
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        code = "truncated" if isinstance(exc, zipfile.BadZipFile) and data[:2] == b"PK" else "unreadable"
        raise FeedFileError(code, f"不是有效的 xlsx 文件 / not a readable xlsx file: {exc}") from exc
    try:
        if sheet not in wb.sheetnames:
            raise FeedFileError(
                "wrong_sheet",
                f"缺少工作表“{sheet}” / sheet {sheet!r} not found (sheets: {', '.join(wb.sheetnames)})",
                expected=sheet,
                found=wb.sheetnames,
            )
        rows = wb[sheet].iter_rows(values_only=True)
        first = next(rows, None)
        if first is None or all(v is None for v in first):
            raise FeedFileError("empty_file", f"工作表“{sheet}”为空 / sheet is empty")
        width = max(i + 1 for i, v in enumerate(first) if v is not None)
        header = _clean_header(first[:width])
        dups = sorted({h for h in header if header.count(h) > 1})
        if dups:
            raise FeedFileError("duplicate_column", f"表头列名重复 / duplicated header: {', '.join(dups)}")
        formats = {c.source: c.format for c in contract.columns if c.type == "date"} if contract else {}
        fmt = [formats.get(h) for h in header]
        body: list[list[str | None]] = []
        numbers: list[int] = []
        empty = 0
        for i, row in enumerate(rows, start=1):
            cells = list(row[:width]) + [None] * (width - len(row))
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
                empty += 1
                continue
            body.append([_cell(v, f) for v, f in zip(cells, fmt, strict=True)])
            numbers.append(i)
    except zipfile.BadZipFile as exc:
        raise FeedFileError("truncated", f"xlsx 文件不完整 / xlsx file is damaged: {exc}") from exc
    finally:
        wb.close()
    columns = [list(c) for c in zip(*body, strict=True)] if body else [[] for _ in header]
    raw = RawFeed(header, _frame(header, columns, numbers))
    if empty:
        raw.warnings.append(f"跳过 {empty} 个空行 / skipped {empty} empty rows")
    return raw


def _read_xlsx_plain(data: bytes, sheet: str, contract: FeedContract | None) -> RawFeed | None:
    """The sheet as strings straight from its XML, or None when openpyxl should read it."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        workbook = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        ids = {s.get("name"): s.get(f"{_XL_REL}id") for s in workbook.iter(f"{_XL_MAIN}sheet")}
        target = next((r.get("Target", "") for r in rels if r.get("Id") == ids.get(sheet)), None)
        if target is None:
            return None  # openpyxl names the sheets that are there
        xml = zf.read(target.lstrip("/") if target.startswith("/") else f"xl/{target}").decode("utf-8")
        shared: list[str] = []
        if "xl/sharedStrings.xml" in zf.namelist():
            for si in ET.fromstring(zf.read("xl/sharedStrings.xml")).iter(f"{_XL_MAIN}si"):
                runs = si.findall(f"{_XL_MAIN}t") + si.findall(f"{_XL_MAIN}r/{_XL_MAIN}t")  # not phonetic rPh
                shared.append("".join(t.text or "" for t in runs))
    except (zipfile.BadZipFile, KeyError, ET.ParseError, UnicodeDecodeError, OSError):
        return None
    cells = _XL_CELL.findall(xml)
    if len(cells) != xml.count("<c ") or "&#" in xml or not cells:
        return None
    df = pl.DataFrame(cells, schema=["col", "row", "attrs", "inner"], orient="row").with_columns(
        pl.col("row").cast(pl.Int64),
        t=pl.col("attrs").str.extract(r'\bt="(\w+)"'),
        v=pl.col("inner").str.extract(r"<v>([^<]*)</v>"),
    )
    if df["t"].is_in(["s", "inlineStr", "str", "n", "b", "e"]).not_().fill_null(False).any():
        return None
    sst = pl.DataFrame(
        {"si": pl.int_range(0, len(shared), eager=True), "sv": pl.Series(shared, dtype=pl.String)}
    )
    df = df.with_columns(si=pl.when(pl.col("t") == "s").then(pl.col("v").cast(pl.Int64, strict=False)))
    df = df.join(sst, on="si", how="left")
    value = (
        pl.when(pl.col("t") == "s")
        .then(pl.col("sv"))
        .when(pl.col("t") == "inlineStr")
        .then(pl.col("inner").str.replace_all(r"<rPh\b.*?</rPh>", "").str.replace_all(r"<[^>]+>", ""))
        .when(pl.col("t").is_null() | (pl.col("t") == "n"))
        .then(_excel_number(pl.col("v")))
        .otherwise(pl.col("v"))
    )
    for entity, char in _XL_ENTITIES:
        value = value.str.replace_all(entity, char, literal=True)
    df = df.select("col", "row", value=value).filter(
        pl.col("value").is_not_null() & (pl.col("value").str.strip_chars() != "")
    )
    if df.is_empty():
        return None
    first = int(df["row"].min())  # type: ignore[arg-type]
    head = dict(df.filter(pl.col("row") == first).select("col", "value").iter_rows())
    letters = sorted(head, key=lambda c: (len(c), c))
    header = _clean_header(head[c] for c in letters)
    if len(set(header)) != len(header):
        return None  # openpyxl path reports duplicated headers
    body = df.filter((pl.col("row") > first) & pl.col("col").is_in(letters))
    dates = {c.source for c in contract.columns if c.type == "date"} if contract else set()
    date_letters = [c for c, h in zip(letters, header, strict=True) if h in dates]
    if body.filter(pl.col("col").is_in(date_letters) & pl.col("value").str.contains(r"^\d+(\.\d+)?$")).height:
        return None  # Excel date serials: the cell style says how to read them
    wide = body.pivot(on="col", index="row", values="value", aggregate_function="first").sort("row")
    wide = wide.with_columns(pl.lit(None, pl.String).alias(c) for c in letters if c not in wide.columns)
    frame = wide.select(
        *[pl.col(c).alias(h) for c, h in zip(letters, header, strict=True)],
        (pl.col("row") - first).alias(ROW_NUMBER),
    )
    raw = RawFeed(header, frame.rechunk())
    last = int(body["row"].max()) - first if body.height else 0  # type: ignore[arg-type]
    if last > frame.height:
        raw.warnings.append(f"跳过 {last - frame.height} 个空行 / skipped {last - frame.height} empty rows")
    return raw


def _excel_number(v: pl.Expr) -> pl.Expr:
    """Numeric cell text as openpyxl + ``_cell`` give it: whole numbers without decimals."""
    f = v.cast(pl.Float64, strict=False)
    whole = f.is_not_null() & (f == f.floor()) & (f.abs() < 1e15)
    return pl.when(whole).then(f.cast(pl.Int64).cast(pl.String)).otherwise(v)


def _cell(value: object, date_format: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.strftime(date_format) if date_format else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------- checks


def _column_checks(col: ColumnSpec, v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(normalised/typed value, reason-or-null) for one contract column; ``v`` is the normalised string."""
    reasons: list[pl.Expr] = []
    if col.required:
        reasons.append(pl.when(v.is_null()).then(pl.lit("必填字段为空 / required value missing")))
    typed: pl.Expr = v
    if col.type == "date":
        typed = v.str.strptime(pl.Date, col.format, strict=False)
        msg = f"日期无效 / invalid date (format {col.format}): "
        reasons.append(pl.when(v.is_not_null() & typed.is_null()).then(pl.lit(msg) + v))
    elif col.type == "decimal":
        typed = v.str.replace_all(",", "", literal=True).cast(
            pl.Decimal(col.precision, col.scale), strict=False
        )
        reasons.append(
            pl.when(v.is_not_null() & typed.is_null()).then(pl.lit("数值无效 / invalid decimal: ") + v)
        )
    elif col.type == "integer":
        typed = v.str.replace_all(",", "", literal=True).cast(pl.Int64, strict=False)
        reasons.append(
            pl.when(v.is_not_null() & typed.is_null()).then(pl.lit("整数无效 / invalid integer: ") + v)
        )
    if col.allowed is not None:
        allowed = "、".join(col.allowed)
        reasons.append(
            pl.when(v.is_not_null() & ~v.is_in(col.allowed)).then(
                pl.lit("代码值不在允许范围 / value not allowed: ") + v + pl.lit(f" (允许 allowed: {allowed})")
            )
        )
    if col.regex is not None:
        reasons.append(
            pl.when(v.is_not_null() & ~v.str.contains(f"^(?:{col.regex})$")).then(
                pl.lit("格式不符 / does not match pattern: ") + v
            )
        )
    if col.max_length is not None:
        reasons.append(
            pl.when(v.str.len_chars() > col.max_length).then(
                pl.lit(f"长度超过 {col.max_length} / too long: ") + v
            )
        )
    if col.min_length is not None:
        reasons.append(
            pl.when(v.str.len_chars() < col.min_length).then(
                pl.lit(f"长度不足 {col.min_length} / too short: ") + v
            )
        )
    return typed, pl.coalesce(reasons) if reasons else pl.lit(None, dtype=pl.String)


@dataclass
class Checked:
    good: pl.DataFrame  # typed target columns + _row_number + _extra + raw source columns (__raw_i)
    raw_names: list[str]  # the __raw_i names, for the row hash
    quarantine: pl.DataFrame  # row_number, field, reason, raw


def check_rows(raw: RawFeed, contract: FeedContract) -> Checked:
    """Normalise, type-check and de-duplicate a file's rows, set-based."""
    df = raw.frame.rechunk()  # polars' format/concat_str need aligned chunks
    sources = [c.source for c in contract.columns]
    extras = [h for h in raw.header if h not in sources]
    raw_json = pl.struct(raw.header).struct.json_encode() if raw.header else pl.lit("{}")
    raw_names = [f"__raw_{i}" for i in range(len(raw.header))]
    exprs: list[pl.Expr] = [pl.col(ROW_NUMBER), raw_json.alias("__raw_json")]
    exprs += [pl.col(h).alias(r) for h, r in zip(raw.header, raw_names, strict=True)]
    exprs.append(
        pl.struct(extras).struct.json_encode().alias(EXTRA)
        if extras
        else pl.lit(None, pl.String).alias(EXTRA)
    )
    reason_cols, field_flags = [], []
    for col in contract.columns:
        v = pl.col(col.source).str.normalize("NFKC").str.strip_chars()
        v = pl.when(v == "").then(None).otherwise(v)
        typed, reason = _column_checks(col, v)
        exprs += [typed.alias(col.name), reason.alias(f"__why_{col.name}")]
        reason_cols.append(
            pl.when(pl.col(f"__why_{col.name}").is_not_null()).then(
                pl.lit(f"{col.source}: ") + pl.col(f"__why_{col.name}")
            )
        )
        field_flags.append(pl.when(pl.col(f"__why_{col.name}").is_not_null()).then(pl.lit(col.source)))
    checked = df.select(exprs).with_columns(
        pl.concat_str(field_flags, separator=",", ignore_nulls=True).alias("__fields"),
        pl.concat_str(reason_cols, separator="；", ignore_nulls=True).alias("__reasons"),
    )
    invalid = checked.filter(pl.col("__fields") != "")
    valid = checked.filter(pl.col("__fields") == "")
    # duplicates among valid rows, by contract key; the first occurrence is kept
    names = [c.name for c in contract.columns]
    key_sources = ", ".join(contract.column(k).source for k in contract.keys)
    valid = valid.with_columns(
        pl.struct(contract.keys).is_first_distinct().alias("__first_key"),
        pl.struct(names).is_first_distinct().alias("__first_row"),
        pl.col(ROW_NUMBER).min().over(contract.keys).alias("__first_at"),
    )
    dups = valid.filter(~pl.col("__first_key")).with_columns(
        pl.lit(key_sources).alias("__fields"),
        pl.when(pl.col("__first_row"))
        .then(
            pl.format(
                "主键重复 / duplicate key ({}), first at row {}", pl.lit(key_sources), pl.col("__first_at")
            )
        )
        .otherwise(pl.format("重复行 / duplicate row, same as row {}", pl.col("__first_at")))
        .alias("__reasons"),
    )
    good = valid.filter(pl.col("__first_key")).select([*names, ROW_NUMBER, EXTRA, *raw_names])
    q_cols = [
        pl.col(ROW_NUMBER).alias("row_number"),
        pl.col("__fields").alias("field"),
        pl.col("__reasons").alias("reason"),
        pl.col("__raw_json").alias("raw"),
    ]
    bad_rows = pl.DataFrame(
        {
            "row_number": [b[0] for b in raw.bad_rows],
            "field": ["*"] * len(raw.bad_rows),
            "reason": [b[1] for b in raw.bad_rows],
            "raw": [b[2] for b in raw.bad_rows],
        },
        schema={"row_number": pl.Int64, "field": pl.String, "reason": pl.String, "raw": pl.String},
    )
    quarantine = pl.concat([invalid.select(q_cols), dups.select(q_cols), bad_rows]).sort("row_number")
    return Checked(good, raw_names, quarantine)


# ---------------------------------------------------------------------------------------- bookkeeping

LOADED_FILES = "loaded_files"
_LOADED_SCHEMA = pa.schema(
    [
        ("feed", pa.string()),
        ("file_name", pa.string()),
        ("sha256", pa.string()),
        ("size_bytes", pa.int64()),
        ("file_date", pa.date32()),
        ("arrived_at", pa.timestamp("us", tz="UTC")),
        ("processed_at", pa.timestamp("us", tz="UTC")),
        ("batch_id", pa.string()),
        ("status", pa.string()),
        ("error_code", pa.string()),
        ("rows_read", pa.int64()),
        ("rows_bronze", pa.int64()),
        ("rows_quarantine", pa.int64()),
        ("encoding_declared", pa.string()),
        ("encoding_detected", pa.string()),
        ("warnings", pa.string()),
    ]
)


def loaded_files(bronze_dir: Path) -> pa.Table:
    """Every file the loader has seen (``bronze/_meta/loaded_files``), empty when none yet."""
    path = bronze.meta_path(bronze_dir, LOADED_FILES)
    if not DeltaTable.is_deltatable(str(path)):
        return _LOADED_SCHEMA.empty_table()
    return DeltaTable(str(path)).to_pyarrow_table()


def _loaded_hashes(bronze_dir: Path) -> set[tuple[str, str]]:
    """Contents already loaded with data. Files without data rows (a department's header-only file
    for a quiet day) are identical from day to day and can't load anything twice: not listed."""
    known = loaded_files(bronze_dir).select(["feed", "sha256", "status", "rows_read"]).to_pylist()
    return {(r["feed"], r["sha256"]) for r in known if r["status"] == "loaded" and r["rows_read"]}


@dataclass
class FeedFileResult:
    feed: str
    file: str
    status: Literal["loaded", "rejected", "duplicate", "error"]
    sha256: str
    batch_id: str
    file_date: date | None = None
    arrived_at: datetime | None = None
    rows_read: int = 0
    rows_bronze: int = 0
    rows_quarantine: int = 0
    encoding_declared: str | None = None
    encoding_detected: str | None = None
    warnings: list[str] = field(default_factory=list)
    error_code: str | None = None
    message: str = ""
    moved_to: Path | None = None

    @property
    def reconciled(self) -> bool:
        return self.rows_read == self.rows_bronze + self.rows_quarantine

    def line(self) -> str:
        head = f"  {self.feed:<5} {self.file:<28} {self.status:<9}"
        if self.status == "loaded":
            rec = "ok" if self.reconciled else "MISMATCH"
            text = f"{head} read {self.rows_read} = bronze {self.rows_bronze} + quarantine {self.rows_quarantine} [{rec}]"
        elif self.status == "rejected":
            text = f"{head} {self.error_code}: {self.message}"
        elif self.status == "error":
            text = f"{head} loader fault, file left in landing: {self.message}"
        else:
            text = f"{head} {self.message}"
        return text + "".join(f"\n        warning: {w}" for w in self.warnings)


@dataclass
class FeedLoadReport:
    files: list[FeedFileResult] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # files in landing/<feed>/ not matching the contract

    @property
    def ok(self) -> bool:
        """All loaded files reconcile and none hit a loader fault. Rejected files are a handled
        outcome (they sit in rejected/ with their reason and feed the quality checks)."""
        return all(f.reconciled for f in self.files if f.status == "loaded") and not self.count("error")

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    def summary(self) -> str:
        rows = [f for f in self.files if f.status == "loaded"]
        head = (
            f"feeds: {len(self.files)} files — loaded {self.count('loaded')}, rejected {self.count('rejected')}, "
            f"already loaded {self.count('duplicate')}, errors {self.count('error')}; rows read {sum(f.rows_read for f in rows)} = "
            f"bronze {sum(f.rows_bronze for f in rows)} + quarantine {sum(f.rows_quarantine for f in rows)}"
            f" [{'ok' if self.ok else 'NOT RECONCILED'}]"
        )
        lines = [head, *(f.line() for f in self.files)]
        lines += [f"  ignored (name does not match its contract): {u}" for u in self.unmatched]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------- loading


def load_feeds(settings: Settings, contracts: dict[str, FeedContract] | None = None) -> FeedLoadReport:
    """Load every waiting file of every feed; see the module docstring."""
    contracts = contracts if contracts is not None else load_contracts()
    report = FeedLoadReport()
    loaded_hashes = _loaded_hashes(settings.bronze_dir)
    for feed, contract in sorted(contracts.items()):
        folder = settings.landing_dir / feed
        if not folder.is_dir():
            continue
        waiting = []
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            file_date = contract.file_date(path.name)
            if file_date is None:
                if not path.name.endswith((".reason.json", ".note.json")):
                    report.unmatched.append(f"{feed}/{path.name}")
                continue
            waiting.append((file_date, path.name, path))
        for file_date, _, path in sorted(waiting):
            try:
                result = load_file(settings, contract, path, file_date, loaded_hashes)
            except Exception as exc:  # a loader fault: the file stays in landing for the next run
                result = FeedFileResult(
                    feed, path.name, "error", "", "", file_date, message=f"{type(exc).__name__}: {exc}"
                )
            if result.status == "loaded" and result.rows_read:
                loaded_hashes.add((feed, result.sha256))
            report.files.append(result)
    return report


def load_file(
    settings: Settings,
    contract: FeedContract,
    path: Path,
    file_date: date | None = None,
    loaded_hashes: set[tuple[str, str]] | None = None,
) -> FeedFileResult:
    """Load one landing file and move it to processed/ or rejected/."""
    feed = contract.feed
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    started = bronze.now_utc()
    batch_id = f"feed-{feed}-{started:%Y%m%dT%H%M%S}-{sha[:8]}"
    arrived = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    result = FeedFileResult(
        feed,
        path.name,
        "loaded",
        sha,
        batch_id,
        file_date or contract.file_date(path.name),
        arrived,
        encoding_declared=contract.file.encoding,
    )
    log = bronze.BatchLog(batch_id, f"feed:{feed}", path.name, started)
    if loaded_hashes is None:
        loaded_hashes = _loaded_hashes(settings.bronze_dir)
    if (feed, sha) in loaded_hashes:
        result.status = "duplicate"
        result.message = f"内容已加载过 / same content (sha256 {sha[:12]}…) already loaded; not loaded again"
        log.status, log.message = "duplicate", result.message
        _finish(settings, contract, path, result, log, note={"reason": "already_loaded", "sha256": sha})
        return result
    try:
        raw = _read(data, contract, result)
        _check_header(raw, contract, result)
        checked = check_rows(raw, contract)
    except FeedFileError as exc:
        result.status, result.error_code, result.message = "rejected", exc.code, exc.message
        log.status, log.message = "rejected", f"{exc.code}: {exc.message}"
        _finish(
            settings,
            contract,
            path,
            result,
            log,
            reason={"code": exc.code, "message": exc.message, "details": exc.details},
        )
        return result
    result.warnings += raw.warnings
    result.rows_read = raw.frame.height + len(raw.bad_rows)
    app_id = f"feed:{feed}:{sha}"
    good = _bronze_table(checked, contract, batch_id, path.name, started)
    if good.num_rows:
        bronze.append(settings.bronze_dir / "feeds" / feed, good, app_id, 0, batch_id)
    q = checked.quarantine
    qrows = pa.table(
        {
            "batch_id": [batch_id] * q.height,
            "source_system": [f"feed:{feed}"] * q.height,
            "source_object": [path.name] * q.height,
            "row_number": q["row_number"].to_arrow(),
            "field": q["field"].to_arrow(),
            "reason": q["reason"].to_arrow(),
            "raw": q["raw"].to_arrow(),
            "quarantined_at": pa.array([started] * q.height, pa.timestamp("us", tz="UTC")),
        }
    )
    bronze.write_quarantine(settings.bronze_dir, qrows, app_id, 0, batch_id)
    result.rows_bronze, result.rows_quarantine = good.num_rows, q.height
    log.rows_read, log.rows_bronze, log.rows_quarantine = (
        result.rows_read,
        result.rows_bronze,
        result.rows_quarantine,
    )
    if not result.reconciled:
        log.status = "error"
        log.message = f"not reconciled: read {result.rows_read} ≠ bronze {result.rows_bronze} + quarantine {result.rows_quarantine}"
    log.message = "; ".join(filter(None, [log.message, *result.warnings]))
    _finish(settings, contract, path, result, log)
    return result


def _read(data: bytes, contract: FeedContract, result: FeedFileResult) -> RawFeed:
    spec = contract.file
    if spec.format == "jsonl" and not data.strip():
        # JSON Lines has no header: an empty file is a day without records, not a broken file
        header = [c.source for c in contract.columns]
        return RawFeed(header, _frame(header, [[] for _ in header], []))
    if not data:
        raise FeedFileError("empty_file", "文件为空（0 字节） / file is empty (0 bytes)")
    if spec.format == "xlsx":
        return read_xlsx_bytes(data, spec.sheet or "", contract)
    detected = detect_encoding(data, spec.encoding)
    result.encoding_detected = detected.encoding
    if not compatible(spec.encoding, detected):
        result.warnings.append(
            f"编码与约定不符 / declared encoding {spec.encoding} but detected {detected.encoding} "
            f"({detected.method}); decoded as {detected.encoding}"
        )
    text = data.decode(detected.encoding)
    text = text.removeprefix("\ufeff")
    if spec.format == "jsonl":
        raw = read_jsonl_text(text)
        # JSON leaves out null fields: an optional key absent from every line is a null column
        absent = [c.source for c in contract.columns if not c.required and c.source not in raw.header]
        raw.frame = raw.frame.with_columns(pl.lit(None, pl.String).alias(a) for a in absent)
        raw.header += absent
        return raw
    return read_csv_text(text, spec.delimiter)


def _check_header(raw: RawFeed, contract: FeedContract, result: FeedFileResult) -> None:
    sources = [c.source for c in contract.columns]
    missing = [s for s in sources if s not in raw.header]
    extra = [h for h in raw.header if h not in sources]
    if missing:
        raise FeedFileError(
            "missing_column",
            f"缺少约定字段 / missing column(s): {', '.join(missing)}",
            missing=missing,
            header=raw.header,
        )
    if extra and contract.on_extra_column == "reject":
        raise FeedFileError(
            "extra_column", f"多出未约定字段 / unexpected column(s): {', '.join(extra)}", extra=extra
        )
    if extra:
        result.warnings.append(
            f"多出未约定字段，值保存在 _extra / unexpected column(s) kept in _extra: {', '.join(extra)}"
        )


def _bronze_table(
    checked: Checked, contract: FeedContract, batch_id: str, file_name: str, at: datetime
) -> pa.Table:
    """Typed contract columns + _row_number + _extra + lineage (row hash over the raw source values)."""
    good = checked.good.to_arrow()
    names = ", ".join(f'"{c.name}"' for c in contract.columns)
    lineage = bronze.lineage_sql(checked.raw_names, batch_id, f"feed:{contract.feed}", file_name, at)
    with duckdb.connect() as con:
        con.register("good", good)
        return (
            con.sql(f'select {names}, "{ROW_NUMBER}", "{EXTRA}", {lineage} from good order by "{ROW_NUMBER}"')
            .arrow()
            .read_all()
        )


def _finish(
    settings: Settings,
    contract: FeedContract,
    path: Path,
    result: FeedFileResult,
    log: bronze.BatchLog,
    reason: dict[str, object] | None = None,
    note: dict[str, object] | None = None,
) -> None:
    """Record the file in loaded_files and the ingestion log, then move it out of the landing folder."""
    now = bronze.now_utc()
    log.finished_at = now
    log.extra = {"sha256": result.sha256, "status": result.status, "encoding": str(result.encoding_detected)}
    row = {
        "feed": result.feed,
        "file_name": result.file,
        "sha256": result.sha256,
        "size_bytes": path.stat().st_size,
        "file_date": result.file_date,
        "arrived_at": result.arrived_at,
        "processed_at": now,
        "batch_id": result.batch_id,
        "status": result.status,
        "error_code": result.error_code,
        "rows_read": result.rows_read,
        "rows_bronze": result.rows_bronze,
        "rows_quarantine": result.rows_quarantine,
        "encoding_declared": result.encoding_declared,
        "encoding_detected": result.encoding_detected,
        "warnings": json.dumps(result.warnings, ensure_ascii=False),
    }
    write_deltalake(
        str(bronze.meta_path(settings.bronze_dir, LOADED_FILES)),
        pa.Table.from_pylist([row], schema=_LOADED_SCHEMA),
        mode="append",
    )
    bronze.write_log(settings.bronze_dir, [log])
    target_dir = path.parent / ("rejected" if result.status == "rejected" else "processed")
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}.{result.batch_id}{path.suffix}"
    shutil.move(str(path), target)  # same filesystem: a rename, the arrival time (mtime) is kept
    result.moved_to = target
    side = None
    if reason is not None:
        side = (
            target.with_name(target.name + ".reason.json"),
            {
                "feed": result.feed,
                "file": result.file,
                "sha256": result.sha256,
                "size_bytes": row["size_bytes"],
                "error_code": reason["code"],
                "message": reason["message"],
                "details": reason["details"],
                "batch_id": result.batch_id,
                "rejected_at": now.isoformat(),
            },
        )
    elif note is not None:
        side = (
            target.with_name(target.name + ".note.json"),
            {
                "feed": result.feed,
                "file": result.file,
                "batch_id": result.batch_id,
                "message": result.message,
                **note,
            },
        )
    if side:
        side[0].write_text(json.dumps(side[1], ensure_ascii=False, indent=2, default=str), encoding="utf-8")


# ---------------------------------------------------------------------------------------- freshness


@dataclass
class LateFile:
    file: str
    file_date: date
    due: datetime
    arrived_at: datetime


@dataclass
class FeedFreshness:
    """Timeliness (及时性) of one feed at ``as_of``.

    status: ``ok`` — the latest due file has arrived; ``late`` — files exist but the latest due one
    has not arrived; ``missing`` — no file of this feed has ever arrived.
    """

    feed: str
    as_of: datetime
    status: Literal["ok", "late", "missing"]
    expected_date: date
    latest_file_date: date | None
    missing_dates: list[date] = field(default_factory=list)
    late_files: list[LateFile] = field(default_factory=list)


def _arrivals(
    settings: Settings, contracts: dict[str, FeedContract]
) -> dict[str, list[tuple[str, date, datetime]]]:
    """Files that arrived (loaded, already-loaded copies, or still waiting in landing), per feed.
    Rejected files do not count: their data is not usable."""
    out: dict[str, list[tuple[str, date, datetime]]] = {f: [] for f in contracts}
    known = loaded_files(settings.bronze_dir).to_pylist()
    seen = set()
    for r in known:
        if r["feed"] in out and r["status"] != "rejected" and r["file_date"] is not None:
            out[r["feed"]].append((r["file_name"], r["file_date"], r["arrived_at"]))
            seen.add((r["feed"], r["file_name"]))
    for feed, contract in contracts.items():
        folder = settings.landing_dir / feed
        if folder.is_dir():
            for p in folder.iterdir():
                d = contract.file_date(p.name)
                if p.is_file() and d is not None and (feed, p.name) not in seen:
                    out[feed].append((p.name, d, datetime.fromtimestamp(p.stat().st_mtime, UTC)))
    return out


def check_freshness(
    settings: Settings,
    as_of: datetime,
    contracts: dict[str, FeedContract] | None = None,
    window_days: int = 62,
) -> list[FeedFreshness]:
    """Per feed: latest arrived file date vs the SLA at ``as_of`` (naive = China time); also the
    expected file dates within ``window_days`` that never arrived and the files that arrived after
    their deadline (file-name date vs arrival time = the file's modification time in landing)."""
    contracts = contracts if contracts is not None else load_contracts()
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=CHINA_TZ)
    arrivals = _arrivals(settings, contracts)
    out = []
    for feed, contract in sorted(contracts.items()):
        sla = contract.freshness
        expected = sla.expected_latest(as_of)
        files = [(n, d, a) for n, d, a in arrivals[feed] if a <= as_of]
        if not files:
            out.append(FeedFreshness(feed, as_of, "missing", expected, None))
            continue
        dates = {d for _, d, _ in files}
        latest = max(dates)
        lo = max(min(dates), expected - timedelta(days=window_days))
        missing = [d for d in _expected_dates(sla.cadence, lo, expected) if d not in dates]
        late = sorted(
            (LateFile(n, d, sla.due(d), a) for n, d, a in files if a > sla.due(d) and d >= lo),
            key=lambda x: x.file_date,
        )
        status: Literal["ok", "late"] = "ok" if latest >= expected else "late"
        out.append(FeedFreshness(feed, as_of, status, expected, latest, missing, late))
    return out


def _expected_dates(cadence: str, lo: date, hi: date) -> list[date]:
    days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    if cadence == "daily":
        return days
    return [d for d in days if (d + timedelta(days=1)).day == 1]  # month ends
