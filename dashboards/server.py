"""The Superset server of the platform: its own virtual environment (.tools/superset, `make superset-env`),
its metadata and secrets under the lakehouse (<root>/superset/), started offline on 127.0.0.1.

Superset's pins conflict with the platform's, so it never runs in the platform's interpreter: these
functions drive its command line and its gunicorn as sub-processes.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from gjj.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SUPERSET_VENV = Path(os.environ.get("GJJ_SUPERSET_VENV", REPO / ".tools" / "superset"))
CONFIG = Path(__file__).resolve().parent / "superset_config.py"
ADMIN_USER = "admin"
SCREEN_USER = "screen"  # the wall screens' view-only account (dashboards/screen_account.py)
INITIALISED = ".initialised"
# A migrated and initialised metadata database with no user and no secret in it, made once per Superset
# environment: a new lakehouse copies it and only adds its admin (saves `db upgrade` + `init`, ≈ 1–2 min).
METADATA_TEMPLATE = SUPERSET_VENV / "metadata-template.db"


class SupersetUnavailable(RuntimeError):
    """Superset's environment is not built (run `make superset-env`)."""


def superset_bin(name: str = "superset") -> Path:
    return SUPERSET_VENV / "bin" / name


def unavailable_reason() -> str | None:
    """Why Superset cannot run here, or None when its environment is built."""
    if not (SUPERSET_VENV / ".installed").exists() or not superset_bin().exists():
        return f"Superset 环境未构建 / Superset's environment is not built at {SUPERSET_VENV}: run `make superset-env`"
    return None


def _secret(path: Path, given: str | None) -> str:
    """A secret from the settings, else generated once and kept in the lakehouse (owner-only)."""
    if given:
        return given
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(42)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


@dataclass(frozen=True)
class SupersetHome:
    """Superset's state for one lakehouse."""

    settings: Settings
    workers: int = 2

    @property
    def dir(self) -> Path:
        return self.settings.root / "superset"

    @property
    def metadata_db(self) -> Path:
        return self.dir / "superset.db"

    @property
    def admin_password(self) -> str:
        return _secret(self.dir / "admin_password", self.settings.superset_admin_password)

    @property
    def screen_password(self) -> str:
        return _secret(self.dir / "screen_password", None)

    def ensure_screen_account(self, database_uuid: str) -> None:
        """Create or update the view-only account wall screens log in with (after the database's import)."""
        self.screen_password  # noqa: B018 (generated once into the lakehouse)
        script = Path(__file__).resolve().parent / "screen_account.py"
        proc = subprocess.run(
            [str(superset_bin("python")), str(script), database_uuid, SCREEN_USER, str(self.dir / "screen_password")],
            env=self.environment(), cwd=self.dir, capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"大屏账号创建失败 / screen account failed ({proc.returncode}):\n{proc.stderr[-3000:]}")

    def environment(self) -> dict[str, str]:
        self.dir.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "SUPERSET_CONFIG_PATH": str(CONFIG),
            "SUPERSET_SECRET_KEY": _secret(self.dir / "secret_key", self.settings.superset_secret_key),
            "SUPERSET_METADATA_URI": f"sqlite:///{self.metadata_db}",
            "SUPERSET_HOME": str(self.dir),
            "FLASK_APP": "superset",
            "PYTHONPATH": "",
            "SCARF_ANALYTICS": "false",
        }

    def _run(self, *args: str) -> None:
        proc = subprocess.run(
            [str(superset_bin()), *args], env=self.environment(), cwd=self.dir, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(f"superset {' '.join(args[:2])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")

    def prepare(self) -> None:
        """Migrate the metadata database, sync the roles, create the admin (once per lakehouse; stamped)."""
        reason = unavailable_reason()
        if reason:
            raise SupersetUnavailable(reason)
        if (self.dir / INITIALISED).exists():
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        if METADATA_TEMPLATE.exists():
            shutil.copyfile(METADATA_TEMPLATE, self.metadata_db)
        else:
            self._run("db", "upgrade")
            self._run("init")
            partial = METADATA_TEMPLATE.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(self.metadata_db, partial)
            os.replace(partial, METADATA_TEMPLATE)
        self._run(
            "fab", "create-admin", "--username", ADMIN_USER, "--firstname", "平台", "--lastname", "管理员",
            "--email", "admin@gjj.invalid", "--password", self.admin_password,
        )
        (self.dir / INITIALISED).write_text("ok\n")

    def command(self, port: int) -> list[str]:
        """gunicorn: a dashboard's chart requests arrive at once, so two processes (one per core) with threads."""
        return [
            str(superset_bin("gunicorn")), "--bind", f"127.0.0.1:{port}", "--workers", str(self.workers),
            "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--graceful-timeout", "5",
            "--access-logfile", "-", "superset.app:create_app()",
        ]

    def start(self, port: int, log: Path | None = None) -> subprocess.Popen[bytes]:
        """Start the server in the background and wait until /health answers."""
        self.prepare()
        out = (log or self.dir / "server.log").open("ab")
        proc = subprocess.Popen(self.command(port), env=self.environment(), cwd=self.dir, stdout=out, stderr=out)
        try:
            wait_ready(f"http://127.0.0.1:{port}", proc)
        except Exception:
            stop(proc)
            raise
        return proc


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"Superset exited with {proc.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"Superset at {url} not ready after {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
