"""`keysafe monitor watch` as a user leaves it running: a real process, events arriving while
it watches, an alert within seconds, Ctrl-C to stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from keysafe.events import ActivityEvent
from keysafe.monitor import ActivityStore

KEYSAFE = str(Path(sys.executable).with_name("keysafe"))


def test_watch_raises_an_alert_for_a_call_from_outside_the_whitelist_then_stops_on_ctrl_c(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "monitor.toml").write_text('[keys.grid-bot]\nip_whitelist = ["10.0.0.0/24"]\n'
                                       '[sinks]\njsonl = "alerts.jsonl"\n')
    db = home / "activity.sqlite3"
    store = ActivityStore(db)

    def call(ip: str) -> ActivityEvent:
        return ActivityEvent(time=time.time(), method="GET", path="/api/v3/account", environment="testnet",
                             key_label="grid-bot", key_fingerprint="fp-grid", status=200, client_ip=ip)

    store.add_events([call("10.0.0.5")])
    watch = subprocess.Popen([KEYSAFE, "monitor", "watch", "--interval", "0.2", "--db", str(db)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "KEYSAFE_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "160"})
    try:
        alerts = home / "alerts.jsonl"
        time.sleep(1.0)
        assert not alerts.exists() or alerts.read_text() == ""  # the whitelisted bot raises nothing
        store.add_events([call("198.51.100.23")])  # the key used from elsewhere, while watch runs
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (alerts.exists() and alerts.read_text().strip()):
            time.sleep(0.1)
        lines = alerts.read_text().splitlines() if alerts.exists() else []
        assert lines, "no alert within 20 s"
        alert = json.loads(lines[0])
        assert alert["severity"] == "critical" and "198.51.100.23" in alert["summary"]
    finally:
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=20)
    assert watch.returncode == 0, err
    assert "stopped." in out and "Traceback" not in err
