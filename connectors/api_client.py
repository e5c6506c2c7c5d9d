"""HTTP client for the departmental JSON APIs (systems B and E): auth, retries with backoff, paging.

- The auth header comes from configuration; 401/403 is an `ApiAuthError` naming the system, never retried.
- 429 waits for `Retry-After` (seconds or an HTTP date); 5xx, timeouts and connection errors back off
  exponentially (with jitter); both bounded by `max_attempts`, after which `ApiUnavailable` is raised.
- A client-side rate limit keeps us under the platform's requests-per-second limit in the first place.
- Paging runs to the end; a record served on two consecutive pages (records changed while paging) is
  kept once. Every response body is archived (content-addressed) and referenced by its sha256.
- A response that is not what the API promises is an `ApiError` naming the request (method, path, page),
  never retried, since the same request gets the same answer: a body that is not JSON (an HTML error page
  with status 200), JSON of the wrong shape, a page larger than `max_page_bytes` (read a chunk at a time,
  never held whole), a redirect (never followed, to another host or the same one: a moved endpoint is a
  configuration change, and following it could carry the credentials somewhere else or over plain HTTP).
  A body cut short (fewer bytes than its Content-Length) is a connection error and is retried.
- Credentials never leave the request headers: every error message is scrubbed of them.
"""

from __future__ import annotations

import email.utils
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from connectors import archive
from connectors.jsonl import flatten
from connectors.raw_layer import column_problem

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class ApiError(RuntimeError):
    """The API answered with an error that retrying will not fix (or we gave up retrying)."""


class ApiAuthError(ApiError):
    """401/403: the configured credentials were refused."""


class ApiUnavailable(ApiError):
    """Still failing after the retry bound."""


@dataclass(frozen=True)
class Envelope:
    """Where a system's JSON envelope keeps its status, message, records and total (data, per system)."""

    status_key: str
    ok_value: Any
    message_key: str
    records_path: tuple[str, ...]
    total_path: tuple[str, ...]

    def _at(self, body: dict, path: tuple[str, ...]) -> Any:
        value: Any = body
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def ok(self, body: dict) -> bool:
        return body.get(self.status_key) == self.ok_value

    def message(self, body: dict) -> str:
        return str(body.get(self.message_key) or "")

    def records(self, body: dict) -> list:
        value = self._at(body, self.records_path)
        if not isinstance(value, list):
            raise ValueError(f"no record list at {'.'.join(self.records_path)} (found {type(value).__name__})")
        return value

    def total(self, body: dict) -> int | None:
        value = self._at(body, self.total_path)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
            raise ValueError(f"{'.'.join(self.total_path)} is {value!r}, not a count")
        return int(value)


@dataclass(frozen=True)
class Endpoint:
    """One paged API resource (data, per dataset)."""

    dataset: str
    source_system: str
    system: str
    """How errors name the system, e.g. `transport API (system B)`."""
    path: str
    envelope: Envelope
    page_param: str
    size_param: str
    page_size: int
    key_field: str
    """Identity of a record (its id in the source)."""


@dataclass(frozen=True)
class Retrying:
    max_attempts: int = 6
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    timeout_seconds: float = 30.0
    """Per read, and for a whole response body (a server dripping bytes is a timeout too)."""
    max_requests_per_second: float = 9.0
    """INTERFACES.md B: at most 10 per second, HTTP 429 beyond; starts 111 ms apart leave a tenth in hand."""
    max_page_bytes: int = 32 * 1024 * 1024
    """A page of 500 records is about 0.3 MiB; a page beyond this is not a page of this API."""


@dataclass(frozen=True)
class Page:
    request: str
    """`GET <path>?<query>` — the lineage `_source_file` of its records."""
    sha256: str
    body: dict
    records: list


@dataclass
class PullStats:
    requests: int = 0
    retries: int = 0
    pages: int = 0
    records_received: int = 0
    duplicates_on_pages: int = 0


