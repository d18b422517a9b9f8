"""Bots run as real processes (multiprocessing, spawn) by the client load tests and the benchmark.

Keys are handed over as arguments at run time (a Credential cannot be pickled, by design).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class BotResult:
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    orders: int = 0
    notices: list[str] = field(default_factory=list)
    fallbacks: int = 0
    recoveries: int = 0


def run_bot(url: str, api_key: str, secret: str, governor: str, seconds: float, *, local_address: str | None = None,
            skew_s: float = 0.0, mix: str = "market", start_at: float = 0.0, queue=None, symbol: str = "BTCUSDT"):
    """Call the sandbox as fast as the governor allows for ``seconds``; put a BotResult on ``queue``."""
    from keysafe import Credential
    from keysafe.client import Client
    from keysafe.clock import ServerClock
    from keysafe.errors import KeysafeError

    result = BotResult()
    clock = ServerClock(time_source=lambda: time.time() + skew_s)
    cred = Credential.from_secret(api_key, secret, environment="sandbox", label="bot")
    client = Client(cred, base_url=url, governor=governor, local_address=local_address, clock=clock)
    client.events.subscribe(lambda e: result.statuses.__setitem__(e.status, result.statuses.get(e.status, 0) + 1))
    if start_at:
        time.sleep(max(0.0, start_at - time.time()))
    stop = time.time() + seconds
    i = 0
    while time.time() < stop:
        i += 1
        try:
            if mix == "market":
                if i % 10 == 0:
                    client.account()
                elif i % 3 == 0:
                    client.ticker_price(symbol)
                else:
                    client.depth(symbol, limit=100)
            elif mix == "light":  # well under the limit on its own
                client.ticker_price(symbol)
                time.sleep(0.05)
            elif mix == "orders":
                # a marketable order fills at once: the count drops, the budget frees up
                client.place_order(symbol, "BUY", "MARKET", quantity="0.0001")
                result.orders += 1
            result.requests += 1
        except KeysafeError as exc:
            name = type(exc).__name__
            result.errors[name] = result.errors.get(name, 0) + 1
    result.notices = list(client.governor.notices)
    result.fallbacks = getattr(client.governor.storage, "fallbacks", 0)
    result.recoveries = getattr(client.governor.storage, "recoveries", 0)
    client.close()
    if queue is not None:
        queue.put(result)
    return result
