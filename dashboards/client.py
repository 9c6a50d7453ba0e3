"""A small REST client for Superset: login, CSRF, the assets import, themes and read-backs."""

from __future__ import annotations

import json
from typing import Any

import httpx


class SupersetError(RuntimeError):
    """Superset answered with an error."""


class SupersetClient:
    def __init__(self, url: str, username: str, password: str, timeout: float = 180) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=timeout)
        token = self._json("POST", "/api/v1/security/login",
                           json={"username": username, "password": password, "provider": "db", "refresh": True})
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"
        csrf = self._json("GET", "/api/v1/security/csrf_token/")["result"]
        self.http.headers.update({"X-CSRFToken": csrf, "Referer": self.url})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SupersetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise SupersetError(f"{method} {path} → HTTP {response.status_code}: {response.text[:2000]}")
        return response.json()

    def import_assets(self, bundle: bytes) -> None:
        """POST /api/v1/assets/import/: everything in the bundle overwritten by UUID."""
        self._json("POST", "/api/v1/assets/import/",
                   files={"bundle": ("gjj_dashboards.zip", bundle, "application/zip")},
                   data={"passwords": "{}"})

    def list_all(self, resource: str, **query: Any) -> list[dict[str, Any]]:
        """Every row of GET /api/v1/<resource>/ (paged)."""
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            q = _rison({"page": page, "page_size": 100, **query})
            result = self._json("GET", f"/api/v1/{resource}/", params={"q": q})["result"]
            rows += result
            if len(result) < 100:
                return rows
            page += 1

    def ensure_theme(self, name: str, definition: dict[str, Any]) -> int:
        """Create or update the theme called ``name``; its id."""
        body = {"theme_name": name, "json_data": json.dumps(definition, ensure_ascii=False)}
        for theme in self.list_all("theme", columns=["id", "theme_name"]):
            if theme["theme_name"] == name:
                self._json("PUT", f"/api/v1/theme/{theme['id']}", json=body)
                return int(theme["id"])
        return int(self._json("POST", "/api/v1/theme/", json=body)["id"])

    def database_connection(self, database_id: int) -> dict[str, Any]:
        """A database's connection settings (URI, extra)."""
        return dict(self._json("GET", f"/api/v1/database/{database_id}/connection")["result"])

    def dashboard_charts(self, id_or_slug: str | int) -> list[dict[str, Any]]:
        return list(self._json("GET", f"/api/v1/dashboard/{id_or_slug}/charts")["result"])

    def dashboard(self, id_or_slug: str | int) -> dict[str, Any]:
        return dict(self._json("GET", f"/api/v1/dashboard/{id_or_slug}")["result"])


def _rison(value: Any) -> str:
    """The rison encoding Superset's list endpoints take in ``q`` (dicts, lists, strings, numbers)."""
    if isinstance(value, dict):
        return "(" + ",".join(f"{k}:{_rison(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list):
        return "!(" + ",".join(_rison(v) for v in value) + ")"
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("!", "!!").replace("'", "!'") + "'"