@dataclass(frozen=True)
class ApiRecord:
    values: dict[str, str | None] | None
    """Flattened, numbers as their delivered text; None if the item is not a usable JSON object."""
    raw: str
    sha256: str
    position: int
    request: str
    response_sha256: str


@dataclass
class Pull:
    records: list[ApiRecord] = field(default_factory=list)
    total: int | None = None
    stats: PullStats = field(default_factory=PullStats)


class ApiClient:
    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        system: str,
        *,
        archive_dir: Path,
        retrying: Retrying | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.system = system
        self._secrets = [v for v in headers.values() if v] + [
            v.split(" ", 1)[1] for v in headers.values() if " " in v and v.split(" ", 1)[1]
        ]  # `Bearer <token>`: the token alone too
        self.archive_dir = archive_dir
        self.retrying = retrying or Retrying()
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=self.retrying.timeout_seconds,
            transport=transport,
            follow_redirects=False,
        )
        self._last_request = 0.0
        self._lock = threading.Lock()
        self.stats = PullStats()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _throttle(self) -> None:
        gap = 1.0 / self.retrying.max_requests_per_second
        with self._lock:
            wait = self._last_request + gap - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            self._last_request = time.monotonic()

    def _backoff(self, attempt: int) -> float:
        r = self.retrying
        return min(r.max_backoff_seconds, r.backoff_seconds * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        value = response.headers.get("Retry-After", "").strip()
        seconds: float | None = None
        if value.isdigit():
            seconds = float(value)
        elif value:
            when = email.utils.parsedate_to_datetime(value) if value else None
            if when is not None:
                seconds = max(0.0, when.timestamp() - time.time())
        if seconds is None:
            return self._backoff(attempt)
        return min(seconds, self.retrying.max_retry_after_seconds)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def get(self, endpoint: Endpoint, params: dict[str, Any]) -> Page:
        query = urlencode(params)
        request = f"GET {endpoint.path}?{query}" if query else f"GET {endpoint.path}"
        try:
            return self._get(endpoint, params, request)
        except ApiError as exc:
            raise type(exc)(self._scrub(str(exc))) from None

    def _get(self, endpoint: Endpoint, params: dict[str, Any], request: str) -> Page:
        last_problem = ""
        for attempt in range(1, self.retrying.max_attempts + 1):
            self._throttle()
            self.stats.requests += 1
            try:
                status, headers, data = self._fetch(endpoint, params, request)
            except httpx.TimeoutException as exc:
                last_problem = f"timeout ({type(exc).__name__})"
                wait = self._backoff(attempt)
            except httpx.TransportError as exc:  # refused, reset, a body cut short of its Content-Length
                last_problem = f"connection error ({exc})"
                wait = self._backoff(attempt)
            else:
                response = httpx.Response(status, headers=headers, content=data)
                if status in (401, 403):
                    raise ApiAuthError(
                        f"{self.system} refused our credentials: HTTP {status} {_message(endpoint, response)} "
                        f"({request}); check the configured token / API key"
                    )
                if 300 <= status < 400:
                    raise ApiError(
                        f"{self.system}: {request} answered HTTP {status}, a redirect to "
                        f"{_where(headers.get('location', ''))}; not followed (check the configured URL)"
                    )
                if status in RETRY_STATUS:
                    last_problem = f"HTTP {status} {_message(endpoint, response)}".strip()
                    wait = self._retry_after(response, attempt) if status == 429 else self._backoff(attempt)
                elif status >= 400:
                    raise ApiError(f"{self.system}: HTTP {status} {_message(endpoint, response)} ({request})")
                else:
                    return self._page(endpoint, request, headers, data)
            if attempt == self.retrying.max_attempts:
                break
            self.stats.retries += 1
            self._sleep(wait)
        raise ApiUnavailable(
            f"{self.system}: giving up on {request} after {self.retrying.max_attempts} attempts (last: {last_problem})"
        )

    def _fetch(self, endpoint: Endpoint, params: dict[str, Any], request: str) -> tuple[int, httpx.Headers, bytes]:
        """Status, headers and body, the body read a chunk at a time within the page bound and the deadline."""
        bound, deadline = self.retrying.max_page_bytes, time.monotonic() + self.retrying.timeout_seconds
        with self._http.stream("GET", endpoint.path, params=params) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > bound:
                raise ApiError(f"{self.system}: response to {request} is {int(declared)} bytes, over {bound}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():  # decoded: a compressed bomb meets the bound too
                size += len(chunk)
                if size > bound:
                    raise ApiError(f"{self.system}: response to {request} is over {bound} bytes; not read further")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"body not complete after {self.retrying.timeout_seconds} s")
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    def _page(self, endpoint: Endpoint, request: str, headers: httpx.Headers, data: bytes) -> Page:
        try:
            body = json.loads(data, parse_float=Decimal)  # Decimal keeps a number's delivered text
        except (ValueError, RecursionError) as exc:
            kind = headers.get("content-type", "no content type")
            raise ApiError(
                f"{self.system}: response to {request} is not JSON ({kind}, {len(data)} bytes, "
                f"starts {data[:80]!r}: {exc})"
            ) from None
        if not isinstance(body, dict):
            raise ApiError(f"{self.system}: response to {request} is a JSON {type(body).__name__}, not an envelope")
        if not endpoint.envelope.ok(body):
            message = endpoint.envelope.message(body)
            raise ApiError(f"{self.system}: application error for {request}: {message or data[:200]!r}")
        try:
            records = endpoint.envelope.records(body)
            endpoint.envelope.total(body)
        except ValueError as exc:
            raise ApiError(f"{self.system}: response to {request} has the wrong shape: {exc}") from None
        digest = archive.sha256_bytes(data)
        archive.store(self.archive_dir, data, digest)
        return Page(request, digest, body, records)

    def pages(self, endpoint: Endpoint, params: dict[str, Any]) -> Iterator[Page]:
        page_no = 1
        while True:
            page = self.get(endpoint, {**params, endpoint.page_param: page_no, endpoint.size_param: endpoint.page_size})
            yield page
            total = endpoint.envelope.total(page.body)
            if not page.records or total is None or page_no * endpoint.page_size >= total:
                return
            page_no += 1

    def pull(self, endpoint: Endpoint, params: dict[str, Any]) -> Pull:
        """Every page to the end; records served twice (page overlap) are kept once."""
        self.stats = PullStats()
        pull = Pull(stats=self.stats)
        seen: set[str] = set()
        for page in self.pages(endpoint, params):
            pull.stats.pages += 1
            pull.total = endpoint.envelope.total(page.body)
            for position, item in enumerate(page.records, start=1):
                raw = json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
                digest = archive.sha256_bytes(raw.encode("utf-8"))
                pull.stats.records_received += 1
                if digest in seen:
                    pull.stats.duplicates_on_pages += 1
                    continue
                seen.add(digest)
                try:
                    values = flatten(item) if isinstance(item, dict) else None
                except ValueError:  # keys that cannot be columns: kept as a reader reject, as delivered
                    values = None
                pull.records.append(ApiRecord(values, raw, digest, position, page.request, page.sha256))
        names = list(dict.fromkeys(k for r in pull.records if r.values for k in r.values))
        problem = column_problem(names)
        if problem:
            raise ApiError(self._scrub(f"{self.system}: records of {endpoint.path} have the wrong shape: {problem}"))
        return pull


def _where(location: str) -> str:
    """Where a redirect points, without its query (which may carry anything)."""
    try:
        url = httpx.URL(location)
    except httpx.InvalidURL:
        return "an unreadable Location"
    if not location:
        return "nowhere (no Location)"
    return f"{url.host}{url.path}" if url.host else f"{url.path} on the same host"


def _message(endpoint: Endpoint, response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return endpoint.envelope.message(body) if isinstance(body, dict) else ""
