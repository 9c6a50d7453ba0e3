"""The bronze layer: append-only Delta tables with lineage columns, the ingestion log and quarantine.

Every bronze row carries ``_batch_id``, ``_source_system``, ``_source_object`` (table or file),
``_ingested_at`` and ``_row_hash``. Writes are idempotent through Delta's application
transactions: each writer (``app_id``) commits batches with an increasing sequence number, and a
batch whose sequence is already committed is not written again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, WriterProperties, write_deltalake

LINEAGE_COLUMNS = ("_batch_id", "_source_system", "_source_object", "_ingested_at", "_row_hash")
_SEP = "\x1f"


def row_hash_sql(columns: Iterable[str]) -> str:
    """DuckDB expression hashing a row's source values (NULL distinct from empty string)."""
    parts = ", ".join(f"coalesce(cast({_q(c)} as varchar), '\\N')" for c in columns)
    return f"md5(concat_ws('{_SEP}', {parts}))"


def lineage_sql(columns: Iterable[str], batch_id: str, system: str, source_object: str, ingested_at: datetime) -> str:
    """DuckDB select-list fragment adding the lineage columns to a source row."""
    return (
        f"'{batch_id}' as _batch_id, '{system}' as _source_system, '{_esc(source_object)}' as _source_object, "
        f"timestamptz '{ingested_at.isoformat()}' as _ingested_at, {row_hash_sql(columns)} as _row_hash"
    )


def committed_seq(path: Path, app_id: str) -> int | None:
    """The last batch sequence ``app_id`` committed to the Delta table at ``path``, if any."""
    if not DeltaTable.is_deltatable(str(path)):
        return None
    return DeltaTable(str(path)).transaction_version(app_id)


def append(
    path: Path,
    data: pa.Table | pa.RecordBatchReader,
    app_id: str,
    seq: int,
    batch_id: str,
    *,
    writer_properties: WriterProperties | None = None,
    target_file_size: int | None = None,
    custom_metadata: dict[str, str] | None = None,
) -> bool:
    """Append ``data`` as one Delta commit; returns False when batch ``seq`` of ``app_id`` is already in.

    A ``RecordBatchReader`` is consumed as a stream (memory stays flat). ``custom_metadata`` is
    recorded in the commit next to ``batch_id``; ``writer_properties``/``target_file_size`` tune the
    Parquet files (delta-rs defaults otherwise).
    """
    done = committed_seq(path, app_id)
    if done is not None and done >= seq:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tuning: dict[str, Any] = {}
    if writer_properties is not None:
        tuning["writer_properties"] = writer_properties
    if target_file_size is not None:
        tuning["target_file_size"] = target_file_size
    write_deltalake(
        str(path),
        data,
        mode="append",
        schema_mode="merge",
        **tuning,
        commit_properties=CommitProperties(
            custom_metadata={**(custom_metadata or {}), "batch_id": batch_id},
            app_transactions=[Transaction(app_id=app_id, version=seq)],
        ),
    )
    return True


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class BatchLog:
    """One ingestion batch: what was read and where every row went."""

    batch_id: str
    source_system: str
    source_object: str
    started_at: datetime
    finished_at: datetime | None = None
    rows_read: int = 0
    rows_bronze: int = 0
    rows_quarantine: int = 0
    rows_already_loaded: int = 0
    watermark_from: str | None = None
    watermark_to: str | None = None
    status: str = "ok"
    message: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def reconciled(self) -> bool:
        return self.rows_read == self.rows_bronze + self.rows_quarantine + self.rows_already_loaded


_LOG_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("source_system", pa.string()),
        ("source_object", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("finished_at", pa.timestamp("us", tz="UTC")),
        ("rows_read", pa.int64()),
        ("rows_bronze", pa.int64()),
        ("rows_quarantine", pa.int64()),
        ("rows_already_loaded", pa.int64()),
        ("watermark_from", pa.string()),
        ("watermark_to", pa.string()),
        ("status", pa.string()),
        ("message", pa.string()),
        ("extra", pa.string()),
    ]
)


def write_log(bronze_dir: Path, logs: list[BatchLog]) -> None:
    """Append batch records to the ingestion log table (``_meta/ingestion_log``)."""
    if not logs:
        return
    rows = []
    for log in logs:
        row = asdict(log)
        row["extra"] = json.dumps(log.extra, ensure_ascii=False)
        rows.append(row)
    write_deltalake(str(meta_path(bronze_dir, "ingestion_log")), pa.Table.from_pylist(rows, schema=_LOG_SCHEMA), mode="append")


QUARANTINE_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("source_system", pa.string()),
        ("source_object", pa.string()),
        ("row_number", pa.int64()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.string()),
        ("quarantined_at", pa.timestamp("us", tz="UTC")),
    ]
)


def write_quarantine(bronze_dir: Path, rows: pa.Table, app_id: str, seq: int, batch_id: str) -> bool:
    """Append rejected rows (schema ``QUARANTINE_SCHEMA``) to ``_meta/quarantine``, idempotently."""
    if rows.num_rows == 0:
        return False
    return append(meta_path(bronze_dir, "quarantine"), rows.cast(QUARANTINE_SCHEMA), app_id, seq, batch_id)


def meta_path(bronze_dir: Path, name: str) -> Path:
    return bronze_dir / "_meta" / name


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _esc(text: str) -> str:
    return text.replace("'", "''")
