"""The client against a real sandbox server on loopback: safety, clock, orders, events, usage."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest

from helpers import random_key
from keysafe import AsyncClient, Client, Credential, EventBus, generate_key_pair
from keysafe.client import BudgetExhaustedError, OrderNotPlacedError
from keysafe.errors import (
    ConfigurationError,
    EnvironmentMismatchError,
    KeyFormatError,
    RequestError,
    ScopeError,
)
from keysafe.sandbox import run_sandbox


@pytest.fixture(scope="module")
def sb():
    with run_sandbox(scale=60) as sandbox:
        sandbox.set_balance("default", "USDT", "100000000")
        yield sandbox


@pytest.fixture
def key(sb):
    return sb.create_key(label=f"bot-{uuid.uuid4().hex[:6]}", enableSpotAndMarginTrading=True)


@pytest.fixture
def client(sb, key):
    cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox", label=key.label)
    with Client(cred, base_url=sb.url, governor=f"memory://{uuid.uuid4().hex}") as c:
        yield c


def mine(sb, key):
    return [r for r in sb.records() if r.key_label == key.label]


# ---------------------------------------------------------------- safety


def test_a_key_is_never_sent_to_another_environment():
    cred = Credential.from_secret(random_key(), random_key(), environment="testnet", label="grid")
    with pytest.raises(EnvironmentMismatchError) as info:
        Client(cred, base_url="https://api.binance.com", governor="memory://")
    text = str(info.value)
    assert "testnet key 'grid'" in text and "production server api.binance.com" in text
    assert cred.api_key not in text
    with pytest.raises(EnvironmentMismatchError, match="sandbox"):
        Client(cred, base_url="http://127.0.0.1:9", governor="memory://")
    # the default base URL is the credential's own environment
    assert Client(cred, governor="memory://").base_url == "https://testnet.binance.vision"


def test_plain_http_is_refused_except_to_loopback():
    with pytest.raises(EnvironmentMismatchError, match="plain http"):
        Client(base_url="http://api.binance.com", governor="memory://")
    assert Client(base_url="http://127.0.0.1:9", governor="memory://").environment.value == "sandbox"


def test_withdrawals_are_refused_unless_explicitly_allowed(client, sb, key):
    events = []
    client.events.subscribe(events.append)
    with pytest.raises(ScopeError, match="allow_withdrawals=True"):
        client.request("POST", "/sapi/v1/capital/withdraw/apply", coin="BTC", address="x", amount="1")
    assert events[-1].outcome == "refused" and events[-1].path == "/sapi/v1/capital/withdraw/apply"
    assert not [r for r in mine(sb, key) if "withdraw" in r.path]  # nothing was sent


def test_unknown_endpoints_and_bad_settings_get_clear_errors(client):
    with pytest.raises(ScopeError, match="not in keysafe's endpoint catalogue"):
        client.request("GET", "/api/v3/nothing")
    with pytest.raises(ConfigurationError, match="recv_window=70000"):
        Client(base_url="http://127.0.0.1:9", governor="memory://", recv_window=70000)
    with pytest.raises(ConfigurationError, match="exactly one of secret"):
        Client.from_keys(random_key(), environment="sandbox")
    with pytest.raises(ConfigurationError, match="'timestamp' was passed"):
        client.account(timestamp=1)


def test_from_env_and_from_keys(sb, key, monkeypatch):
    env = {"BINANCE_API_KEY": key.api_key, "BINANCE_API_SECRET": key.secret_key, "BINANCE_ENVIRONMENT": "sandbox"}
    with Client.from_env(sb.url, environ=env, governor="memory://") as c:
        assert "balances" in c.account().data
    with pytest.raises(KeyFormatError, match="BINANCE_API_KEY is not set"):
        Client.from_env(sb.url, environ={})
    pair = generate_key_pair("ed25519")
    ed = sb.create_key(label="ed", key_type="ed25519", public_key_pem=pair.public_pem)
    with Client.from_keys(ed.api_key, private_key_pem=pair.private_pem, environment="sandbox",
                          base_url=sb.url, governor="memory://") as c:
        assert c.api_restrictions()["enableReading"] is True


# ---------------------------------------------------------------- responses, usage, events


def test_responses_and_the_client_show_usage(client):
    r = client.depth("BTCUSDT", limit=100)
    assert r.status == 200 and r.data["bids"]
    assert r.usage.weight_limit == 100 and r.usage.used_weight >= 5  # the sandbox's scaled limit
    assert r.usage.remaining_weight == 100 - r.usage.used_weight
    u = client.usage
    assert u.used_weight >= 5 and u.remaining_weight <= 95
    assert isinstance(client.server_time(), int)
    assert client.system_status().data["status"] in (0, 1)


def test_every_request_emits_one_event_without_secrets(sb, key):
    bus = EventBus()
    seen = []
    bus.subscribe(seen.append)
    bus.subscribe(lambda e: 1 / 0)  # a broken subscriber never breaks a request
    cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox", label=key.label)
    before = len(sb.records())
    with Client(cred, base_url=sb.url, governor="memory://", events=bus, bot="grid") as c:
        c.place_order("BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="10000", timeInForce="GTC")
        with pytest.raises(RequestError):
            c.depth("NOSUCH")
    sent = [e for e in seen if e.outcome != "refused"]
    assert len(sent) == len(sb.records()) - before  # one event per request the server saw
    order = next(e for e in seen if e.path == "/api/v3/order")
    assert order.side == "BUY" and order.price == "10000" and order.notional == "10.000" and order.bot == "grid"
    assert order.key_fingerprint == cred.fingerprint and order.environment == "sandbox"
    bad = next(e for e in seen if e.path == "/api/v3/depth")
    assert bad.status == 400 and bad.error_code == -1121 and bad.outcome == "error"
    assert bus.failures >= 1
    assert not any(key.secret_key in repr(e) or key.api_key in repr(e) for e in seen)


# ---------------------------------------------------------------- clock


def test_server_clock_seconds_away_costs_no_timestamp_error(sb, client, key):
    sb.configure(clock_offset_ms=4000)
    try:
        client.account()
        assert abs(client.clock.offset_ms - 4000) < 100
        sb.configure(clock_offset_ms=-3000)  # the server clock jumps under a running client
        for _ in range(5):
            client.account()  # one -1021 at most, answered by a resync and one retry
    finally:
        sb.configure(clock_offset_ms=0)
    codes = Counter(r.error_code for r in mine(sb, key))
    assert codes[-1021] <= 1
    assert abs(client.clock.offset_ms + 3000) < 100


def test_periodic_refresh_uses_the_injected_clock(sb, key):
    from keysafe.clock import ServerClock

    t = [1000.0]
    clock = ServerClock(monotonic=lambda: t[0], refresh_seconds=60)
    cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox")
    with Client(cred, base_url=sb.url, governor="memory://", clock=clock) as c:
        c.account()
        c.account()
        assert clock.syncs == 1
        t[0] += 61  # a minute passes, no sleeping
        c.account()
        assert clock.syncs == 2


# ---------------------------------------------------------------- orders


def test_unknown_execution_status_never_produces_a_second_order(sb, key):
    cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox", label=key.label)
    placed, not_placed = [], []
    before = len(sb.records())
    with Client(cred, base_url=sb.url, governor="memory://", recv_window=300) as c:
        c.account()  # warm up (limits, clock) before errors are injected
        start_ms = sb.exchange.server_ms()
        sb.configure(error_rate=0.5)
        try:
            for _ in range(12):
                try:
                    r = c.place_order("BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="10000", timeInForce="GTC")
                    placed.append(r.data["clientOrderId"])
                except OrderNotPlacedError as exc:
                    not_placed.append(exc.client_order_id)
        finally:
            sb.configure(error_rate=0)
        book = c.request("GET", "/api/v3/allOrders", symbol="BTCUSDT").data
    ids = Counter(o["clientOrderId"] for o in book if o["time"] >= start_ms)  # this test's orders
    # (an injected 5xx may come before the key is read, so the record has no key label)
    posts = [r for r in sb.records()[before:] if r.method == "POST" and r.path == "/api/v3/order"]
    assert len(posts) == 12  # never re-sent
    assert all(n == 1 for n in ids.values())  # never twice
    assert set(ids) == set(placed) and not set(not_placed) & set(ids)  # the reported outcome is the true one
    assert len(placed) + len(not_placed) == 12


def test_place_order_sets_a_valid_client_order_id_and_checks_a_given_one(client):
    r = client.place_order("BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="10000", timeInForce="GTC")
    cid = r.data["clientOrderId"]
    assert cid.startswith("ks") and len(cid) <= 36
    assert client.get_order("BTCUSDT", client_order_id=cid).data["status"] == "NEW"
    assert client.cancel_order("BTCUSDT", client_order_id=cid).data["status"] == "CANCELED"
    with pytest.raises(ConfigurationError, match="newClientOrderId"):
        client.place_order("BTCUSDT", "BUY", "MARKET", quantity="0.001", newClientOrderId="has space")


# ---------------------------------------------------------------- budget


def test_on_limit_raise_gives_a_typed_error_instead_of_waiting(sb, key):
    cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox")
    # its own source IP: no other test's traffic shares this budget at the server
    with Client(cred, base_url=sb.url, governor="memory://", on_limit="raise", local_address="127.0.0.5") as c:
        with pytest.raises(BudgetExhaustedError) as info:
            for _ in range(100):
                c.depth("BTCUSDT", limit=1000)  # weight 50 of a 100 budget
        assert 0 < info.value.retry_after <= 1.1
    assert not [r for r in mine(sb, key) if r.status == 429]


def test_local_address_binds_the_source_ip(sb, key):
    cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox", label=key.label)
    with Client(cred, base_url=sb.url, governor="memory://", local_address="127.0.0.2") as c:
        c.account()
    assert {r.client_ip for r in mine(sb, key)} == {"127.0.0.2"}


def test_async_client_shares_the_pipeline(sb, key):
    cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox", label=key.label)

    async def main():
        # its own source IP: no other test's traffic (other governors) shares this budget at the server
        async with AsyncClient(cred, base_url=sb.url, governor="memory://", local_address="127.0.0.6") as c:
            results = await asyncio.gather(*(c.depth("BTCUSDT") for _ in range(30)))
            order = await c.place_order("BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="10000",
                                        timeInForce="GTC")
            return results, order, await c.server_time()

    results, order, t = asyncio.run(main())
    assert all(r.status == 200 for r in results) and order.data["status"] == "NEW" and t > 0
    assert not [r for r in mine(sb, key) if r.status == 429]  # 150 weight > 100: the governor spread it


def test_a_request_held_up_past_its_windows_is_reserved_again():
    """A process paused between reserving and sending (CPU load) must not send on a stale charge."""
    from keysafe.client.pipeline import Pipeline
    from keysafe.clock import Sample, ServerClock
    from keysafe.governor import Governor
    from keysafe.spec import RateLimit, RateLimitType

    now = [1_700_000_000.100]  # seconds; 100 ms into a 1 s window
    clock = ServerClock(time_source=lambda: now[0])
    clock.update([Sample(now[0] * 1000, now[0] * 1000 + 1, now[0] * 1000 + 2)])
    gov = Governor("memory://held-up", [RateLimit(RateLimitType.REQUEST_WEIGHT, "MINUTE", 1, 100, window_ms=1000)])
    pipe = Pipeline(credential=None, base_url="http://127.0.0.1:9", governor=gov, clock=clock)
    prep = pipe.prepare("GET", "/api/v3/depth", {"symbol": "BTCUSDT", "limit": 100})
    reservation = pipe.reserve(prep)
    assert not pipe.stale(reservation, pipe.build(prep))  # sent at once: fine
    assert pipe.usage().used_weight == 5
    now[0] += 1.0  # paused for a second: the request would land in the next window
    assert pipe.stale(reservation, pipe.build(prep))
    assert gov.usage(now_ms=1_700_000_000_100).used_weight == 0  # given back; the caller reserves again
