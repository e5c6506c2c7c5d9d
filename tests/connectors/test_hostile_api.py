"""Hostile API responses (issue 17) from a real HTTP server on loopback: HTML with status 200, bodies cut
short, JSON of the wrong shape, redirects, oversized pages; tokens never in errors, logs or the lake."""

import dataclasses
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from connectors import api_loads, credit, transport
from connectors.api_client import ApiError, ApiUnavailable, Retrying
from warehouse.lake import transaction

TOKEN = "tok-9f8e7d6c5b4a-never-logged"
API_KEY = "key-1a2b3c4d-never-logged"
FAST = Retrying(
    backoff_seconds=0.01, max_backoff_seconds=0.02, timeout_seconds=5, max_attempts=3, max_requests_per_second=1000
)
VEHICLE = {"clid": "V1", "cphm": "苏E6B123", "cpys": 2, "gxsj": "2026-11-28 08:00:00"}


def envelope(records, total=None) -> bytes:
    data = {"total": len(records) if total is None else total, "page": 1, "size": 500, "list": records}
    return json.dumps({"code": 0, "message": "success", "data": data}, ensure_ascii=False).encode("utf-8")


class Hostile(ThreadingHTTPServer):
    """Answers each request with the next scripted response: (status, headers, body, cut_short)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.script: list[tuple[int, dict, bytes, bool]] = []
        self.requests: list[tuple[str, dict]] = []
        self.fallback = (200, {}, envelope([]), False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, status=200, body=b"", headers=None, cut_short=False, times=1):
        self.script += [(status, headers or {}, body, cut_short)] * times


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        srv: Hostile = self.server
        srv.requests.append((self.path, dict(self.headers)))
        status, headers, body, cut_short = srv.script.pop(0) if srv.script else srv.fallback
        if callable(body):
            body = body(self)
        self.send_response(status)
        headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        for k, v in headers.items():
            self.send_header(k, v)
        if "Transfer-Encoding" not in headers:
            self.send_header("Content-Length", str(len(body) * (2 if cut_short else 1)))
        self.end_headers()
        if "Transfer-Encoding" in headers:  # chunked, no length announced
            for i in range(0, len(body), 4096):
                part = body[i : i + 4096]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)
        if cut_short:
            self.close_connection = True


def _serving():
    srv = Hostile()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def server():
    yield from _serving()


@pytest.fixture
def other_host():
    yield from _serving()


def b_client(settings, server, **retrying):
    return transport.client(
        server.base_url, TOKEN, archive_dir=settings.archive_dir, retrying=dataclasses.replace(FAST, **retrying)
    )


REQUEST = "GET /api/v2/vehicles?page=1&size=500"


def pull(settings, server, **retrying):
    with b_client(settings, server, **retrying) as api:
        return api.pull(transport.VEHICLES, {})


def test_html_error_page_with_status_200_is_a_clear_error_not_retried(settings, server):
    server.answer(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"})
    with pytest.raises(ApiError) as err:
        pull(settings, server)
    message = str(err.value)
    assert "transport API (system B" in message and REQUEST in message
    assert "is not JSON (text/html" in message and "<html>" in message
    assert len(server.requests) == 1 and not isinstance(err.value, ApiUnavailable)


def test_a_body_cut_short_is_retried_as_a_connection_error(settings, server):
    good = envelope([VEHICLE])
    server.answer(200, good[:40], cut_short=True)
    server.answer(200, good)
    result = pull(settings, server)
    assert len(result.records) == 1 and result.stats.retries == 1
    server.answer(200, good[:40], cut_short=True, times=3)
    with pytest.raises(ApiUnavailable, match=r"giving up on GET /api/v2/vehicles\?page=1&size=500 after 3 attempts"):
        pull(settings, server)


def test_json_truncated_but_complete_on_the_wire_is_not_retried(settings, server):
    server.answer(200, envelope([VEHICLE])[:-7])
    with pytest.raises(ApiError, match=r"response to GET /api/v2/vehicles\?page=1&size=500 is not JSON"):
        pull(settings, server)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[1, 2, 3]", "is a JSON list, not an envelope"),
        (json.dumps({"code": 0, "data": {"list": {"clid": "V1"}, "total": 1}}).encode(), "no record list at data.list"),
        (json.dumps({"code": 0, "data": "nothing"}).encode(), "no record list at data.list (found NoneType)"),
        (json.dumps({"code": 0, "data": {"list": [], "total": "many"}}).encode(), "data.total is 'many', not a count"),
        (json.dumps({"message": "success"}).encode(), "application error for GET"),
    ],
)
def test_json_of_the_wrong_shape_is_an_error_naming_the_request(settings, server, body, problem):
    server.answer(200, body)
    with pytest.raises(ApiError) as err:
        pull(settings, server)
    assert problem in str(err.value) and REQUEST in str(err.value)
    assert len(server.requests) == 1


def test_records_whose_keys_cannot_be_columns_never_touch_lineage(settings, lake, server):
    server.answer(200, envelope([VEHICLE, {"clid": "V2", "_source_file": "/forged", "gxsj": "2026-11-28 09:00:00"}]))
    with b_client(settings, server) as api:
        report = transport.pull_vehicles(lake, api)
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert lake.execute("SELECT _source_file FROM lake.raw.transport__vehicle").fetchall() == [(REQUEST,)]
    assert "/forged" in lake.execute("SELECT content FROM lake.raw.reader_rejects").fetchone()[0]  # kept as sent
    # Records whose names collide only across records (DuckDB: case-insensitive): the page is refused.
    server.answer(200, envelope([{"clid": "V3", "cphm": "a"}, {"clid": "V4", "CPHM": "b"}]))
    with pytest.raises(ApiError, match="wrong shape: columns 'cphm' and 'CPHM' are the same column"):
        pull(settings, server)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_never_followed_to_another_host_or_the_same(settings, server, other_host, status):
    server.answer(status, b"", {"Location": f"{other_host.base_url}/steal?x=1"})
    with pytest.raises(ApiError) as err:
        pull(settings, server)
    assert f"HTTP {status}, a redirect to 127.0.0.1/steal; not followed" in str(err.value)
    assert REQUEST in str(err.value) and other_host.requests == [] and len(server.requests) == 1
    server.answer(status, b"", {"Location": "/api/v3/vehicles"})
    with pytest.raises(ApiError, match=r"a redirect to /api/v3/vehicles on the same host; not followed"):
        pull(settings, server)
    assert len(server.requests) == 2


def test_an_oversized_page_is_refused_with_or_without_a_declared_length(settings, server):
    big = envelope([{**VEHICLE, "clid": f"V{i}"} for i in range(400)])
    server.answer(200, big)
    with pytest.raises(ApiError, match=rf"response to {REQUEST.replace('?', '[?]')} is {len(big)} bytes, over 10000"):
        pull(settings, server, max_page_bytes=10_000)
    server.answer(200, big, {"Transfer-Encoding": "chunked"})
    with pytest.raises(ApiError, match="is over 10000 bytes; not read further"):
        pull(settings, server, max_page_bytes=10_000)
    assert len(server.requests) == 2  # neither retried


def test_only_transient_failures_are_retried(settings, server):
    server.answer(503, b"{}")
    server.answer(500, b"{}")
    assert len(pull(settings, server).records) == 0 and len(server.requests) == 3
    server.answer(400, json.dumps({"code": 40001, "message": "bad window"}).encode())
    with pytest.raises(ApiError, match="HTTP 400 bad window"):
        pull(settings, server)
    assert len(server.requests) == 4


def echo_credentials(handler) -> bytes:
    """An error page quoting the request's credentials back (some gateways do)."""
    seen = handler.headers.get("Authorization") or handler.headers.get("X-Api-Key")
    return json.dumps({"code": 40001, "message": f"bad request with {seen}", "success": False,
                       "errorMsg": f"key {seen} over quota"}).encode()  # fmt: skip


