"""Immutable versioned snapshots of the warehouse marts and the atomic CURRENT pointer.

Layout under ``settings.snapshots_dir``::

    v<N>/snapshot.duckdb         every table of schema marts (read-only copy for analytics)
    v<N>/parquet/<table>.parquet the same tables as Parquet (incremental marts: <table>/month=YYYY-MM/)
    v<N>/serving.sqlite          indexed copy for the API's point lookups (publish.serving_store)
    v<N>/manifest.json           version, created_at, source warehouse, row counts, sha256 of files
    CURRENT                      'v<N>' — switched with write-temp + os.replace

A snapshot is built in a hidden staging folder and renamed into place only when complete and
verified; any failure removes the staging folder and leaves CURRENT as it was.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gjj.settings import Settings
from publish import build
from publish.build import MANIFEST, PublishError, StaleBase, build_snapshot

CURRENT = "CURRENT"
_VERSION_DIR = re.compile(r"^v(\d+)$")


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


def analyst_edition_path(settings: Settings) -> Path:
    """The current snapshot's masked analyst edition (``v<N>/analyst.duckdb``, marts.* like snapshot.duckdb): the
    file Superset and notebooks open read-only. Raises when nothing is published or it has no edition."""
    from masking.edition import analyst_edition_path as edition_in

    version = read_current(settings.snapshots_dir)
    if version is None:
        raise PublishError("尚未发布数据快照 / nothing has been published yet")
    return edition_in(version_dir(settings.snapshots_dir, version))


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


def publish_snapshot(settings: Settings, full: bool = False) -> SnapshotInfo:
    """Publish every table of schema ``marts`` as snapshot v<N+1>, switch CURRENT, prune old versions.

    Built on the current version (its files copied, only what changed applied: publish.build) unless
    ``full`` or there is none.
    """
    snapshots_dir = settings.snapshots_dir
    with _publish_lock(snapshots_dir):
        for stale in snapshots_dir.glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        existing = _versions(snapshots_dir)
        version = max([*existing, read_current(snapshots_dir) or 0, 0]) + 1
        staging = snapshots_dir / f".staging-v{version}-{uuid.uuid4().hex[:8]}"
        try:
            current = read_current(snapshots_dir)
            base = None if full or current is None else version_dir(snapshots_dir, current)
            try:
                manifest = build_snapshot(settings, staging, version, base)
            except StaleBase as stale:
                shutil.rmtree(staging)
                manifest = build_snapshot(settings, staging, version, None, note=f"built in full: {stale}")
            build.step("rename")
            os.rename(staging, version_dir(snapshots_dir, version))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _fsync_dir(snapshots_dir)
        build.step("switch")
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
