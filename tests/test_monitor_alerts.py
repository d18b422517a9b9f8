"""Alert sinks: console, JSON lines, and a webhook tested against a real receiver on loopback."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rich.console import Console

from helpers import free_port
from keysafe.errors import ConfigurationError
from keysafe.monitor.alerts import ALL_ACTIONS, Alert, ConsoleSink, Dispatcher, JsonlSink, WebhookError, WebhookSink


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """Nothing a test does may touch the user's real keysafe data directory."""
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path / "keysafe-home"))


def alert(**kw) -> Alert:
    base = dict(detector="new_source", severity="high", key="ab" * 8, key_label="grid-bot",
                summary="3 call(s) from IP 127.0.0.2, never seen for this key before", evidence=[{"time": 1.0}],
                actions=ALL_ACTIONS, first_time=1772409600.0, last_time=1772409660.0, dedupe="x")
    base.update(kw)
    return Alert(**base)


class Receiver:
    """A real HTTP server on loopback that fails the first ``fail`` requests with 503."""

    def __init__(self, fail: int = 0) -> None:
        self.bodies: list[dict] = []
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                outer.hits += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.hits <= fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_alert_is_one_line_with_known_severity():
    with pytest.raises(ValueError):
        alert(summary="two\nlines")
    with pytest.raises(ValueError):
        alert(severity="meh")
    assert alert().line().startswith("[HIGH] 2026-03-02T00:00:00Z grid-bot: 3 call(s)")


def test_console_sink_prints_summary_and_actions():
    console = Console(record=True, width=200)
    ConsoleSink(console).send(alert())
    text = console.export_text()
    assert "HIGH" in text and "never seen for this key" in text and "Open a support ticket with Binance." in text


def test_jsonl_sink_appends_one_object_per_alert(tmp_path):
    sink = JsonlSink(tmp_path / "sub" / "alerts.jsonl")
    sink.send(alert())
    sink.send(alert(severity="critical"))
    rows = [json.loads(line) for line in sink.path.read_text().splitlines()]
    assert [r["severity"] for r in rows] == ["high", "critical"] and rows[0]["actions"] == list(ALL_ACTIONS)


def test_webhook_posts_json_and_retries_on_5xx():
    rx = Receiver(fail=2)
    try:
        sink = WebhookSink(rx.url, retries=3, backoff=0.01)
        sink.send(alert())
        assert rx.hits == 3 and len(rx.bodies) == 1
        body = rx.bodies[0]
        assert body["source"] == "keysafe" and body["detector"] == "new_source" and body["evidence"] == [{"time": 1.0}]
    finally:
        rx.close()


def test_unreachable_webhook_gives_one_message_and_other_sinks_still_get_the_alert(tmp_path, caplog):
    port = free_port()  # nothing listens there
    hook = WebhookSink(f"http://127.0.0.1:{port}/hook", retries=2, backoff=0.01, timeout=1)
    with pytest.raises(WebhookError, match="after 2 attempt"):
        hook.send(alert())
    jsonl = JsonlSink(tmp_path / "a.jsonl")
    dispatcher = Dispatcher([hook, jsonl])
    with caplog.at_level(logging.WARNING, "keysafe.monitor"):
        dispatcher.send(alert())
    assert dispatcher.failures == {"webhook": 1}
    assert len(jsonl.path.read_text().splitlines()) == 1
    (record,) = [r for r in caplog.records if "webhook" in r.getMessage()]
    assert "\n" not in record.getMessage() and "keysafe monitor alerts" in record.getMessage()


def test_webhook_url_is_checked():
    with pytest.raises(ConfigurationError, match="not an http"):
        WebhookSink("ftp://example")


def test_monitor_sends_each_alert_once_to_the_webhook(tmp_path):
    from keysafe.events import ActivityEvent
    from keysafe.monitor import ActivityStore, Monitor, MonitorConfig

    rx = Receiver()
    try:
        store = ActivityStore(tmp_path / "a.db")
        now = time.time()
        store.add_events([ActivityEvent(time=now - 60 + i, method="GET", path="/api/v3/account",
                                        environment="testnet", key_fingerprint="k", client_ip="127.0.0.1")
                          for i in range(30)])
        store.add_events([ActivityEvent(time=now, method="GET", path="/api/v3/account", environment="testnet",
                                        key_fingerprint="k", client_ip="127.0.0.3")])
        mon = Monitor(store, MonitorConfig(), sinks=[WebhookSink(rx.url)])
        assert len(mon.check()) == 1 and mon.check() == []
        assert len(rx.bodies) == 1 and "127.0.0.3" in rx.bodies[0]["summary"]
        assert len(store.alerts()) == 1
    finally:
        rx.close()
