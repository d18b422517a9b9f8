"""End to end: bots run through keysafe's client against the sandbox on loopback; an attack comes
from a second loopback IP with the same key; the monitor's alerts are asserted, live and from the
server's own record."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from click.testing import CliRunner

from helpers import free_port
from keysafe import Client, Credential
from keysafe.cli import cli
from keysafe.credentials import key_fingerprint
from keysafe.errors import BinanceAPIError
from keysafe.monitor import ActivityStore, Monitor, MonitorConfig, attach
from keysafe.monitor.alerts import Dispatcher, JsonlSink, WebhookSink
from keysafe.sandbox import run_sandbox


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """Nothing a test does may touch the user's real keysafe data directory."""
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path / "keysafe-home"))


@pytest.fixture(scope="module")
def sb():
    with run_sandbox(host="127.0.0.1", port=0) as sandbox:
        sandbox.set_balance("default", "USDT", "1000000")
        yield sandbox


def _client(sb, key, ip: str, bot: str) -> Client:
    cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox", label=key.label)
    return Client(cred, base_url=sb.url, governor=f"memory://{uuid.uuid4().hex}", bot=bot, local_address=ip)


def _lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _normal_session(client: Client, n: int = 8) -> None:
    for _ in range(n):
        client.ticker_price("BTCUSDT")
        client.account()
        client.open_orders("BTCUSDT")


def test_attack_from_a_second_ip_raises_alerts_live(sb, tmp_path):
    key = sb.create_key(label=f"grid-{uuid.uuid4().hex[:6]}", key_type="hmac", ip_whitelist=("127.0.0.1",),
                        enableSpotAndMarginTrading=True)
    store = ActivityStore(tmp_path / "activity.sqlite3")
    alerts_file = tmp_path / "alerts.jsonl"
    # a webhook nobody listens to: the alert must still reach the file, and the bots must not notice
    sinks = Dispatcher([WebhookSink(f"http://127.0.0.1:{free_port()}/hook", retries=1, timeout=0.5),
                        JsonlSink(alerts_file)])
    monitor = Monitor(store, MonitorConfig(), sinks=sinks)

    bot = _client(sb, key, "127.0.0.1", "grid-bot")
    bot_writer = attach(bot, store, monitor=monitor, flush_interval=0.05)
    _normal_session(bot)
    bot_writer.wait_idle()
    assert monitor.check() == [] and not alerts_file.exists()  # normal traffic: quiet

    # the same key, stolen, used by another process from 127.0.0.2 (recorded into the same store)
    thief = _client(sb, key, "127.0.0.2", "unknown")
    thief_writer = attach(thief, store, monitor=monitor, flush_interval=0.05)
    rejected = 0
    for call in (thief.account, thief.account, lambda: thief.open_orders("BTCUSDT"), thief.api_restrictions):
        with pytest.raises(BinanceAPIError) as info:
            call()
        assert info.value.code == -2015
        rejected += 1
    # live: the writer's own thread reviews what it stored; no close, no explicit check needed
    deadline = time.monotonic() + 20  # generous under load; typically well under a second
    while time.monotonic() < deadline and len(_lines(alerts_file)) < 2:
        time.sleep(0.05)
    assert len(_lines(alerts_file)) == 2
    bot.account()  # the bot keeps working while alerts are raised and the webhook fails
    bot_writer.close()
    thief_writer.close()

    alerts = [json.loads(line) for line in alerts_file.read_text().splitlines()]
    by_kind = {a["detector"]: a for a in alerts}
    assert set(by_kind) == {"new_source", "failure_rate"}
    assert "127.0.0.2" in by_kind["new_source"]["summary"]
    probe = by_kind["failure_rate"]
    assert probe["summary"].startswith("probing") and f"-2015 ({rejected})" in probe["summary"]
    assert probe["severity"] == "critical" and any("Revoke" in a for a in probe["actions"])
    assert all(row["client_ip"] == "127.0.0.2" for row in probe["evidence"])
    assert sinks.failures == {"webhook": 2}
    assert bot_writer.stats.unstored == 0 and thief_writer.stats.unstored == 0
    rows = store.rows("client_ip = ? AND error_code IS NOT NULL", ("127.0.0.2",))
    assert len(rows) == rejected and {(r["status"], r["error_code"]) for r in rows} == {(401, -2015)}


def test_server_side_record_import_finds_the_attack(sb, tmp_path):
    key = sb.create_key(label=f"dca-{uuid.uuid4().hex[:6]}", key_type="hmac", ip_whitelist=("127.0.0.1",),
                        enableSpotAndMarginTrading=True)
    since_ms = int(time.time() * 1000) - 1
    bot = _client(sb, key, "127.0.0.1", "dca-bot")
    _normal_session(bot, 9)
    thief = _client(sb, key, "127.0.0.3", "unknown")
    for _ in range(5):
        with pytest.raises(BinanceAPIError):
            thief.account()
    path = tmp_path / "records.jsonl"
    records = sb.records(since=since_ms)  # everything the server saw during this test
    path.write_text("\n".join(json.dumps(r.to_json()) for r in records) + "\n")
    db = tmp_path / "a.db"
    res = CliRunner().invoke(cli, ["monitor", "import", str(path), "--db", str(db)])
    assert res.exit_code == 0, res.output
    # the sandbox ties these rejections to the key, as Binance's Recent Activity does
    (alert,) = ActivityStore(db).alerts()
    assert alert["detector"] == "failure_rate" and alert["key"] == key_fingerprint(key.api_key)
    assert alert["summary"].startswith("probing: 5 calls rejected with -2015 (5)")
    assert "127.0.0.3 (5)" in alert["summary"] and "new alert" in res.output
