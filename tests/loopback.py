"""Servers on loopback for the tests: started in a thread for a `with` block, and a webhook receiver that keeps
what is POSTed to it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class WebhookReceiver(ThreadingHTTPServer):
    """Keeps every JSON body POSTed to it while `status` is a success; answers `status` (503 for a notification id in
    `refuse`)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Receive)
        self.received: list[dict] = []
        self.status = 204
        self.refuse: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook?key=k3y"


class _Receive(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = 503 if body.get("notification_id") in self.server.refuse else self.server.status
        if status < 300:
            self.server.received.append(body)
        self.send_response(status)
        self.end_headers()
