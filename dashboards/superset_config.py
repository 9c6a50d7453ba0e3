"""Superset configuration for the platform's big screens (loaded by Superset through SUPERSET_CONFIG_PATH).

Runs inside Superset's own virtual environment, so it imports nothing from the platform: every value
comes from the environment that `dashboards.server` prepares (metadata database and secret key under
the lakehouse). Offline by design: no telemetry pixel, no map tiles, no web fonts — the content
security policy allows only this server, so a browser never calls out.
"""

import os
from typing import Any

from superset.utils.log import AbstractEventLogger

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_METADATA_URI"]
RATELIMIT_STORAGE_URI = "memory://"

APP_NAME = "住房公积金数据大屏"
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}

# Read-only analytics over a published snapshot: no uploads, no SQL Lab DML, no sample data.
PREVENT_UNSAFE_DB_CONNECTIONS = False  # duckdb:/// file URIs are the point here
FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": True,
    "DRILL_TO_DETAIL": True,
    "DRILL_BY": False,  # its per-dataset drill_info calls slow every dashboard load; drill to detail stays
    "ALERT_REPORTS": False,
    "EMBEDDABLE_CHARTS": False,
}
MAPBOX_API_KEY = ""


class _NoEventLog(AbstractEventLogger):
    """Superset writes a row into its SQLite metadata for every request (DBEventLogger): on a wall screen
    refreshing twelve charts that is twelve serialised SQLite writes per load, for an action log nobody
    reads here. The platform's own access log is the API's; Superset keeps only gunicorn's access log."""

    def log(self, user_id: int | None, action: str, dashboard_id: int | None, duration_ms: int | None,
            slice_id: int | None, referrer: str | None, curated_payload: dict[str, Any] | None,
            curated_form_data: dict[str, Any] | None, *args: Any, **kwargs: Any) -> None:
        return None


EVENT_LOGGER = _NoEventLog()
ROW_LIMIT = 10000
SUPERSET_WEBSERVER_TIMEOUT = 120

# Chart data cache shared by the gunicorn workers (files under the lakehouse's superset/ folder): the big
# screens re-query an immutable snapshot, so a warm load needs no DuckDB work. Keys include the query and
# the database, so a new snapshot (new database URI) misses the cache.
_CACHE_DIR = os.path.join(os.environ.get("SUPERSET_HOME", "."), "cache")


def _cache(name: str, timeout: int) -> dict[str, object]:
    return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": os.path.join(_CACHE_DIR, name),
            "CACHE_DEFAULT_TIMEOUT": timeout, "CACHE_THRESHOLD": 5000}


DATA_CACHE_CONFIG = _cache("data", 86400)
CACHE_CONFIG = _cache("metadata", 3600)
FILTER_STATE_CACHE_CONFIG = _cache("filter_state", 86400)
EXPLORE_FORM_DATA_CACHE_CONFIG = _cache("explore", 86400)

# Fonts: system fonts only (Noto CJK from Debian), never a font URL.
_FONTS = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
THEME_DEFAULT = {
    "token": {
        "brandAppName": APP_NAME,
        "brandLogoAlt": APP_NAME,
        "fontUrls": [],
        "fontFamily": _FONTS,
        "colorPrimary": "#1f6fd1",
        "colorLink": "#1f6fd1",
    },
    "algorithm": "default",
}
THEME_DARK = {**THEME_DEFAULT, "algorithm": "dark"}
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []

# Content security policy: this server only (blocks the telemetry pixel and any tile/font host).
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
CONTENT_SECURITY_POLICY_WARNING = False
