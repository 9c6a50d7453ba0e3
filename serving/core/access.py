"""Who may call the API (资源权限管理) and what every call did (数据使用日志审计).

The registry is a SQLite file under the lakehouse (``<root>/access/access.sqlite``):

- ``consumers``: id, name, department, role (one of the masking roles), scopes (dataset scopes = the first path
  segment under /v1, e.g. ``members``, ``units``, ``indicators``, ``access-log``; ``*`` for all), rate limit
  (``limits`` notation, e.g. ``600/minute``);
- ``api_keys``: key id, consumer, sha256 of the secret, created/expires/revoked. A key is
  ``gjj_<key id>_<secret>`` (the secret has 256 bits of entropy, so a plain SHA-256 suffices; the secret is
  printed once and never stored);
- ``access_log``: one row per request under /v1, append-only (triggers refuse UPDATE and DELETE).

    gjj access issue --consumer app1 --name 掌上办 --department 信息科 --role business_officer --scopes members
    gjj access revoke --key-id 1a2b3c4d5e6f
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from gjj.settings import Settings
from masking.policy import ROLES

KEY_PREFIX = "gjj"
DEFAULT_RATE = "600/minute"
ALL_SCOPES = "*"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS consumers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, department TEXT NOT NULL, role TEXT NOT NULL,
    scopes TEXT NOT NULL, rate_limit TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, consumer_id TEXT NOT NULL REFERENCES consumers(id), secret_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS access_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, consumer_id TEXT, key_id TEXT, role TEXT,
    method TEXT NOT NULL, endpoint TEXT NOT NULL, params TEXT NOT NULL, purpose TEXT, status INTEGER NOT NULL,
    rows_returned INTEGER NOT NULL, unmasked_fields TEXT NOT NULL, masked_fields TEXT NOT NULL, reason TEXT);
CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
    BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
"""


class AccessError(ValueError):
    """Bad input to the registry (unknown role, unknown consumer …)."""


def registry_path(settings: Settings) -> Path:
    return settings.root / "access" / "access.sqlite"


@dataclass(frozen=True)
class Consumer:
    """An authenticated caller (调用方)."""

    id: str
    name: str
    department: str
    role: str
    scopes: tuple[str, ...]
    rate_limit: str
    key_id: str

    def may(self, scope: str) -> bool:
        return ALL_SCOPES in self.scopes or scope in self.scopes


def _now() -> datetime:
    return datetime.now(UTC)


