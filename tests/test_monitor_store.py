"""The activity store and the background writer: nothing blocks the caller, nothing is silently lost."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from keysafe.events import ActivityEvent, EventBus
from keysafe.monitor import ActivityStore, ActivityWriter, StoreError, attach, import_file
from keysafe.monitor.config import keysafe_home


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """Nothing a test does may touch the user's real keysafe data directory."""
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path / "keysafe-home"))


def ev(i: int = 0, **kw) -> ActivityEvent:
    base = dict(time=1_772_409_600 + i, method="GET", path="/api/v3/account", environment="testnet",
                key_label="bot", key_fingerprint="f" * 16, status=200, weight=20, used_weight=40, client_ip="127.0.0.1")
    base.update(kw)
    return ActivityEvent(**base)


def test_store_is_wal_and_keeps_every_column(tmp_path):
    store = ActivityStore(tmp_path / "a.db")
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    store.add_events([ev(1, method="POST", path="/api/v3/order", symbol="BTCUSDT", side="BUY", quantity="0.001",
                         notional="60.12", error_code=-2010, status=400, bot="grid", latency_ms=12.5)])
    (row,) = store.rows()
    assert row["notional"] == "60.12" and row["quantity"] == "0.001" and row["error_code"] == -2010
    assert row["key"] == "f" * 16 and row["bot"] == "grid" and row["latency_ms"] == 12.5
    indexes = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"calls_key_time", "calls_time", "calls_key_ip"} <= indexes


def test_default_location_honours_keysafe_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path / "home"))
    assert keysafe_home() == tmp_path / "home"
    store = ActivityStore()
    assert store.path == tmp_path / "home" / "activity.sqlite3" and store.path.exists()


def test_writer_stores_everything_on_close(tmp_path):
    bus = EventBus()
    writer = attach(bus, tmp_path / "a.db", monitor=False, flush_interval=5.0)
    for i in range(5000):
        bus.publish(ev(i))
    stats = writer.close()
    assert stats.written == 5000 and stats.unstored == 0
    assert ActivityStore(tmp_path / "a.db").count() == 5000
    bus.publish(ev(9))  # after close the writer is unsubscribed; the bus keeps working
    assert bus.failures == 0


def test_writer_flushes_at_exit_of_a_real_process(tmp_path):
    code = textwrap.dedent(f"""
        from keysafe.events import ActivityEvent, EventBus
        from keysafe.monitor import attach
        bus = EventBus()
        attach(bus, {str(tmp_path / 'a.db')!r}, monitor=False, flush_interval=60)
        for i in range(1234):
            bus.publish(ActivityEvent(time=1.0 + i, method="GET", path="/api/v3/time", environment="testnet"))
        # no close(): the atexit hook must write what is queued
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert ActivityStore(tmp_path / "a.db").count() == 1234


def test_overflow_is_counted_never_silent(tmp_path, caplog):
    writer = ActivityWriter(tmp_path / "a.db", max_queue=10, flush_interval=60, batch_size=10_000)
    with caplog.at_level(logging.WARNING, "keysafe.monitor"):
        for i in range(25):
            writer(ev(i))
    assert writer.stats.overflowed == 15
    stats = writer.close()
    assert stats.written == 10 and stats.unstored == 15
    assert sum("queue full" in r.message for r in caplog.records) == 1


def test_corrupt_database_spills_events_and_the_client_keeps_working(tmp_path, caplog):
    db = tmp_path / "a.db"
    db.write_bytes(b"this is not a database" * 100)
    bus = EventBus()
    with caplog.at_level(logging.WARNING, "keysafe.monitor"):
        writer = attach(bus, db)
        for i in range(50):
            bus.publish(ev(i))  # never raises
        stats = writer.close()
    assert bus.failures == 0
    assert stats.spilled == 50 and stats.lost == 0 and stats.written == 0
    messages = [r.getMessage() for r in caplog.records]
    assert any("cannot open activity database" in m and "\n" not in m for m in messages)
    # the spilled events come back with `keysafe monitor import` once the database is fixed
    db.unlink()
    fixed = ActivityStore(db)
    result = import_file(fixed, writer.unstored_path)
    assert result.imported == 50 and not result.errors


def test_opening_a_corrupt_database_is_one_clear_error(tmp_path):
    db = tmp_path / "a.db"
    db.write_bytes(b"\x00garbage" * 500)
    with pytest.raises(StoreError) as info:
        ActivityStore(db)
    text = str(info.value)
    assert "\n" not in text and str(db) in text and "Fix:" in text


def test_locked_database_retries_then_spills(tmp_path):
    db = tmp_path / "a.db"
    ActivityStore(db).close()
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    writer = ActivityWriter(ActivityStore(db, timeout=0.05), flush_interval=0.05, retries=2)
    for i in range(20):
        writer(ev(i))
    deadline = time.monotonic() + 10
    while writer.stats.spilled < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert writer.stats.errors >= 2 and writer.stats.spilled == 20
    assert "locked" in (writer.stats.last_error or "")
    locker.execute("ROLLBACK")
    for i in range(5):
        writer(ev(100 + i))
    stats = writer.close()
    assert stats.written == 5
    lines = writer.unstored_path.read_text().splitlines()
    assert len(lines) == 20 and json.loads(lines[0])["path"] == "/api/v3/account"


def test_publish_from_many_threads_loses_nothing(tmp_path):
    bus = EventBus()
    writer = attach(bus, tmp_path / "a.db", monitor=False, batch_size=500)

    def bot(n: int) -> None:
        for i in range(2000):
            bus.publish(ev(n * 10_000 + i, bot=f"bot{n}"))

    threads = [threading.Thread(target=bot, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = writer.close()
    assert stats.written == 8000
    assert dict(ActivityStore(tmp_path / "a.db").query("SELECT bot, COUNT(*) FROM calls GROUP BY bot")) == {
        f"bot{n}": 2000 for n in range(4)}


def test_attach_refuses_something_without_an_event_bus():
    from keysafe.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="no EventBus"):
        attach(object(), ":memory:")


def test_attached_monitor_alerts_after_a_batch(tmp_path):
    from keysafe.monitor import Monitor, MonitorConfig
    from keysafe.monitor.alerts import JsonlSink

    store = ActivityStore(tmp_path / "a.db")
    sink = JsonlSink(tmp_path / "alerts.jsonl")
    bus = EventBus()
    now = time.time()
    writer = attach(bus, store, monitor=Monitor(store, MonitorConfig(), sinks=[sink]), flush_interval=0.05)
    for i in range(25):
        bus.publish(ev(0, time=now - 30 + i, client_ip="127.0.0.1"))
    for i in range(4):
        bus.publish(ev(0, time=now + i * 0.01, client_ip="127.0.0.2", status=401, error_code=-2015))
    writer.close()
    kinds = {json.loads(line)["detector"] for line in sink.path.read_text().splitlines()}
    assert kinds == {"new_source", "failure_rate"}
    assert Path(tmp_path / "a.db").exists()
