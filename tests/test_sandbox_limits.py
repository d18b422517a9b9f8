"""Rate limits with --scale: 429 with Retry-After, then a 418 ban, both lifting on time; -1015 order counts."""

from __future__ import annotations

import time

import pytest
from sandbox_support import Caller, assert_error, now_ms

from keysafe.sandbox import run_sandbox
from keysafe.spec import rate_limits_from_exchange_info

SCALE = 60  # 6000 weight per minute -> 100 per second; bans of 2 minutes -> 2 seconds


@pytest.fixture(scope="module")
def sb():
    with run_sandbox(scale=SCALE, ban_after_429s=3) as handle:
        yield handle


def wait_for_window_start(window_ms: int, margin_ms: int = 30) -> None:
    """Sleep to just after the next aligned window boundary, so a burst fits in one window."""
    now = now_ms()
    time.sleep(((now // window_ms + 1) * window_ms - now + margin_ms) / 1000)


def test_exchange_info_reports_scaled_limits(sb):
    info = Caller(sb.url).public("/api/v3/exchangeInfo").json()
    limits = {(lim.type.value, lim.interval): lim for lim in rate_limits_from_exchange_info(info)}
    weight = limits[("REQUEST_WEIGHT", "MINUTE")]
    assert (weight.limit, weight.window_ms) == (100, 1000)
    assert limits[("ORDERS", "SECOND")].window_ms == 167 and limits[("ORDERS", "SECOND")].limit == 1


def test_burst_gets_429_then_418_and_both_lift(sb):
    c = Caller.hmac(sb.url, sb.create_key(label="burst"), local_address="127.0.0.2")
    other = Caller(sb.url, local_address="127.0.0.3")
    wait_for_window_start(1000)
    codes = []
    for _ in range(5):  # 5 x weight 20 = 100: the whole budget
        r = c.signed("GET", "/api/v3/account")
        codes.append(r.status_code)
    assert codes == [200] * 5
    assert r.headers["X-MBX-USED-WEIGHT-1M"] == "100"
    r = c.signed("GET", "/api/v3/account")
    assert_error(r, -1003, "Too much request weight used; current limit is 100 request weight per 1 SECOND. "
                           "Please use WebSocket Streams for live updates to avoid polling the API.", 429)
    assert 1 <= int(r.headers["Retry-After"]) <= 1
    # another IP is not affected: weight is per IP
    assert other.public("/api/v3/ping").status_code == 200
    # continuing after 429s gets the IP banned
    statuses = [c.signed("GET", "/api/v3/account").status_code for _ in range(3)]
    assert statuses[:2] == [429, 429] and statuses[2] == 418
    banned = c.public("/api/v3/ping")
    assert banned.status_code == 418 and banned.json()["code"] == -1003
    assert banned.json()["msg"].startswith("Way too much request weight used; IP banned until ")
    retry = int(banned.headers["Retry-After"])
    assert 1 <= retry <= 2  # 2 minutes / 60
    until = int(banned.json()["msg"].split("until ")[1].split(".")[0])
    time.sleep(max(0, until - now_ms()) / 1000 + 0.05)
    assert c.public("/api/v3/ping").status_code == 200


def test_ban_escalates_for_repeat_offenders(sb):
    lim = sb.exchange.limiter
    assert [lim.ban_duration_ms(level) for level in range(3)] == [2000, 4000, 8000]
    assert lim.ban_duration_ms(30) == 3 * 24 * 3600 * 1000 // SCALE


def test_windows_are_aligned_to_the_server_clock(sb):
    c = Caller(sb.url, local_address="127.0.0.4")
    wait_for_window_start(1000, margin_ms=50)
    c.public("/api/v3/ping")
    used = int(c.public("/api/v3/ping").headers["X-MBX-USED-WEIGHT-1M"])
    assert used == 2
    wait_for_window_start(1000, margin_ms=50)
    assert c.public("/api/v3/ping").headers["X-MBX-USED-WEIGHT-1M"] == "1"


def test_unfilled_order_count_1015():
    with run_sandbox(scale=5) as sb:  # ORDERS 50 per 10 s -> 10 per 2 s
        c = Caller.hmac(sb.url, sb.create_key(label="orders", enableSpotAndMarginTrading=True))
        wait_for_window_start(2000)
        params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
                  "price": "30000"}
        counts = []
        for i in range(10):
            r = c.signed("POST", "/api/v3/order", params)
            assert r.status_code == 200, r.text
            counts.append(int(r.headers["X-MBX-ORDER-COUNT-10S"]))
        assert counts == list(range(1, 11))
        r = c.signed("POST", "/api/v3/order", params)
        assert_error(r, -1015, "Too many new orders; current limit is 10 orders per 2 SECOND.", 429)
        assert int(r.headers["Retry-After"]) >= 1
        counts = c.signed("GET", "/api/v3/rateLimit/order").json()
        assert counts[0]["count"] == 10 and counts[0]["limit"] == 10
        wait_for_window_start(2000)
        assert c.signed("POST", "/api/v3/order", params).status_code == 200


def test_sapi_answers_429_without_ban():
    with run_sandbox(scale=1200) as sb:  # SAPI 12000 per minute -> 10 per 50 ms
        c = Caller(sb.url, local_address="127.0.0.5")
        statuses = [c.public("/sapi/v1/system/status").status_code for _ in range(40)]
        assert 429 in statuses and 418 not in statuses
        r = next(c.public("/sapi/v1/system/status") for _ in range(1))
        assert "X-SAPI-USED-IP-WEIGHT-1M" in r.headers