def test_tokens_never_reach_errors_logs_the_lake_or_the_archive(settings, lake, server, caplog):
    caplog.set_level(logging.DEBUG)
    for status in (400, 200):  # refused, then an application error in a 200 envelope
        server.answer(status, echo_credentials)
        with pytest.raises(ApiError) as err:
            pull(settings, server)
        assert TOKEN not in str(err.value) and "***" in str(err.value)
    server.answer(502, echo_credentials, times=3)
    with pytest.raises(ApiUnavailable) as err:
        pull(settings, server)
    assert TOKEN not in str(err.value)
    with (
        credit.client(server.base_url, API_KEY, archive_dir=settings.archive_dir, retrying=FAST) as api,
        pytest.raises(ApiError) as err,
    ):
        server.answer(500, echo_credentials, times=3)
        credit.pull_snapshot(lake, api)
    assert API_KEY not in str(err.value)
    server.answer(200, envelope([VEHICLE]))
    with b_client(settings, server) as api:
        transport.pull_vehicles(lake, api)
    assert server.requests[-1][1]["Authorization"] == f"Bearer {TOKEN}"  # it was sent, in the header only
    assert TOKEN not in caplog.text and API_KEY not in caplog.text
    tables = lake.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lake'").fetchall()
    everything = "\n".join(str(lake.execute(f'SELECT * FROM lake."{s}"."{t}"').fetchall()) for s, t in tables)
    assert "苏E6B123" in everything and TOKEN not in everything and API_KEY not in everything
    for path in settings.archive_dir.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes()


# --- fuzz: any body the API could send ends in a pull or an ApiError, and loaded rows trace to the page ---

JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
RECORD = st.dictionaries(st.sampled_from(["clid", "cphm", "cpys", "gxsj", "_load_id", "CLID"]) | st.text(max_size=5),
                         JSON_VALUE, max_size=5)  # fmt: skip


@st.composite
def near_valid_page(draw) -> bytes:
    records = draw(st.lists(RECORD | JSON_VALUE, max_size=5))
    total = draw(st.sampled_from([len(records), None, "x", -1, 3, 501]))
    body = {
        "code": draw(st.sampled_from([0, 0, 0, 1, "0"])),
        "message": "ok",
        "data": {"total": total, "list": records},
    }
    data = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=3)) + data[cut:]
    return data


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=200) | near_valid_page())
def test_fuzz_api_bodies_end_in_a_pull_or_an_api_error(settings, lake, server, body):
    server.fallback = (200, {}, body, False)  # every page of this pull
    api_loads.ensure_tables(lake)
    try:
        with b_client(settings, server, max_attempts=1) as api:
            result = api.pull(transport.VEHICLES, {})
            with transaction(lake):
                fresh, already = api_loads.new_records(lake, transport.VEHICLES, result)
                report = api_loads.write_pull(lake, transport.VEHICLES, result, fresh, already, request=REQUEST)
    except ApiError as exc:
        assert "GET /api/v2/vehicles" in str(exc) and TOKEN not in str(exc)
        return
    if report.rows_loaded:
        shas = {r.response_sha256 for r in result.records}
        rows = lake.execute(
            "SELECT _source_file, _source_sha256, _record_number FROM lake.raw.transport__vehicle WHERE _load_id = ?",
            [report.load_id],
        ).fetchall()
        assert len(rows) == report.rows_loaded
        assert all(f.startswith("GET /api/v2/vehicles?") and s in shas and n >= 1 for f, s, n in rows)
