"""Opening a dashboard the way a screen does: headless Debian Chromium driven by Playwright.

Used by the tests (every chart rendered data, none shows an error, a screenshot) and by the load-time
benchmark. The browser may reach only the Superset server on 127.0.0.1: every other request is aborted
and recorded, so a dashboard that needs the internet (tiles, fonts, telemetry) shows up as a problem.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, Response, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

# Per chart holder: rendered (a canvas, a table or a big number inside the slice container), still
# loading, or failed (an error alert or the empty state: Superset 6.1 draws a chart without rows as its EmptyState,
# "No results were returned for this query" over a chart.svg/document.svg picture, on antd's Empty; list views mark
# theirs data-test="empty-state").
_CHART_STATES = """() => [...document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')].map(h => {
  const slice = h.querySelector('[data-test="slice-container"]');
  const title = (h.querySelector('.header-title, [data-test="editable-title"]') || {}).textContent || '';
  const error = h.querySelector('.ant-alert-error, .ant-alert-warning, .ant-empty, [data-test="empty-state"], '
    + 'img[src$="chart.svg"], img[src$="document.svg"]');
  const loading = h.querySelector('[data-test="loading-indicator"], .loading');
  const drawn = slice && slice.querySelector('canvas, table, [role="table"], .header-line, .big_number_total, .big_number');
  return {title: title.trim(), rendered: !!drawn && !loading, loading: !!loading,
          error: error ? (error.textContent || 'error').trim().slice(0, 300) : null};
})"""


@dataclass
class ChartState:
    title: str
    rendered: bool
    loading: bool
    error: str | None


@dataclass
class DashboardLoad:
    slug: str
    seconds: float
    charts: list[ChartState]
    chart_data: list[dict[str, Any]] = field(default_factory=list)  # per /api/v1/chart/data response
    blocked: list[str] = field(default_factory=list)  # outbound requests (never resolved)
    screenshot: Path | None = None
    first_data_request_seconds: float = 0.0  # front end booted, dashboard metadata read
    last_data_response_seconds: float = 0.0  # every chart's data arrived (the rest is drawing)

    @property
    def problems(self) -> list[str]:
        out = [f"{c.title or '?'}: 图表错误 / chart error: {c.error}" for c in self.charts if c.error]
        out += [f"{c.title or '?'}: 未渲染 / not rendered" for c in self.charts if not c.rendered and not c.error]
        out += [f"chart data HTTP {d['status']}: {d.get('error', '')}" for d in self.chart_data if d["status"] != 200]
        out += [f"chart data without rows (query {d['query']})" for d in self.chart_data
                if d["status"] == 200 and d.get("rowcount", 0) == 0]
        out += [f"外部请求被拦截 / outbound request blocked: {u}" for u in self.blocked]
        return out


class DashboardBrowser:
    """One Chromium with a logged-in Superset session."""

    def __init__(self, url: str, username: str, password: str) -> None:
        if not CHROMIUM.exists():
            raise FileNotFoundError(f"{CHROMIUM} missing: run `make chromium` (Debian's chromium package)")
        self.url = url.rstrip("/")
        self._pw: Playwright = sync_playwright().start()
        self._browser: Browser = self._pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        self._context: BrowserContext = self._browser.new_context(locale="zh-CN")
        self._blocked: list[str] = []
        self._context.on("request", self._record_outbound)
        page = self._context.new_page()
        page.goto(f"{self.url}/login/")
        page.fill("input#username", username)
        page.fill("input#password", password)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if "/login" in page.url:
            raise RuntimeError("Superset login failed")
        page.close()

    def _record_outbound(self, request: Request) -> None:
        if request.url.startswith(("data:", "blob:")):
            return
        if urlparse(request.url).hostname not in LOCAL_HOSTS:
            self._blocked.append(request.url)

    def close(self) -> None:
        self._context.close()
        self._browser.close()
        self._pw.stop()

    def __enter__(self) -> DashboardBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, slug: str, viewport: tuple[int, int] = (1920, 1080), screenshot: Path | None = None,
             timeout: float = 180) -> DashboardLoad:
        """Open the dashboard and wait until every chart has rendered or failed; the seconds it took."""
        page: Page = self._context.new_page()
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        self._blocked.clear()
        responses: list[Response] = []
        requested: list[float] = []
        finished: list[float] = []
        page.on("response", lambda r: responses.append(r) if "/api/v1/chart/data" in r.url else None)
        page.on("request", lambda r: requested.append(time.perf_counter()) if "/api/v1/chart/data" in r.url else None)
        page.on("requestfinished",
                lambda r: finished.append(time.perf_counter()) if "/api/v1/chart/data" in r.url else None)
        start = time.perf_counter()
        page.goto(f"{self.url}/superset/dashboard/{slug}/?standalone=1")
        states = _wait_rendered(page, start + timeout)
        seconds = time.perf_counter() - start
        if screenshot is not None:
            # A dashboard taller than the screen: grow the window to the whole page and let the charts
            # redraw at their final size first (a full-page capture alone catches them mid-redraw).
            height = int(page.evaluate("() => document.documentElement.scrollHeight"))
            if height > viewport[1]:
                page.set_viewport_size({"width": viewport[0], "height": height})
                page.wait_for_timeout(1000)
                _wait_rendered(page, time.perf_counter() + timeout)
            page.wait_for_timeout(1000)  # the last animation frames
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        result = DashboardLoad(slug=slug, seconds=seconds, charts=[ChartState(**s) for s in states],
                               chart_data=[_chart_data(r) for r in responses], blocked=list(self._blocked),
                               screenshot=screenshot,
                               first_data_request_seconds=min(requested, default=start) - start,
                               last_data_response_seconds=max(finished, default=start) - start)
        page.close()
        return result


def _wait_rendered(page: Page, deadline: float) -> list[dict[str, Any]]:
    """Poll the chart holders until each has drawn a chart or shows an error (or the deadline passes)."""
    states: list[dict[str, Any]] = []
    while time.perf_counter() < deadline:
        states = page.evaluate(_CHART_STATES)
        if states and all(s["rendered"] or s["error"] for s in states):
            break
        page.wait_for_timeout(100)
    return states


def _chart_data(response: Response) -> dict[str, Any]:
    out: dict[str, Any] = {"status": response.status}
    try:
        body = response.json()
    except Exception:  # a non-JSON error page
        return out | {"error": response.status_text}
    results = body.get("result") or []
    out["rowcount"] = sum(int(r.get("rowcount") or 0) for r in results)
    out["query"] = "; ".join((r.get("query") or "")[:200] for r in results)
    errors = [r.get("error") for r in results if r.get("error")] or ([body["message"]] if "message" in body else [])
    if errors:
        out["error"] = "; ".join(map(str, errors))
    return out
