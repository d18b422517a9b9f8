"""Demo chapter: a local Binance-compatible sandbox and three mistakes bots make, with Binance's answers."""

from __future__ import annotations

import time

import httpx

from keysafe.demo import Chapter, Tour
from keysafe.errors import error_from_response
from keysafe.sandbox import run_sandbox
from keysafe.signing import HmacSigner, build_payload, sign_payload


def _now() -> int:
    return int(time.time() * 1000)


def _answer(t: Tour, label: str, resp: httpx.Response) -> None:
    t.show(label, f"HTTP {resp.status_code} {resp.text}")
    if resp.status_code >= 400:
        err = error_from_response(resp.status_code, resp.content, resp.headers, endpoint="GET /api/v3/account")
        t.say(f"[dim]keysafe's reading:[/] {err.remedy}")


def run(t: Tour) -> None:
    t.step("Start a sandbox on a free loopback port: a Binance Spot REST server that validates like Binance.")
    with run_sandbox() as sb:
        t.show("listening on", sb.url)
        key = sb.create_key(label="demo-bot", ip_whitelist=["127.0.0.1"], enableSpotAndMarginTrading=True)
        signer = HmacSigner(key.secret_key)
        t.ok("created an HMAC key 'demo-bot' that trades and is whitelisted for 127.0.0.1 only "
             "(its secret was shown once and stays in this process)")
        home = httpx.Client(base_url=sb.url, headers={"X-MBX-APIKEY": key.api_key}, timeout=5)

        def account(client: httpx.Client, params: dict, signer_: HmacSigner = signer) -> httpx.Response:
            return client.get("/api/v3/account?" + sign_payload(build_payload(params), signer_).query)

        ok = account(home, {"timestamp": _now()})
        t.show("a correct call", f"HTTP {ok.status_code}, {len(ok.json()['balances'])} balances, "
                                 f"X-MBX-USED-WEIGHT-1M={ok.headers['X-MBX-USED-WEIGHT-1M']}")

        t.step("Mistake 1: signing the text before percent-encoding (here a '/' in newClientOrderId).")
        params = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001",
                  "newClientOrderId": "grid/1", "timestamp": _now()}
        sent = build_payload(params).query
        naive = "&".join(f"{k}={v}" for k, v in params.items()).encode()
        _answer(t, "POST /api/v3/order", home.post(f"/api/v3/order?{sent}&signature={signer.sign(naive)}"))

        t.step("Mistake 2: a stale timestamp (the bot's clock is 7 seconds behind; recvWindow is 5000 ms).")
        _answer(t, "GET /api/v3/account", account(home, {"timestamp": _now() - 7000}))

        t.step("Mistake 3: calling from an IP that is not on the key's whitelist (127.0.0.2).")
        away = httpx.Client(base_url=sb.url, headers={"X-MBX-APIKEY": key.api_key}, timeout=5,
                            transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        _answer(t, "GET /api/v3/account from 127.0.0.2", account(away, {"timestamp": _now()}))

        t.step("The sandbox recorded what it saw, as a monitor would read it.")
        for rec in sb.records()[-4:]:
            t.say(f"{rec.client_ip:<10} key {rec.key_label or '-':<5} {rec.method:<4} {rec.path:<16} "
                  f"weight {rec.weight:<2} -> {rec.status} {rec.error_code or ''}")
        home.close()
        away.close()
    t.ok("sandbox stopped; point python-binance or ccxt at `keysafe sandbox serve` to test a real bot")


CHAPTER = Chapter("sandbox", "A local exchange that answers exactly like Binance", run)
