"""`keysafe monitor import`: the sandbox's records and event exports, malformed lines reported."""

from __future__ import annotations

import pytest

import json

from click.testing import CliRunner

from keysafe.cli import cli
from keysafe.events import ActivityEvent
from keysafe.monitor import ActivityStore, import_file
from keysafe.monitor.importer import parse_record


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """Nothing a test does may touch the user's real keysafe data directory."""
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path / "keysafe-home"))


SANDBOX = {"time": 1772409600123, "client_ip": "127.0.0.2", "api_key_fingerprint": "ab" * 8, "key_label": "bot",
           "method": "GET", "path": "/api/v3/account", "weight": 20, "status": 401, "error_code": -2015}


def test_sandbox_record_shape():
    rec = parse_record(SANDBOX)
    assert rec["time"] == 1772409600.123 and rec["key_fingerprint"] == "ab" * 8
    assert rec["client_ip"] == "127.0.0.2" and rec["outcome"] == "error" and rec["error_code"] == -2015


def test_activity_event_shape_round_trips(tmp_path):
    e = ActivityEvent(time=1772409600.5, method="POST", path="/api/v3/order", environment="testnet",
                      key_label="grid", key_fingerprint="cd" * 8, status=200, symbol="BTCUSDT", side="BUY",
                      quantity="0.001", price="60000", notional="60", bot="grid", client_ip="10.0.0.1")
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(e.to_json()) + "\n")
    store = ActivityStore(":memory:")
    result = import_file(store, path)
    assert result.imported == 1 and result.errors == []
    (row,) = store.rows()
    assert row["notional"] == "60" and row["bot"] == "grid" and row["source"] == "import:events.jsonl"


def test_malformed_lines_are_reported_and_good_lines_kept(tmp_path):
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(SANDBOX), "{not json", json.dumps({**SANDBOX, "time": "soon"}), "[1, 2]",
             json.dumps({**SANDBOX, "status": "four hundred"}), "", json.dumps({**SANDBOX, "notional": 1.5}),
             json.dumps({k: v for k, v in SANDBOX.items() if k != "path"}), json.dumps({**SANDBOX, "time": 1772409601})]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe bad bytes\n")
    store = ActivityStore(":memory:")
    result = import_file(store, path)
    assert result.imported == 2
    assert [n for n, _ in result.errors] == [2, 3, 4, 5, 7, 8, 10]
    text = dict(result.errors)
    assert "not valid JSON" in text[2] and "soon" in text[3] and "not a JSON object" in text[4]
    assert "whole number" in text[5] and "never a float" in text[7] and "`path`" in text[8] and "UTF-8" in text[10]
    assert all("\n" not in m for m in text.values())


def test_identical_lines_are_separate_calls_but_reimport_adds_nothing(tmp_path):
    path = tmp_path / "same.jsonl"
    path.write_text((json.dumps(SANDBOX) + "\n") * 3)
    store = ActivityStore(":memory:")
    assert import_file(store, path).imported == 3
    assert import_file(store, path).duplicates == 3 and store.count() == 3


def test_importing_twice_adds_nothing(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps({**SANDBOX, "time": SANDBOX["time"] + i}) for i in range(100)))
    store = ActivityStore(":memory:")
    assert import_file(store, path).imported == 100
    again = import_file(store, path)
    assert again.imported == 0 and again.duplicates == 100 and store.count() == 100


def test_cli_import_reports_lines_and_exit_status(tmp_path):
    path = tmp_path / "records.jsonl"
    good = [json.dumps({**SANDBOX, "time": SANDBOX["time"] + i, "status": 200, "error_code": None}) for i in range(3)]
    path.write_text("\n".join([*good, "garbage"]) + "\n")
    db = tmp_path / "a.db"
    res = CliRunner().invoke(cli, ["monitor", "import", str(path), "--db", str(db)])
    assert res.exit_code == 1
    assert "3 call(s) imported" in res.output and f"{path}:4: not valid JSON" in res.output
    missing = CliRunner().invoke(cli, ["monitor", "import", str(tmp_path / "nope.jsonl"), "--db", str(db)])
    assert missing.exit_code != 0 and "cannot read" in str(missing.exception or missing.output)
