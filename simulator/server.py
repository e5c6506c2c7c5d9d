"""The B (transport) and E (credit) APIs on one local HTTP server.

``serve(world_dir)`` starts a ``ThreadingHTTPServer`` in a background thread and returns a
``SimServer`` (also a context manager). B lives under ``/api/v2/...``, E under
``/openapi/credit/...``.

Time: the server has a simulated clock ``now`` (Beijing time). A record version is visible
when its ``visible_at <= now``; for each record the latest visible version is served (a
deleted version removes an E entry). ``now`` defaults to the end of the simulated window
(everything visible); ``set_now()`` / ``advance_to()`` move it, so a connector test can do an
incremental pull, advance the clock, and pull again.

Faults: random faults follow the rates in ``world/profile.json`` (``api_429``, ``api_502``,
``api_503``, ``api_slow``, ``api_page_overlap``) when ``faults=True``; ``set_rates()``
overrides them. ``script()`` queues deterministic faults for the next matching requests.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .profile import Profile

B_PREFIX = "/api/v2/"
E_PREFIX = "/openapi/credit/"
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
FMT = "%Y-%m-%d %H:%M:%S"


@dataclass
class Fault:
    kind: str  # "429" | "502" | "503" | "slow" | "overlap" | "401"
    retry_after: int | None = None
    delay: float | None = None


class _Store:
    """Versions of one API dataset, oldest first."""

    def __init__(self, path: Path, order: tuple[str, str]):
        self.visible: list[str] = []
        self.items: list[tuple[str, bool, dict | None]] = []
        self.order = order
        self._cache: dict[str, tuple[list[dict], list[str]]] = {}
        if path.exists():
            with path.open(encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    d = json.loads(line)
                    self.visible.append(d["visible_at"])
                    self.items.append((d["uid"], d.get("deleted", False), d["record"]))

    def view(self, now: str) -> list[dict]:
        return self._sorted(now)[0]

    def between(self, now: str, lo: str, hi: str | None = None) -> list[dict]:
        """Records of the view whose first order key is in [lo, hi): a bisection, because a page request at 90
        days of history would otherwise filter the whole view (1.4 pages/s measured)."""
        out, keys = self._sorted(now)
        return out[bisect.bisect_left(keys, lo) : len(out) if hi is None else bisect.bisect_left(keys, hi)]

    def _sorted(self, now: str) -> tuple[list[dict], list[str]]:
        got = self._cache.get(now)
        if got is not None:
            return got
        n = bisect.bisect_right(self.visible, now)
        cur: dict[str, dict] = {}
        for uid, deleted, rec in self.items[:n]:
            if deleted:
                cur.pop(uid, None)
            else:
                cur[uid] = rec
        a, b = self.order
        out = sorted(cur.values(), key=lambda x: (str(x.get(a) or ""), str(x.get(b) or "")))
        if len(self._cache) > 8:
            self._cache.clear()
        self._cache[now] = got = (out, [str(x.get(a) or "") for x in out])
        return got


class SimServer:
    def __init__(
        self,
        world_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: bool = True,
        now: dt.datetime | None = None,
        transport_token: str | None = None,
        credit_api_key: str | None = None,
        slow_delay_s: float | None = None,
    ):
        self.world_dir = Path(world_dir)
        meta = json.loads((self.world_dir / "world.json").read_text("utf-8"))
        self.meta = meta
        self.window_start = dt.datetime.fromisoformat(meta["window_start"])
        self.window_end = dt.datetime.fromisoformat(meta["window_end"])
        seed = meta["seed"]
        self.transport_token = transport_token or f"sdc-sim-transport-{seed}"
        self.credit_api_key = credit_api_key or f"sdc-sim-credit-{seed}"
        ppath = self.world_dir / "profile.json"
        self.profile = Profile.load(ppath) if ppath.exists() else Profile.named("clean")
        self.faults = faults
        self.rates = {
            k: (self.profile.rate(k) if faults else 0.0)
            for k in ("api_429", "api_502", "api_503", "api_slow", "api_page_overlap")
        }
        self.rate_limit_rps = self.profile.rate_limit_rps if faults else None
        self.slow_delay_s = slow_delay_s if slow_delay_s is not None else self.profile.slow_delay_s
        self.retry_after_s = self.profile.retry_after_s
        self._rng = random.Random(f"{seed}|api-faults")
        self._lock = threading.Lock()
        self._script: list[tuple[str, Fault]] = []
        self._hits: dict[str, deque] = {}
        self.request_log: list[tuple[str, str, int]] = []
        api = self.world_dir / "api"
        self.vehicles = _Store(api / "transport_vehicles.jsonl", ("gxsj", "clid"))
        self.alarms = _Store(api / "transport_alarms.jsonl", ("gxsj", "bjid"))
        self.credit = _Store(api / "credit_dishonest.jsonl", ("id", "gxsj"))
        self._now = now or self.window_end
        handler = type("Handler", (_Handler,), {"sim": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="sdc-sim-api", daemon=True)

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> SimServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SimServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- clock ------------------------------------------------------------------------------
    @property
    def now(self) -> dt.datetime:
        return self._now

    def set_now(self, now: dt.datetime | dt.date | str | None) -> None:
        """None = end of the simulated window (everything visible)."""
        if now is None:
            self._now = self.window_end
        elif isinstance(now, str):
            self._now = dt.datetime.fromisoformat(now)
        elif isinstance(now, dt.datetime):
            self._now = now
        else:
            self._now = dt.datetime.combine(now, dt.time())

    def advance_to(self, day: dt.date) -> None:
        """Show everything up to the end of ``day``."""
        self._now = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())

    # ---- faults ----------------------------------------------------------------------------
    def script(
        self,
        path_prefix: str,
        kind: str,
        *,
        times: int = 1,
        retry_after: int | None = None,
        delay: float | None = None,
    ) -> None:
        """Queue ``times`` faults for the next requests whose path starts with path_prefix.
        kind: "429" (with Retry-After), "502", "503", "slow", "overlap", "401"."""
        if kind not in ("429", "502", "503", "slow", "overlap", "401"):
            raise ValueError(kind)
        with self._lock:
            for _ in range(times):
                self._script.append((path_prefix, Fault(kind, retry_after, delay)))

    def clear_script(self) -> None:
        with self._lock:
            self._script.clear()

    def set_rates(self, **rates: float) -> None:
        """e.g. set_rates(api_429=0, api_503=0.5); unknown keys raise."""
        for k, v in rates.items():
            if k not in self.rates:
                raise KeyError(k)
            self.rates[k] = float(v)

    def _scripted(self, path: str) -> Fault | None:
        with self._lock:
            for i, (prefix, f) in enumerate(self._script):
                if path.startswith(prefix):
                    del self._script[i]
                    return f
        return None

    def _draw(self, key: str) -> bool:
        rate = self.rates.get(key, 0.0)
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def _rate_limited(self, who: str) -> bool:
        if not self.rate_limit_rps:
            return False
        t = time.monotonic()
        with self._lock:
            q = self._hits.setdefault(who, deque())
            while q and t - q[0] >= 1.0:
                q.popleft()
            if len(q) >= self.rate_limit_rps:
                return True
            q.append(t)
            return False


def serve(world_dir: Path, *, host: str = "127.0.0.1", port: int = 0, faults: bool = True, **kw) -> SimServer:
    """Start both APIs in a background thread; returns a started SimServer."""
    return SimServer(world_dir, host, port, faults, **kw).start()


class _Handler(BaseHTTPRequestHandler):
    sim: SimServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "nginx"
    sys_version = ""

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        # Logged before the body goes out, so a client that has its answer always finds it in the log.
        with self.sim._lock:
            self.sim.request_log.append((self.command, self.path, status))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: dict, headers: dict | None = None) -> None:
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _b_err(self, status: int, code: int, message: str, headers: dict | None = None) -> None:
        self._json(status, {"code": code, "message": message, "data": None}, headers)

    def _e_err(self, status: int, msg: str, headers: dict | None = None) -> None:
        self._json(status, {"success": False, "errorMsg": msg}, headers)

    def do_POST(self) -> None:
        u = urlsplit(self.path)
        if u.path == "/_sim/now":
            qs = parse_qs(u.query)
            self.sim.set_now((qs.get("value") or [None])[0])
            self._json(200, {"now": self.sim.now.strftime(FMT)})
            return
        self._b_err(405, 40500, "method not allowed")

    def do_GET(self) -> None:
        sim = self.sim
        u = urlsplit(self.path)
        path = u.path
        qs = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        is_b = path.startswith(B_PREFIX)
        is_e = path.startswith(E_PREFIX)
        if path == "/_sim/now":
            self._json(200, {"now": sim.now.strftime(FMT)})
            return
        if not (is_b or is_e):
            self._b_err(404, 40400, "not found")
            return
        err = self._b_err if is_b else None
        fault = sim._scripted(path)
        kind = fault.kind if fault else None
        if kind is None and sim.faults:
            if sim._draw("api_502"):
                kind = "502"
            elif sim._draw("api_503"):
                kind = "503"
        if kind == "502":
            self._send(
                502,
                b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
                b"</h1></center><hr><center>nginx</center></body></html>",
                "text/html",
            )
            return
        if kind == "503":
            if err:
                self._b_err(503, 50301, "service unavailable")
            else:
                self._e_err(503, "服务暂不可用，请稍后重试")
            return
        # auth
        if is_b:
            auth = self.headers.get("Authorization", "")
            if kind == "401" or auth != f"Bearer {sim.transport_token}":
                self._b_err(401, 40101, "token invalid")
                return
        else:
            if kind == "401" or self.headers.get("X-Api-Key", "") != sim.credit_api_key:
                self._e_err(401, "invalid api key")
                return
        if kind == "429" or (
            kind is None and is_b and (sim._rate_limited(sim.transport_token) or sim._draw("api_429"))
        ):
            ra = str(fault.retry_after if fault and fault.retry_after is not None else sim.retry_after_s)
            if err:
                self._b_err(429, 42901, "too many requests", {"Retry-After": ra})
            else:
                self._e_err(429, "too many requests", {"Retry-After": ra})
            return
        if kind == "slow" or (kind is None and sim._draw("api_slow")):
            time.sleep(fault.delay if fault and fault.delay is not None else sim.slow_delay_s)
        overlap = kind == "overlap" or (kind is None and is_b and sim._draw("api_page_overlap"))
        now = sim.now.strftime(FMT)
        if path == "/api/v2/vehicles":
            self._vehicles(qs, now, overlap)
        elif path == "/api/v2/alarms":
            self._alarms(qs, now, overlap)
        elif path == "/openapi/credit/dishonest":
            self._credit(qs, now)
        elif is_b:
            self._b_err(404, 40400, "not found")
        else:
            self._e_err(404, "not found")

    # ---- endpoints -----------------------------------------------------------------------
    def _paging(self, qs: dict, default_size: int, max_size: int, pkey: str, skey: str):
        try:
            page = int(qs.get(pkey) or 1)
            size = int(qs.get(skey) or default_size)
        except ValueError:
            return None
        if page < 1 or size < 1 or size > max_size:
            return None
        return page, size

    def _page_out(self, items: list[dict], page: int, size: int, overlap: bool) -> dict:
        off = (page - 1) * size
        lst = items[off : off + size]
        if overlap and page > 1 and off - 1 < len(items):
            # a record changed while paging: the last record of the previous page shows up again
            lst = [items[off - 1], *lst]
        return {"total": len(items), "page": page, "size": size, "list": lst}

    def _vehicles(self, qs: dict, now: str, overlap: bool) -> None:
        pg = self._paging(qs, 100, 500, "page", "size")
        if pg is None:
            self._b_err(400, 40002, "invalid page/size (size <= 500)")
            return
        since = qs.get("updatedSince")
        if since is not None and not TS_RE.match(since):
            self._b_err(400, 40003, "updatedSince must be YYYY-MM-DD HH:MM:SS")
            return
        items = self.sim.vehicles.between(now, since) if since else self.sim.vehicles.view(now)
        self._json(200, {"code": 0, "message": "success", "data": self._page_out(items, *pg, overlap)})

    def _alarms(self, qs: dict, now: str, overlap: bool) -> None:
        pg = self._paging(qs, 100, 500, "page", "size")
        if pg is None:
            self._b_err(400, 40002, "invalid page/size (size <= 500)")
            return
        st, et = qs.get("startTime"), qs.get("endTime")
        if not st or not et or not TS_RE.match(st) or not TS_RE.match(et):
            self._b_err(400, 40003, "startTime and endTime are required, YYYY-MM-DD HH:MM:SS")
            return
        a, b = dt.datetime.strptime(st, FMT), dt.datetime.strptime(et, FMT)
        if b <= a or b - a > dt.timedelta(days=31):
            self._b_err(400, 40004, "time window must satisfy startTime < endTime <= startTime + 31 days")
            return
        items = self.sim.alarms.between(now, st, et)
        self._json(200, {"code": 0, "message": "success", "data": self._page_out(items, *pg, overlap)})

    def _credit(self, qs: dict, now: str) -> None:
        pg = self._paging(qs, 20, 100, "pageNo", "pageSize")
        if pg is None:
            self._e_err(400, "invalid pageNo/pageSize (pageSize <= 100)")
            return
        page, size = pg
        items = self.sim.credit.view(now)
        off = (page - 1) * size
        self._json(200, {"success": True, "result": {"records": items[off : off + size], "totalCount": len(items)}})
