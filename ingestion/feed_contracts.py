"""Partner-feed contracts (数据共享协议): one YAML file per feed under ``ingestion/contracts/``.

A contract says who sends the feed, how its files are named and encoded, which columns they carry
(source header → target name, type, required, allowed values, pattern, length), the key that makes
a row unique within a file, and when files are due (freshness SLA). The loader executes contracts;
adding a column or a feed is a YAML change.
"""

from __future__ import annotations

import codecs
import re
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CONTRACTS_DIR = Path(__file__).parent / "contracts"
# China has no daylight saving: a fixed offset avoids depending on the tz database.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ContractError(ValueError):
    """A contract file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(_Strict):
    source: str = Field(description="Header as the department sends it (Chinese)")
    name: str = Field(description="Target column name in bronze (English snake_case)")
    type: Literal["string", "date", "decimal", "integer"] = "string"
    required: bool = False
    description: str = ""
    format: str | None = Field(default=None, description="strptime format, required for dates")
    precision: int = Field(default=18, ge=1, le=38)
    scale: int = Field(default=2, ge=0, le=18)
    allowed: list[str] | None = Field(default=None, description="Allowed values (code list)")
    regex: str | None = Field(default=None, description="Full-match pattern after normalisation")
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)

    @field_validator("name")
    @classmethod
    def _snake(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"target name {v!r} must be lower snake_case")
        return v

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"invalid regex {v!r}: {exc}") from exc
        return v

    @model_validator(mode="after")
    def _date_format(self) -> ColumnSpec:
        if self.type == "date" and not self.format:
            raise ValueError("a date column needs a format (e.g. '%Y-%m-%d')")
        if self.type == "decimal" and self.scale > self.precision:
            raise ValueError("scale must not exceed precision")
        return self


class FileSpec(_Strict):
    pattern: str = Field(description="Regex on the file name with a named group 'date' (YYYYMMDD)")
    format: Literal["csv", "jsonl", "xlsx"]
    encoding: str | None = Field(default=None, description="Declared text encoding (csv/jsonl)")
    delimiter: str = ","
    sheet: str | None = Field(default=None, description="Sheet to read (xlsx)")

    @field_validator("pattern")
    @classmethod
    def _has_date(cls, v: str) -> str:
        try:
            rx = re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regex {v!r}: {exc}") from exc
        if "date" not in rx.groupindex:
            raise ValueError("the file pattern needs a named group (?P<date>...) with the file date YYYYMMDD")
        return v

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {v!r}") from exc
        return v

    @model_validator(mode="after")
    def _format_needs(self) -> FileSpec:
        if self.format == "xlsx" and not self.sheet:
            raise ValueError("an xlsx feed needs the sheet name")
        if self.format in ("csv", "jsonl") and not self.encoding:
            raise ValueError(f"a {self.format} feed needs its declared encoding")
        return self


class FreshnessSpec(_Strict):
    """When a file is due: daily files for day D by D+lag_days at due_time; monthly files for
    month M by day ``due_day`` of month M+1 at due_time (China time)."""

    cadence: Literal["daily", "monthly"]
    due_time: time = time(8, 0)
    lag_days: int = Field(default=1, ge=0, description="daily: days after the data date")
    due_day: int = Field(default=5, ge=1, le=28, description="monthly: day of the following month")
    description: str = ""

    def due(self, file_date: date) -> datetime:
        """Deadline for the file covering ``file_date`` (a day, or any day of the month)."""
        if self.cadence == "daily":
            day = file_date + timedelta(days=self.lag_days)
        else:
            y, m = (file_date.year + 1, 1) if file_date.month == 12 else (file_date.year, file_date.month + 1)
            day = date(y, m, self.due_day)
        return datetime.combine(day, self.due_time, tzinfo=CHINA_TZ)

    def expected_latest(self, as_of: datetime) -> date:
        """The latest file date whose deadline has passed at ``as_of`` (naive = China time)."""
        local = as_of.replace(tzinfo=CHINA_TZ) if as_of.tzinfo is None else as_of.astimezone(CHINA_TZ)
        if self.cadence == "daily":
            d = local.date() - timedelta(days=self.lag_days)
            return d if self.due(d) <= local else d - timedelta(days=1)
        first = local.date().replace(day=1)
        prev_end = first - timedelta(days=1)  # last day of the previous month
        if self.due(prev_end) <= local:
            return prev_end
        return prev_end.replace(day=1) - timedelta(days=1)


class FeedContract(_Strict):
    feed: str
    owner: str = Field(description="Department that sends the feed (Chinese)")
    description: str
    file: FileSpec
    columns: list[ColumnSpec] = Field(min_length=1)
    keys: list[str] = Field(min_length=1, description="Target columns unique within one file")
    on_extra_column: Literal["warn", "reject"] = Field(
        default="warn", description="warn: load, keep the extra values in _extra, record a warning"
    )
    freshness: FreshnessSpec

    @model_validator(mode="after")
    def _consistent(self) -> FeedContract:
        names = [c.name for c in self.columns]
        sources = [c.source for c in self.columns]
        for label, values in (("name", names), ("source", sources)):
            dup = sorted({v for v in values if values.count(v) > 1})
            if dup:
                raise ValueError(f"duplicate column {label}: {', '.join(dup)}")
        missing = [k for k in self.keys if k not in names]
        if missing:
            raise ValueError(f"keys {missing} are not column names")
        return self

    @cached_property
    def file_regex(self) -> re.Pattern[str]:
        return re.compile(self.file.pattern)

    def file_date(self, file_name: str) -> date | None:
        """The date in a matching file name, or None when the name doesn't match the contract."""
        m = self.file_regex.match(file_name)
        if not m:
            return None
        try:
            return datetime.strptime(m.group("date"), "%Y%m%d").date()
        except ValueError:
            return None

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def _where(loc: tuple[int | str, ...], raw: object) -> str:
    """Readable error location: ``columns[登记日期].format`` instead of ``columns.3.format``."""
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and item < len(node):
            entry = node[item]
            label = entry.get("source") or entry.get("name") if isinstance(entry, dict) else None
            parts[-1] += f"[{label or item}]"
            node = entry
            continue
        parts.append(str(item))
        node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def load_contract(path: Path) -> FeedContract:
    """Load and validate one contract; any problem raises ContractError naming file and field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContractError(f"{path}: cannot read contract: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContractError(f"{path}: a contract must be a mapping, got {type(raw).__name__}")
    try:
        contract = FeedContract.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'], raw)}: {e['msg']}" for e in exc.errors())
        raise ContractError(f"{path}: invalid contract: {problems}") from exc
    if contract.feed != path.stem:
        raise ContractError(f"{path}: field 'feed' is {contract.feed!r} but the file is named {path.stem!r}")
    return contract


def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, FeedContract]:
    """Every contract in ``directory`` keyed by feed name."""
    return {p.stem: load_contract(p) for p in sorted(directory.glob("*.yaml"))}
