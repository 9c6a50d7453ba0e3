"""Read-only access to the current published snapshot, switching to a new one without restart.

Every request asks the SnapshotStore for the current snapshot. At most once per
``reload_interval_s`` the store stats ``snapshots/CURRENT`` (inode + mtime: os.replace gives a new
inode) and, when it changed, reads it and swaps in the new version. Connections are opened lazily
per snapshot: SQLite per thread (``mode=ro&immutable=1`` — a snapshot never changes, so SQLite may
skip locking), DuckDB one ``read_only=True`` connection per process with a cursor per request.
Requests already running on the old snapshot finish on it; its connections close when the last
reference goes (and its files stay readable after pruning: POSIX unlink).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import duckdb

from publish.snapshot import CURRENT, MANIFEST, read_current, version_dir


class NoSnapshot(Exception):
    """Nothing has been published yet (or CURRENT points to a missing version)."""


class Snapshot:
    def __init__(self, version: int, path: Path) -> None:
        self.version = version
        self.path = path
        manifest = json.loads((path / MANIFEST).read_text())
        self.created_at: str = manifest["created_at"]
        self._sqlite_uri = (path / "serving.sqlite").as_uri() + "?mode=ro&immutable=1"
        self._local = threading.local()
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._duck_lock = threading.Lock()

    def sqlite(self) -> sqlite3.Connection:
        """This thread's read-only connection to the serving store."""
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self._sqlite_uri, uri=True, check_same_thread=False)
            self._local.con = con
        return con

    def duckdb(self) -> duckdb.DuckDBPyConnection:
        """A cursor (own connection state) on this process's read-only DuckDB connection."""
        with self._duck_lock:
            if self._duck is None:
                self._duck = duckdb.connect(str(self.path / "snapshot.duckdb"), read_only=True)
            return self._duck.cursor()


class SnapshotStore:
    def __init__(self, snapshots_dir: Path, reload_interval_s: float = 1.0) -> None:
        self.snapshots_dir = snapshots_dir
        self.reload_interval_s = reload_interval_s
        self._snapshot: Snapshot | None = None
        self._key: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> Snapshot:
        now = time.monotonic()
        if now - self._checked >= self.reload_interval_s:
            self._refresh(now)
        if self._snapshot is None:
            raise NoSnapshot
        return self._snapshot

    def _refresh(self, now: float) -> None:
        with self._lock:
            if now - self._checked < self.reload_interval_s:
                return
            try:
                st = os.stat(self.snapshots_dir / CURRENT)
                key: tuple[int, int] | None = (st.st_ino, st.st_mtime_ns)
            except FileNotFoundError:
                key = None
            if key != self._key or self._snapshot is None:
                version = read_current(self.snapshots_dir)
                if version is None:
                    self._snapshot = None
                elif self._snapshot is None or self._snapshot.version != version:
                    path = version_dir(self.snapshots_dir, version)
                    self._snapshot = Snapshot(version, path) if (path / MANIFEST).is_file() else None
                self._key = key
            self._checked = now