class Registry:
    """Consumers, hashed API keys and the access log in one SQLite file (WAL; one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._con() as con:
            con.executescript(_SCHEMA)

    def _con(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
        return con

    # ---- administration (gjj access …) ----
    def add_consumer(self, consumer_id: str, name: str, department: str, role: str, scopes: list[str],
                     rate_limit: str = DEFAULT_RATE) -> None:
        if role not in ROLES:
            raise AccessError(f"未知角色 / unknown role {role!r} (roles: {', '.join(ROLES)})")
        try:
            parse(rate_limit)
        except ValueError as exc:
            raise AccessError(f"限流格式无效 / invalid rate limit {rate_limit!r} (e.g. 600/minute)") from exc
        if not scopes:
            raise AccessError("至少授予一个数据范围 / grant at least one scope")
        self._con().execute(
            "INSERT INTO consumers VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "department = excluded.department, role = excluded.role, scopes = excluded.scopes, "
            "rate_limit = excluded.rate_limit",
            [consumer_id, name, department, role, json.dumps(sorted(set(scopes))), rate_limit, _now().isoformat()])

    def issue_key(self, consumer_id: str, valid_days: int | None = 90) -> str:
        """A new key for ``consumer_id``; the plain key is returned once and never stored."""
        if self._con().execute("SELECT 1 FROM consumers WHERE id = ?", [consumer_id]).fetchone() is None:
            raise AccessError(f"未知调用方 / unknown consumer {consumer_id!r}")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        expires = None if valid_days is None else (_now() + timedelta(days=valid_days)).isoformat()
        self._con().execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
                            [key_id, consumer_id, hashlib.sha256(secret.encode()).hexdigest(), _now().isoformat(),
                             expires])
        return f"{KEY_PREFIX}_{key_id}_{secret}"

    def revoke(self, key_id: str | None = None, consumer_id: str | None = None) -> int:
        where, arg = ("key_id = ?", key_id) if key_id else ("consumer_id = ?", consumer_id)
        cur = self._con().execute(f"UPDATE api_keys SET revoked_at = ? WHERE {where} AND revoked_at IS NULL",
                                  [_now().isoformat(), arg])
        return cur.rowcount

    def list_keys(self) -> list[tuple[object, ...]]:
        return self._con().execute(
            "SELECT k.key_id, k.consumer_id, c.role, c.scopes, k.created_at, k.expires_at, k.revoked_at "
            "FROM api_keys k JOIN consumers c ON c.id = k.consumer_id ORDER BY k.created_at").fetchall()

    # ---- per request ----
    def authenticate(self, presented: str) -> Consumer | str:
        """The consumer of a presented key, or the reason it is refused."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
            return "API key 格式无效 / malformed API key"
        row = self._con().execute(
            "SELECT k.secret_sha256, k.expires_at, k.revoked_at, c.id, c.name, c.department, c.role, c.scopes, "
            "c.rate_limit FROM api_keys k JOIN consumers c ON c.id = k.consumer_id WHERE k.key_id = ?",
            [parts[1]]).fetchone()
        digest = hashlib.sha256(parts[2].encode()).hexdigest()
        if row is None or not hmac.compare_digest(row[0], digest):
            return "API key 无效 / unknown API key"
        if row[2] is not None:
            return "API key 已吊销 / API key revoked"
        if row[1] is not None and datetime.fromisoformat(row[1]) <= _now():
            return "API key 已过期 / API key expired"
        return Consumer(row[3], row[4], row[5], row[6], tuple(json.loads(row[7])), row[8], parts[1])

    def log(self, *, consumer: Consumer | None, method: str, endpoint: str, params: dict[str, object],
            purpose: str | None, status: int, rows: int, unmasked: list[str], masked: dict[str, str],
            reason: str | None) -> None:
        """Append one access-log row; raises on failure (the caller then fails the request)."""
        self._con().execute(
            "INSERT INTO access_log (at, consumer_id, key_id, role, method, endpoint, params, purpose, status, "
            "rows_returned, unmasked_fields, masked_fields, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_now().isoformat(timespec="milliseconds"), consumer.id if consumer else None,
             consumer.key_id if consumer else None, consumer.role if consumer else None, method, endpoint,
             json.dumps(params, ensure_ascii=False, default=str), purpose, status, rows,
             json.dumps(sorted(unmasked)), json.dumps(masked, ensure_ascii=False), reason])

    def read_log(self, consumer_id: str | None, since: str | None, limit: int) -> list[dict[str, object]]:
        where, args = ["TRUE"], []
        if consumer_id:
            where.append("consumer_id = ?")
            args.append(consumer_id)
        if since:
            where.append("at >= ?")
            args.append(since)
        cur = self._con().execute(f"SELECT * FROM access_log WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
                                  [*args, limit])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


    def report(self, since: str | None = None) -> list[dict[str, object]]:
        """Per consumer: requests, refused (4xx), rows returned, and which fields left unmasked (数据使用情况)."""
        cur = self._con().execute(
            "SELECT coalesce(consumer_id, '(未认证)') AS consumer, count(*) AS requests, "
            "sum(status >= 400) AS refused, sum(rows_returned) AS rows_returned, max(at) AS last_access, "
            "group_concat(DISTINCT purpose) AS purposes FROM access_log WHERE at >= coalesce(?, '') "
            "GROUP BY 1 ORDER BY 2 DESC", [since])
        names = [d[0] for d in cur.description]
        out = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for row in out:
            fields: set[str] = set()
            for (u,) in self._con().execute(
                    "SELECT DISTINCT unmasked_fields FROM access_log WHERE coalesce(consumer_id, '(未认证)') = ? "
                    "AND at >= coalesce(?, '')", [row["consumer"], since]):
                fields |= set(json.loads(u))
            row["unmasked_fields"] = sorted(fields)
        return out


class RateLimits:
    """Per-consumer sliding-window-counter limits (the ``limits`` library, in-memory storage: per worker process).

    The sliding window counter keeps two counters per consumer (this window and the previous one, weighted), so a
    hit costs the same at 10 or 100,000 requests per window. The moving window keeps one entry per request and
    inserts at the head of a list: at 1,000 req/s that is a 60,000-entry copy per request, which was most of the
    API's p99 (bench/api.py)."""

    def __init__(self) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    def hit(self, consumer: Consumer) -> tuple[bool, int]:
        item = parse(consumer.rate_limit)
        ok = self._limiter.hit(item, "consumer", consumer.id)
        reset = self._limiter.get_window_stats(item, "consumer", consumer.id).reset_time
        return ok, max(1, int(reset - datetime.now(UTC).timestamp()) + 1)


def issue_test_key(settings: Settings, role: str, scopes: list[str] | None = None, consumer_id: str | None = None,
                   rate_limit: str = "100000/minute", valid_days: int | None = 1) -> str:
    """For tests (and other concerns' tests): a consumer of ``role`` with ``scopes`` (default: all) and a key."""
    reg = Registry(registry_path(settings))
    cid = consumer_id or f"test-{role}"
    reg.add_consumer(cid, f"测试 {role}", "测试", role, scopes or [ALL_SCOPES], rate_limit)
    return reg.issue_key(cid, valid_days)
