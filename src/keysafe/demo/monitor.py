"""Demo chapter: a bot's calls recorded, a stolen key probed from another IP, the alerts, the report."""

from __future__ import annotations

import json
import uuid

from keysafe import Client, Credential
from keysafe.demo import Chapter, Tour
from keysafe.errors import BinanceAPIError
from keysafe.monitor import ActivityStore, Monitor, MonitorConfig, attach
from keysafe.monitor.alerts import ConsoleSink, JsonlSink
from keysafe.monitor.report import render_html
from keysafe.sandbox import run_sandbox


def run(t: Tour) -> None:
    with run_sandbox(host="127.0.0.1", port=0) as sb:
        key = sb.create_key(label="grid-bot", key_type="hmac", ip_whitelist=("127.0.0.1",),
                            enableSpotAndMarginTrading=True)
        cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox", label="grid-bot")
        store = ActivityStore(t.workdir / "activity.sqlite3")
        alerts_file = t.workdir / "alerts.jsonl"
        monitor = Monitor(store, MonitorConfig(), sinks=[ConsoleSink(t.console), JsonlSink(alerts_file)])

        t.step("A bot trades through keysafe's client; every call lands in the activity store.")
        t.say("writer = keysafe.monitor.attach(client)   # a background writer: the bot never waits for it")
        bot = Client(cred, base_url=sb.url, governor=f"memory://{uuid.uuid4().hex}", bot="grid-bot",
                     local_address="127.0.0.1")
        writer = attach(bot, store, monitor=monitor, flush_interval=0.05)
        for _ in range(8):
            bot.ticker_price("BTCUSDT")
            bot.account()
            bot.open_orders("BTCUSDT")
        writer.wait_idle()
        t.ok(f"{store.count()} calls recorded from 127.0.0.1 (key, IP, path, weight, status, latency); no alert")

        t.step("The key leaks. Someone tries it from 127.0.0.2, which is not on its IP whitelist.")
        thief = Client(cred, base_url=sb.url, governor=f"memory://{uuid.uuid4().hex}", bot="?",
                       local_address="127.0.0.2")
        thief_writer = attach(thief, store, monitor=monitor, flush_interval=0.05)
        calls = (thief.account, thief.api_restrictions, lambda: thief.open_orders("BTCUSDT"), thief.account)
        for call in calls:
            try:
                call()
            except BinanceAPIError as exc:
                t.show("the thief gets", f"{exc.code} (HTTP {exc.http_status})")
        t.say("The monitor reviews each batch the writer stores, so the alerts come within a fraction of a second:")
        thief_writer.wait_idle()
        bot.account()
        writer.close()
        thief_writer.close()
        raised = [json.loads(line) for line in alerts_file.read_text().splitlines()] if alerts_file.exists() else []
        t.ok(f"{len(raised)} alerts raised and kept ({', '.join(a['detector'] for a in raised)}); the bot kept "
             f"trading, {writer.stats.unstored} event(s) unstored")
        probes = [a for a in raised if a["detector"] == "failure_rate"]
        if probes:
            row = probes[0]["evidence"][0]
            t.show("evidence row", f"{row['method']} {row['path']} from {row['client_ip']} -> "
                                   f"{row['status']} {row['error_code']}")

        t.step("The weekly review: per key, charts of calls, weight against the limit, errors and sources.")
        report = t.keep("weekly-review.html")
        lo, hi = store.time_range()
        report.write_text(render_html(store, (lo or 0) - 1, (hi or 0) + 1), encoding="utf-8")
        html = report.read_text(encoding="utf-8")
        t.ok(f"{report}: {len(html) // 1024} KiB, charts per key (calls, weight against the "
             "limit, error rate, sources), self-contained: open it in any browser, offline")
        t.say("For your own bots: `keysafe report --since 7d --html weekly.html`, "
              "`keysafe monitor alerts`, `keysafe monitor watch`.")
        bot.close()
        thief.close()
        store.close()


CHAPTER = Chapter("monitor", "Activity monitor: a leaked key probed from another IP, caught", run)
