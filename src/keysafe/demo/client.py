"""Demo chapter: a small bot under the governor, a clock skew injected and recovered."""

from __future__ import annotations

import threading
import time

from keysafe import Client, Credential, EnvironmentMismatchError, ScopeError
from keysafe.demo import Chapter, Tour
from keysafe.sandbox import run_sandbox

SCALE = 120  # 6000 weight per minute becomes 50 per half second: a minute's story in moments
WINDOW_MS = 500


def _bar(used: int, limit: int, width: int = 40) -> str:
    filled = min(width, round(width * used / max(1, limit)))
    return "█" * filled + "·" * (width - filled)


def run(t: Tour) -> None:
    with run_sandbox(scale=SCALE) as sb:
        key = sb.create_key(label="grid-bot", enableSpotAndMarginTrading=True)
        sb.set_balance("default", "USDT", "10000")
        cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox", label="grid-bot")
        governor = f"sqlite:///{t.workdir / 'governor.sqlite3'}"

        t.step("Three bot threads poll the price as fast as they can, under one shared governor.")
        t.say(f"The sandbox runs at scale {SCALE}: a half-second window of 50 weight stands for Binance's "
              "6000/minute.")
        with Client(cred, base_url=sb.url, governor=governor, bot="demo") as c:
            c.ping()
            limit = c.usage.weight_limit or 50
            stop = threading.Event()

            def bot() -> None:
                while not stop.is_set():
                    c.ticker_price("BTCUSDT")  # weight 2

            def server_used(window: int) -> int:  # the sandbox's own count, not the client's
                return sum(r.weight for r in sb.records() if r.time // WINDOW_MS == window)

            threads = [threading.Thread(target=bot, daemon=True) for _ in range(3)]
            for th in threads:
                th.start()
            # follow two windows as they fill, sampling the server's count every fifth of a window
            time.sleep((WINDOW_MS - sb.exchange.server_ms() % WINDOW_MS) / 1000)
            for _ in range(2):
                window = sb.exchange.server_ms() // WINDOW_MS
                for fifth in range(1, 5):
                    time.sleep(max(0.0, (window * WINDOW_MS + fifth * WINDOW_MS // 5 - sb.exchange.server_ms())
                                   / 1000))
                    used = server_used(window)
                    t.show(f"window {window % 1000:03d} at {fifth * 20}%", f"{_bar(used, limit)} {used:3d}/{limit}")
                time.sleep(max(0.0, ((window + 1) * WINDOW_MS + 5 - sb.exchange.server_ms()) / 1000))
                used = server_used(window)
                t.show(f"window {window % 1000:03d} closed", f"{_bar(used, limit)} {used:3d}/{limit}")
            stop.set()
            for th in threads:
                th.join()
            rejected = sum(1 for r in sb.records() if r.status in (429, 418))
            t.ok(f"the weight climbs and levels off below the limit: {rejected} answers of 429/418 from the sandbox.")
            t.show("client.usage", str(c.usage))

            t.step("The exchange's clock falls 3 seconds behind under the running bot: our timestamps now look early.")
            seen: list[str] = []
            c.events.subscribe(lambda e: seen.append(f"{e.method} {e.path} -> {e.status}"
                                                     f"{' ' + str(e.error_code) if e.error_code else ''}"))
            before = c.clock.offset_ms
            sb.configure(clock_offset_ms=-3000)
            balances = c.account().data["balances"]
            t.show("events", " | ".join(s for s in seen if "/time" not in s))
            t.ok(f"-1021 answered by a resync and one safe retry: offset {before:+.0f} ms -> "
                 f"{c.clock.offset_ms:+.0f} ms; the caller just got its {len(balances)} balances.")
            sb.configure(clock_offset_ms=0)

            t.step("An order keysafe can never place twice: it chose the client order id itself.")
            order = c.place_order("BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="10000", timeInForce="GTC")
            t.show("newClientOrderId", order.data["clientOrderId"])
            t.say("After a timeout or a 5xx, place_order queries this id instead of sending again.")

            t.step("What the client refuses to do.")
            try:
                c.request("POST", "/sapi/v1/capital/withdraw/apply", coin="BTC", address="x", amount="1")
            except ScopeError as exc:
                t.show("withdrawal", str(exc))
        try:
            Client(cred, base_url="https://api.binance.com", governor="memory://")
        except EnvironmentMismatchError as exc:
            t.show("wrong environment", str(exc))


CHAPTER = Chapter("client", "A bot under the governor: shared budget, clock resync, safe orders", run)
