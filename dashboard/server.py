"""The dashboard's HTTP server: the page and its script (static/), and JSON read through one masked session.

The standard library's threading HTTP server, bound to 127.0.0.1: a handful of read-only routes need no
framework, and it starts in the time `sdc` takes to import. Every request's queries run under one lock on the
one session (a DuckDB connection runs one statement at a time); the session follows the newest publish,
checked at most every REFRESH_SECONDS. The Content-Security-Policy lets the page load nothing but its own
origin (and the deployment's tile server, when SDC_MAP_TILES names one): no request leaves the machine.
"""

from __future__ import annotations

import json
import mimetypes
import threading
import time
from datetime import date, datetime
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from dashboard import marts, quality
from sdc_settings import Settings
from warehouse.beijing import BEIJING
from warehouse.publish import PublishEntry, publish_history
from warehouse.reader import PublishedSession, open_published

STATIC = Path(__file__).with_name("static")
REFRESH_SECONDS = 60.0
TREND_PUBLISHES = 30
ANSWERS_KEPT = 500
LOOPBACK_NAMES = {"127.0.0.1", "localhost"}
WARM = ("meta", "overview", "map", "quality")  # computed before the server listens


class Dashboard:
    """The publish the dashboard shows (the newest), its session, and the KPIs of the publishes before it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self._session: PublishedSession | None = None
        self._checked = 0.0
        self._earlier: list[PublishEntry] = []
        self._trend: dict[int, dict | None] = {}  # publish id -> KPIs (a publish never changes)
        self._answers: dict[tuple, Any] = {}

    def session(self) -> PublishedSession:
        """The session on the newest publish (call with `lock` held)."""
        if self._session is None or time.monotonic() - self._checked > REFRESH_SECONDS:
            live = [e for e in publish_history(self.settings) if not e.expired]
            if self._session is None or (live and live[-1].publish_id != self._session.entry.publish_id):
                newest = open_published(self.settings)
                if self._session is not None:
                    self._session.close()
                self._session = newest
            # the publishes before the shown one, for the trend (the log says which are still live)
            self._earlier = [e for e in live if e.publish_id < self._session.entry.publish_id]
            self._checked = time.monotonic()
        return self._session

    def trend(self, session: PublishedSession, current: dict) -> list[dict]:
        """KPIs of the live publishes up to the shown one, oldest first (at most TREND_PUBLISHES)."""
        out = []
        for entry in self._earlier[-(TREND_PUBLISHES - 1) :]:
            if entry.publish_id not in self._trend:
                self._trend[entry.publish_id] = marts.earlier_kpis(session, entry)
            if self._trend[entry.publish_id] is not None:
                out.append({"publish_id": entry.publish_id, "published_at": entry.published_at,
                            "kpis": self._trend[entry.publish_id]})  # fmt: skip
        shown = session.entry
        out.append({"publish_id": shown.publish_id, "published_at": shown.published_at, "kpis": current})
        return out

    def answer(self, route: str, query: dict[str, str]) -> Any:
        """The JSON of an API route (None: no such route), computed once per publish (call with `lock` held)."""
        session = self.session()
        key = (session.entry.publish_id, route, tuple(sorted(query.items())))
        if key not in self._answers:
            if len(self._answers) >= ANSWERS_KEPT or any(k[0] != key[0] for k in self._answers):
                self._answers.clear()  # a new publish, or enough searches: start again
            self._answers[key] = self._compute(session, route, query)
        return self._answers[key]

    def _compute(self, session: PublishedSession, route: str, query: dict[str, str]) -> Any:
        if route == "meta":
            e = session.entry
            return {"publish_id": e.publish_id, "published_at": e.published_at,
                    "map_tiles": self.settings.map_tiles,
                    "departments": [{"key": d.key, "owner": d.owner} for d in quality.departments()]}  # fmt: skip
        if route == "overview":
            data = marts.overview(session)
            sla = {c.dataset: c.freshness_hours for d in quality.departments() for c in d.contracts}
            return {**data, "trend": self.trend(session, data["kpis"]), "sla_hours": sla}
        if route == "map":
            return marts.map_data(session)
        if route == "search":
            return marts.search(session, query.get("q", ""))
        if route == "enterprise":
            return marts.enterprise(session, query.get("id", ""))
        if route == "quality":
            return quality.summary(session)
        if route.startswith("quality/"):
            dept = quality.department(route.removeprefix("quality/"))
            if dept is None:
                return None
            return {"department": dept.key, "owner": dept.owner, "arrivals": quality.arrivals(session, dept),
                    "rules": quality.by_rule(session, dept)}  # fmt: skip
        return None

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        shown = value.astimezone(BEIJING) if value.tzinfo else value
        return shown.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def content_security_policy(map_tiles: str | None) -> str:
    images = "'self' data:"
    if map_tiles:
        parts = urlsplit(map_tiles)
        images += f" {parts.scheme}://{parts.netloc}"
    return (
        f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'"
    )


def handler_for(dashboard: Dashboard) -> type[BaseHTTPRequestHandler]:
    csp = content_security_policy(dashboard.settings.map_tiles)

    class Handler(BaseHTTPRequestHandler):
        server_version = "sdc-dashboard"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per request is noise on an operator's terminal

        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", csp)
            self.send_header("Cache-Control", "no-store")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, data: Any, status: int = HTTPStatus.OK) -> None:
            body = json.dumps(data, ensure_ascii=False, default=_json_value).encode("utf-8")
            self._send(status, body, "application/json; charset=utf-8")

        def do_GET(self) -> None:
            # DNS rebinding: a page elsewhere whose name resolves to 127.0.0.1 is refused by its Host header
            if urlsplit(f"//{self.headers.get('Host', '')}").hostname not in LOOPBACK_NAMES:
                return self._json({"error": "only http://127.0.0.1 serves this dashboard"}, HTTPStatus.FORBIDDEN)
            url = urlsplit(self.path)
            path = unquote(url.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            try:
                if path in ("/", "/index.html"):
                    return self._static("index.html")
                if path.startswith("/static/"):
                    return self._static(path.removeprefix("/static/"))
                if path.startswith("/api/"):
                    with dashboard.lock:
                        data = dashboard.answer(path.removeprefix("/api/"), query)
                    return self._json(data) if data is not None else self._json({"error": "not found"}, 404)
                if path.startswith("/download/quality/"):
                    return self._download(path.removeprefix("/download/quality/"))
            except Exception as exc:  # the page shows it; the server keeps serving
                return self._json({"error": f"{type(exc).__name__}: {exc}"}, HTTPStatus.INTERNAL_SERVER_ERROR)
            self._json({"error": "not found"}, HTTPStatus.NOT_FOUND)

        def _static(self, name: str) -> None:
            files = {p.name: p for p in STATIC.iterdir() if p.is_file()}  # only the files shipped there
            if name not in files:
                return self._json({"error": "not found"}, HTTPStatus.NOT_FOUND)
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            charset = "; charset=utf-8" if kind.startswith("text/") or kind.endswith("javascript") else ""
            self._send(HTTPStatus.OK, files[name].read_bytes(), kind + charset)

        def _download(self, name: str) -> None:
            key, _, extension = name.rpartition(".")
            dept = quality.department(key)
            if dept is None or extension not in ("csv", "xlsx"):
                return self._json({"error": "not found"}, HTTPStatus.NOT_FOUND)
            with dashboard.lock:
                session = dashboard.session()
                export = quality.export_csv if extension == "csv" else quality.export_xlsx
                body = export(session, dept)
                stamp = f"{dept.key}_quality_publish{session.entry.publish_id}.{extension}"
            kind = (
                "text/csv; charset=utf-8"
                if extension == "csv"
                else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            self._send(HTTPStatus.OK, body, kind, {"Content-Disposition": f'attachment; filename="{stamp}"'})

    return Handler


def serve(settings: Settings, port: int, ready=None) -> None:
    """Serve until interrupted; `ready(url)` is called once the socket listens and the pages in WARM are computed
    (the CLI prints it: from then on those pages open without waiting for the lake)."""
    dashboard = Dashboard(settings)
    with dashboard.lock:
        for route in WARM:  # nothing published: fails here, before listening
            dashboard.answer(route, {})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(dashboard))
    server.daemon_threads = True
    try:
        if ready is not None:
            ready(f"http://127.0.0.1:{server.server_address[1]}/")
        server.serve_forever()
    finally:
        server.server_close()
        dashboard.close()
