"""Immutable versioned snapshots of the warehouse marts and the atomic CURRENT pointer.

Layout under ``settings.snapshots_dir``::

    v<N>/snapshot.duckdb            every table of schema marts (read-only copy for analytics)
    v<N>/parquet/<table>.parquet the same tables as Parquet
    v<N>/serving.sqlite          indexed copy for the API's point lookups (publish.serving_store)
    v<N>/manifest.json           version, created_at, source warehouse, row counts, sha256 of files
    CURRENT                      'v<N>' — switched with write-temp + os.replace

A snapshot is built in a hidden staging folder and renamed into place only when complete and
verified; any failure removes the staging folder and leaves CURRENT as it was.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from gjj.settings import Settings
from publish.contract import CONTRACT
from publish.serving_store import write_serving_store

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
_VERSION_DIR = re.compile(r"^v(\d+)$")


class PublishError(RuntimeError):
    """The warehouse cannot be published (missing table, contract break, count mismatch …)."""


@dataclass(frozen=True)
class SnapshotInfo:
    version: int
    path: Path
    created_at: str
    tables: dict[str, int] = field(default_factory=dict)
    current: bool = False

    def summary(self) -> str:
        rows = ", ".join(f"{t}={n:,}" for t, n in sorted(self.tables.items()))
        return f"v{self.version}{' (current)' if self.current else ''} {self.created_at} {rows}"


def version_dir(snapshots_dir: Path, version: int) -> Path:
    return snapshots_dir / f"v{version}"


def read_current(snapshots_dir: Path) -> int | None:
    """The version CURRENT points to, or None when nothing was published."""
    try:
        text = (snapshots_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    m = _VERSION_DIR.match(text)
    return int(m.group(1)) if m else None


def _versions(snapshots_dir: Path) -> list[int]:
    """Complete versions (folder with a manifest), ascending."""
    if not snapshots_dir.is_dir():
        return []
    found = []
    for p in snapshots_dir.iterdir():
        m = _VERSION_DIR.match(p.name)
        if m and (p / MANIFEST).is_file():
            found.append(int(m.group(1)))
    return sorted(found)


def _info(snapshots_dir: Path, version: int, current: int | None) -> SnapshotInfo:
    path = version_dir(snapshots_dir, version)
    manifest = json.loads((path / MANIFEST).read_text())
    tables = {t: int(v["rows"]) for t, v in manifest["tables"].items()}
    return SnapshotInfo(version, path, manifest["created_at"], tables, version == current)


def list_versions(settings: Settings) -> list[SnapshotInfo]:
    d = settings.snapshots_dir
    current = read_current(d)
    return [_info(d, v, current) for v in _versions(d)]


def _write_current(snapshots_dir: Path, version: int) -> None:
    tmp = snapshots_dir / f".{CURRENT}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w") as fh:
        fh.write(f"v{version}\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, snapshots_dir / CURRENT)
    _fsync_dir(snapshots_dir)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _publish_lock(snapshots_dir: Path) -> Iterator[None]:
    """One publisher at a time (a second one waits)."""
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    with open(snapshots_dir / ".publish.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _step(name: str) -> None:
    """Hook between publish steps (tests inject failures here)."""


def _mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh' "
                       "AND table_schema = 'marts' ORDER BY table_name").fetchall()
    return [str(r[0]) for r in rows]


def _check_contract(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    missing = sorted(set(CONTRACT) - set(tables))
    if missing:
        raise PublishError(f"warehouse lacks contract marts / 数仓缺少约定的集市表: {', '.join(missing)}")
    for table, columns in CONTRACT.items():
        have = {str(c) for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'wh' "
            "AND table_schema = 'marts' AND table_name = ?", [table]).fetchall()}
        lacking = sorted(set(columns) - have)
        if lacking:
            raise PublishError(f"marts.{table} lacks contract columns / 缺少约定字段: {', '.join(lacking)}")


def _build(settings: Settings, staging: Path, version: int) -> dict[str, object]:
    warehouse = settings.warehouse_path
    if not warehouse.is_file():
        raise PublishError(f"no warehouse at {warehouse} / 数仓文件不存在")
    (staging / "parquet").mkdir(parents=True)
    db = staging / "snapshot.duckdb"
    # Named snapshot.duckdb so that readers write marts.<table> (a file named marts.duckdb would make the
    # catalog clash with the schema).
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_sql_str(db)} AS snap")
        con.execute("USE snap")
        # Hold the warehouse only while copying it; everything after reads the copy.
        con.execute(f"ATTACH {_sql_str(warehouse)} AS wh (READ_ONLY)")
        tables = _mart_tables(con)
        _check_contract(con, tables)
        con.execute("CREATE SCHEMA marts")
        source_rows: dict[str, int] = {}
        for t in tables:
            con.execute(f'CREATE TABLE marts."{t}" AS SELECT * FROM wh.marts."{t}"')
            source_rows[t] = int(con.execute(f'SELECT count(*) FROM wh.marts."{t}"').fetchone()[0])  # type: ignore[index]
        con.execute("DETACH wh")
        _step("duckdb")
        for t in tables:
            con.execute(f"COPY marts.\"{t}\" TO {_sql_str(staging / 'parquet' / f'{t}.parquet')} "
                        "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
        _step("parquet")
        serving_rows = write_serving_store(con, staging / "serving.sqlite")
        _step("serving")
        columns = {t: {str(c): str(d) for c, d in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND table_name = ? ORDER BY ordinal_position", [t]).fetchall()} for t in tables}
        snap_rows = {t: int(con.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0]) for t in tables}  # type: ignore[index]
        pq_rows = {t: int(con.execute("SELECT count(*) FROM read_parquet(?)",
                                      [str(staging / "parquet" / f"{t}.parquet")]).fetchone()[0]) for t in tables}  # type: ignore[index]
        con.execute("USE memory")
        con.execute("DETACH snap")
    finally:
        con.close()
    for t in tables:
        if not (source_rows[t] == snap_rows[t] == pq_rows[t] == serving_rows.get(t, source_rows[t])):
            raise PublishError(f"row counts differ for {t}: warehouse {source_rows[t]}, duckdb {snap_rows[t]}, "
                               f"parquet {pq_rows[t]}, serving {serving_rows.get(t)}")
    stat = warehouse.stat()
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest: dict[str, object] = {
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source_warehouse": {"path": str(warehouse), "bytes": stat.st_size,
                             "modified_at": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")},
        "duckdb_version": duckdb.__version__,
        "serving_store": {"file": "serving.sqlite", "tables": sorted(serving_rows),
                          "amounts": "DECIMAL stored as TEXT with full scale; Decimal(text) round-trips exactly"},
        "tables": {t: {"rows": source_rows[t], "columns": columns[t], "parquet": f"parquet/{t}.parquet",
                       "in_serving_store": t in serving_rows} for t in tables},
        "files": {str(p.relative_to(staging)): {"bytes": p.stat().st_size, "sha256": _sha256(p)} for p in files},
    }
    _step("manifest")
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return manifest


def publish_snapshot(settings: Settings) -> SnapshotInfo:
    """Publish every table of schema ``marts`` as snapshot v<N+1>, switch CURRENT, prune old versions."""
    snapshots_dir = settings.snapshots_dir
    with _publish_lock(snapshots_dir):
        for stale in snapshots_dir.glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        existing = _versions(snapshots_dir)
        version = max([*existing, read_current(snapshots_dir) or 0, 0]) + 1
        staging = snapshots_dir / f".staging-v{version}-{uuid.uuid4().hex[:8]}"
        try:
            manifest = _build(settings, staging, version)
            _step("rename")
            os.rename(staging, version_dir(snapshots_dir, version))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _fsync_dir(snapshots_dir)
        _step("switch")
        _write_current(snapshots_dir, version)
        _prune(snapshots_dir, settings.snapshots_kept, version)
        tables = {t: int(v["rows"]) for t, v in manifest["tables"].items()}  # type: ignore[attr-defined]
        return SnapshotInfo(version, version_dir(snapshots_dir, version), str(manifest["created_at"]), tables, True)


def _prune(snapshots_dir: Path, keep: int, current: int) -> list[int]:
    """Delete all but the newest ``keep`` versions; never the current one.

    Readers that still hold files of a deleted version keep reading them (POSIX unlink semantics).
    """
    versions = _versions(snapshots_dir)
    doomed = [v for v in versions[: max(len(versions) - keep, 0)] if v != current]
    for v in doomed:
        shutil.rmtree(version_dir(snapshots_dir, v), ignore_errors=True)
    return doomed


def rollback(settings: Settings, to_version: int | None = None) -> SnapshotInfo:
    """Point CURRENT at ``to_version`` or, by default, at the newest kept version older than the current."""
    snapshots_dir = settings.snapshots_dir
    with _publish_lock(snapshots_dir):
        versions = _versions(snapshots_dir)
        current = read_current(snapshots_dir)
        if to_version is None:
            older = [v for v in versions if current is None or v < current]
            if not older:
                raise PublishError(f"no kept version older than v{current} / 没有可回滚的旧版本")
            to_version = older[-1]
        elif to_version not in versions:
            raise PublishError(f"v{to_version} is not a kept version / 版本不存在 (kept: {versions})")
        _write_current(snapshots_dir, to_version)
        return _info(snapshots_dir, to_version, to_version)
