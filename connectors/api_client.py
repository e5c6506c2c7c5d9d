"""HTTP client for the departmental JSON APIs (systems B and E): auth, retries with backoff, paging.

- The auth header comes from configuration; 401/403 is an `ApiAuthError` naming the system, never retried.
- 429 waits for `Retry-After` (seconds or an HTTP date); 5xx, timeouts and connection errors back off
  exponentially (with jitter); both bounded by `max_attempts`, after which `ApiUnavailable` is raised.
- A client-side rate limit keeps us under the platform's requests-per-second limit in the first place.
- Paging runs to the end; a record served on two consecutive pages (records changed while paging) is
  kept once. Every response body is archived (content-addressed) and referenced by its sha256.
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
            raise ApiError(f"response has no record list at {'.'.join(self.records_path)}")
        return value

    def total(self, body: dict) -> int | None:
        value = self._at(body, self.total_path)
        try:
            return int(value)
        except (TypeError, ValueError):
            return None


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
    max_requests_per_second: float = 8.0


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
    """Flattened, numbers as their delivered text; None if the item is not a JSON object."""
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
        self.archive_dir = archive_dir
        self.retrying = retrying or Retrying()
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=self.retrying.timeout_seconds,
            transport=transport,
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

    def get(self, endpoint: Endpoint, params: dict[str, Any]) -> Page:
        query = urlencode(params)
        request = f"GET {endpoint.path}?{query}" if query else f"GET {endpoint.path}"
        last_problem = ""
        for attempt in range(1, self.retrying.max_attempts + 1):
            self._throttle()
            self.stats.requests += 1
            try:
                response = self._http.get(endpoint.path, params=params)
            except httpx.TimeoutException as exc:
                last_problem = f"timeout ({type(exc).__name__})"
                wait = self._backoff(attempt)
            except httpx.TransportError as exc:
                last_problem = f"connection error ({exc})"
                wait = self._backoff(attempt)
            else:
                status = response.status_code
                if status in (401, 403):
                    raise ApiAuthError(
                        f"{self.system} refused our credentials: HTTP {status} {_message(endpoint, response)} "
                        f"({request}); check the configured token / API key"
                    )
                if status in RETRY_STATUS:
                    last_problem = f"HTTP {status} {_message(endpoint, response)}".strip()
                    wait = self._retry_after(response, attempt) if status == 429 else self._backoff(attempt)
                elif status >= 400:
                    raise ApiError(f"{self.system}: HTTP {status} {_message(endpoint, response)} ({request})")
                else:
                    return self._page(endpoint, request, response)
            if attempt == self.retrying.max_attempts:
                break
            self.stats.retries += 1
            self._sleep(wait)
        raise ApiUnavailable(
            f"{self.system}: giving up on {request} after {self.retrying.max_attempts} attempts (last: {last_problem})"
        )

    def _page(self, endpoint: Endpoint, request: str, response: httpx.Response) -> Page:
        data = response.content
        try:
            body = json.loads(data, parse_float=Decimal)  # Decimal keeps a number's delivered text
        except ValueError as exc:
            raise ApiError(f"{self.system}: response to {request} is not JSON ({exc})") from exc
        if not isinstance(body, dict) or not endpoint.envelope.ok(body):
            message = endpoint.envelope.message(body) if isinstance(body, dict) else ""
            raise ApiError(f"{self.system}: application error for {request}: {message or data[:200]!r}")
        digest = archive.sha256_bytes(data)
        archive.store(self.archive_dir, data, digest)
        return Page(request, digest, body, endpoint.envelope.records(body))

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
                values = flatten(item) if isinstance(item, dict) else None
                pull.records.append(ApiRecord(values, raw, digest, position, page.request, page.sha256))
        return pull


def _message(endpoint: Endpoint, response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return endpoint.envelope.message(body) if isinstance(body, dict) else ""
