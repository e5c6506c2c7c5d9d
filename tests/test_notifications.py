"""Notifications are sent once (warehouse/notifications.py): remembered in the lake, and sent again only if a
channel did not take them. A real webhook server on loopback, a real lake."""

import json
import os
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sdc_settings import load_settings
from warehouse.lake import lake_connection
from warehouse.notifications import Notification, channels, send_once


class Hook(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict] = []
        self.status = 204


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.server.status < 300:
            self.server.received.append(body)
        self.send_response(self.server.status)
        self.end_headers()


@pytest.fixture
def hook():
    server = Hook()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_sent_once_and_again_only_if_a_channel_did_not_take_it(workspace, hook):
    settings = replace(load_settings(os.environ), notify_webhook=f"http://127.0.0.1:{hook.server_address[1]}/k")
    alerts = [
        Notification(f"alert:a{i}", "alert", f"alert {i}", {"department": {"name": "市交通运输局"}}) for i in (1, 2)
    ]
    hook.status = 503  # the receiver is down
    with lake_connection(settings) as con:
        report = send_once(con, alerts, channels(settings))
        assert report.sent == [] and len(report.undelivered) == 2 and "HTTP 503" in report.undelivered[0]
        assert "/k" not in report.undelivered[0]  # the URL carries the receiver's key
        hook.status = 204
        assert send_once(con, alerts, channels(settings)).sent == ["alert:a1", "alert:a2"]
        again = send_once(con, [*alerts, Notification("alert:a3", "alert", "alert 3")], channels(settings))
        assert again.sent == ["alert:a3"] and again.already_sent == 2
    assert [m["notification_id"] for m in hook.received] == ["alert:a1", "alert:a2", "alert:a3"]
    assert hook.received[0]["department"] == {"name": "市交通运输局"}
    logged = [json.loads(line)["notification_id"] for line in settings.notify_log.read_text("utf-8").splitlines()]
    assert logged == ["alert:a1", "alert:a2", "alert:a3"]  # the log took them at once, and only once
