"""Request records name the key whatever the outcome; X-MBX-TIME-UNIT switches time fields to µs."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from helpers import random_key
from sandbox_support import Caller, assert_error, now_ms

from keysafe.credentials import Credential, key_fingerprint
from keysafe.monitor.importer import parse_record
from keysafe.sandbox import RequestRecord, run_sandbox
from keysafe.signing import HmacSigner

WINDOW_MS = 60_000  # scale 1: 6000 request weight per aligned minute
NOT_WHITELISTED = "Invalid API-key, IP, or permissions for action."


@pytest.fixture(scope="module")
def sb():
    with run_sandbox(ban_after_429s=1) as handle:
        yield handle


@pytest.fixture
def pinned(sb):
    """The server clock set to just after a weight-window start, so a burst cannot straddle two windows."""
    now = now_ms()
    offset = -(now % WINDOW_MS) + 300
    sb.configure(clock_offset_ms=offset)
    try:
        yield offset
    finally:
        sb.configure(clock_offset_ms=0)
        sb.exchange.limiter.reset()


def last(sb, path: str, ip: str | None = None, since: int = 0) -> RequestRecord:
    recs = [r for r in sb.records(since=since) if r.path == path and (ip is None or r.client_ip == ip)]
    assert recs, f"no record for {path}"
    return recs[-1]


def outcome(rec: RequestRecord) -> tuple:
    return rec.status, rec.error_code, rec.api_key_fingerprint, rec.key_label


def client_fingerprint(created) -> str:
    """What keysafe's client puts in ActivityEvent.key_fingerprint for this key."""
    return Credential.from_secret(created.api_key, created.secret_key, environment="sandbox").fingerprint


def assert_no_key_in_records(sb, *api_keys: str) -> None:
    text = json.dumps([r.to_json() for r in sb.records()])
    for k in api_keys:
        assert k not in text


# ---------------------------------------------------------------- the key is named whatever the outcome


def test_2015_ip_not_whitelisted_is_attributed_to_the_key(sb):
    created = sb.create_key(label="pinned-ip", ip_whitelist=["127.0.0.1"])
    fp = client_fingerprint(created)
    assert fp == key_fingerprint(created.api_key)
    other = Caller.hmac(sb.url, created, local_address="127.0.0.2")
    assert_error(other.signed("GET", "/api/v3/account"), -2015, NOT_WHITELISTED, 401)
    rec = last(sb, "/api/v3/account", "127.0.0.2")
    assert outcome(rec) == (401, -2015, fp, "pinned-ip")
    assert rec.weight == 20
    assert_no_key_in_records(sb, created.api_key, created.secret_key)


def test_2015_deleted_and_unknown_keys_keep_the_fingerprint(sb):
    created = sb.create_key(label="gone")
    c = Caller.hmac(sb.url, created, local_address="127.0.0.3")
    assert c.signed("GET", "/api/v3/account").status_code == 200
    sb.delete_key(created.api_key)
    assert_error(c.signed("GET", "/api/v3/account"), -2015, NOT_WHITELISTED, 401)
    rec = last(sb, "/api/v3/account", "127.0.0.3")
    # the "use after deletion" detector matches the fingerprint or the label the key had
    assert outcome(rec) == (401, -2015, client_fingerprint(created), "gone")
    stranger = random_key()  # well-formed, never registered
    unknown = Caller(sb.url, stranger, HmacSigner(random_key()), local_address="127.0.0.3")
    assert_error(unknown.signed("GET", "/api/v3/account"), -2015, NOT_WHITELISTED, 401)
    assert outcome(last(sb, "/api/v3/account", "127.0.0.3")) == (401, -2015, key_fingerprint(stranger), None)
    assert_no_key_in_records(sb, created.api_key, stranger)


def test_recreated_key_is_no_longer_a_deleted_one(sb):
    entry = sb.create_key(label="first")
    sb.delete_key(entry.api_key)
    again = sb.exchange.keys.create(label="second", api_key=entry.api_key)
    c = Caller(sb.url, again.api_key, HmacSigner(again.secret_key), local_address="127.0.0.3")
    assert c.signed("GET", "/api/v3/account").status_code == 200
    assert outcome(last(sb, "/api/v3/account", "127.0.0.3")) == (200, None, key_fingerprint(entry.api_key), "second")


def test_1022_bad_signature_is_attributed(sb):
    created = sb.create_key(label="badsig")
    wrong = Caller(sb.url, created.api_key, HmacSigner(sb.create_key().secret_key), local_address="127.0.0.4")
    assert_error(wrong.signed("GET", "/api/v3/account"), -1022, "Signature for this request is not valid.", 400)
    assert outcome(last(sb, "/api/v3/account", "127.0.0.4")) == (400, -1022, client_fingerprint(created), "badsig")


def test_1021_stale_timestamp_is_attributed(sb):
    created = sb.create_key(label="stale")
    c = Caller.hmac(sb.url, created, local_address="127.0.0.4")
    r = c.signed("GET", "/api/v3/account", {"timestamp": now_ms() - 10_000})
    assert_error(r, -1021, "Timestamp for this request is outside of the recvWindow.", 400)
    assert outcome(last(sb, "/api/v3/account", "127.0.0.4")) == (400, -1021, client_fingerprint(created), "stale")


def test_parameter_errors_and_unknown_paths_are_attributed(sb):
    created = sb.create_key(label="params")
    fp = client_fingerprint(created)
    c = Caller.hmac(sb.url, created, local_address="127.0.0.4")
    r = c.raw("GET", "/api/v3/account", f"timestamp={now_ms()}&timestamp=1")
    assert_error(r, -1101, "Duplicate values for a parameter detected.", 400)
    assert outcome(last(sb, "/api/v3/account", "127.0.0.4")) == (400, -1101, fp, "params")
    r = c.raw("GET", "/api/v3/nothing")
    assert_error(r, -1020, "This operation is not supported.", 404)
    assert outcome(last(sb, "/api/v3/nothing", "127.0.0.4")) == (404, -1020, fp, "params")


def test_malformed_key_header_is_fingerprinted_and_missing_header_is_not(sb):
    created = sb.create_key(label="fmt")
    c = Caller.hmac(sb.url, created, local_address="127.0.0.4")
    bad = created.api_key[:-1] + "!"
    assert_error(c.signed("GET", "/api/v3/account", api_key=bad), -2014, "API-key format invalid.", 401)
    assert outcome(last(sb, "/api/v3/account", "127.0.0.4")) == (401, -2014, key_fingerprint(bad), None)
    assert_error(c.signed("GET", "/api/v3/account", api_key=None), -2014, "API-key format invalid.", 401)
    assert outcome(last(sb, "/api/v3/account", "127.0.0.4")) == (401, -2014, None, None)


def test_body_too_large_is_recorded_and_answered_like_any_error(sb):
    created = sb.create_key(label="big")
    c = Caller.hmac(sb.url, created, local_address="127.0.0.4")
    r = c.raw("POST", "/api/v3/order", body="a=" + "x" * (1 << 20))
    assert_error(r, -1100, "Illegal characters found in a parameter.", 413)
    assert outcome(last(sb, "/api/v3/order", "127.0.0.4")) == (413, -1100, client_fingerprint(created), "big")


def test_429_and_418_are_attributed(sb, pinned):
    created = sb.create_key(label="greedy")
    fp = client_fingerprint(created)
    c = Caller.hmac(sb.url, created, local_address="127.0.0.5")
    server_now = lambda: now_ms() + pinned  # noqa: E731 - timestamps on the pinned server clock
    since = server_now()
    for _ in range(24):  # 24 x weight 250 = 6000: the whole minute's budget
        assert c.public("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 5000}).status_code == 200
    r = c.signed("GET", "/api/v3/account", {"timestamp": server_now()})
    assert r.status_code == 429 and r.json()["code"] == -1003 and "Retry-After" in r.headers
    assert outcome(last(sb, "/api/v3/account", "127.0.0.5", since)) == (429, -1003, fp, "greedy")
    r = c.signed("GET", "/api/v3/account", {"timestamp": server_now()})  # continuing: banned
    assert r.status_code == 418 and r.json()["code"] == -1003 and "Retry-After" in r.headers
    assert outcome(last(sb, "/api/v3/account", "127.0.0.5", since)) == (418, -1003, fp, "greedy")
    r = c.signed("GET", "/api/v3/account", {"timestamp": server_now()})  # while the ban lasts
    assert r.status_code == 418
    rec = last(sb, "/api/v3/account", "127.0.0.5", since)
    assert outcome(rec) == (418, -1003, fp, "greedy") and rec.weight == 0


def test_injected_5xx_is_attributed(sb):
    created = sb.create_key(label="flaky")
    c = Caller.hmac(sb.url, created, local_address="127.0.0.6")
    sb.configure(error_rate=1.0)
    try:
        # with error_rate 1 half the answers come before the pipeline ran, half after: both kinds occur
        for _ in range(12):
            r = c.signed("GET", "/api/v3/account")
            assert r.status_code == 500 and r.json()["code"] == -1007
            assert outcome(last(sb, "/api/v3/account", "127.0.0.6")) == (500, -1007, client_fingerprint(created),
                                                                          "flaky")
    finally:
        sb.configure(error_rate=0.0)


def test_records_import_into_the_monitor_under_the_clients_fingerprint(sb):
    created = sb.create_key(label="shape", ip_whitelist=["127.0.0.1"])
    since = now_ms()
    Caller.hmac(sb.url, created, local_address="127.0.0.1").signed("GET", "/api/v3/account")
    Caller.hmac(sb.url, created, local_address="127.0.0.7").signed("GET", "/api/v3/account")
    recs = [r for r in sb.records(since) if r.path == "/api/v3/account" and r.key_label == "shape"]
    assert [r.status for r in recs] == [200, 401]
    rows = [parse_record(json.loads(json.dumps(r.to_json()))) for r in recs]
    fp = client_fingerprint(created)
    assert all(row["key_fingerprint"] == fp and row["key_label"] == "shape" for row in rows)
    assert [row["outcome"] for row in rows] == ["ok", "error"] and rows[1]["client_ip"] == "127.0.0.7"
    assert rows[0]["time"] == recs[0].time / 1000  # ms on the sandbox side, epoch seconds in the monitor


# ---------------------------------------------------------------- X-MBX-TIME-UNIT


@pytest.mark.parametrize("unit", ["MICROSECOND", "microsecond"])
def test_time_unit_microsecond(sb, unit):
    created = sb.create_key(label=f"us-{unit}", enableSpotAndMarginTrading=True)
    c = Caller.hmac(sb.url, created)
    h = {"X-MBX-TIME-UNIT": unit}
    before = now_ms()
    server = c.raw("GET", "/api/v3/time", headers=h, api_key=None).json()["serverTime"]
    assert before * 1000 - 2_000_000 <= server <= (now_ms() + 1000) * 1000 and server > 10**15
    kl = c.raw("GET", "/api/v3/klines", "symbol=BTCUSDT&interval=1m&limit=2", headers=h, api_key=None).json()
    assert kl[1][0] - kl[0][0] == 60_000_000 and kl[0][6] == kl[0][0] + 60_000_000 - 1
    r = c.signed("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                                           "quantity": "0.001", "price": "30000"}, headers=h)
    data = r.json()
    assert r.status_code == 200 and data["transactTime"] > 10**15 and data["workingTime"] > 10**15
    order = c.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": data["orderId"]}, headers=h).json()
    assert order["time"] == data["transactTime"] and order["updateTime"] > 10**15
    plain = c.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": data["orderId"]}).json()
    assert plain["time"] * 1000 == order["time"]
    assert c.signed("GET", "/api/v3/account", headers=h).json()["updateTime"] > 10**15
    agg = c.raw("GET", "/api/v3/aggTrades", "symbol=BTCUSDT&limit=1", headers=h, api_key=None).json()
    assert agg[0]["T"] > 10**15
    # the wallet endpoints (/sapi) are not switched
    assert c.signed("GET", "/sapi/v1/account/apiRestrictions", headers=h).json()["createTime"] < 10**13


def test_openapi_documents_the_time_unit_header(sb):
    doc = httpx.get(sb.url + "/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/api/v3/time"]["get"]["parameters"]}
    assert params["X-MBX-TIME-UNIT"]["in"] == "header"
    assert set(params["X-MBX-TIME-UNIT"]["schema"]["enum"]) == {"MICROSECOND", "microsecond", "MILLISECOND",
                                                                 "millisecond"}


@pytest.mark.parametrize("unit", ["MILLISECOND", "millisecond"])
def test_time_unit_millisecond_is_the_default(sb, unit):
    c = Caller(sb.url)
    server = c.raw("GET", "/api/v3/time", headers={"X-MBX-TIME-UNIT": unit}, api_key=None).json()["serverTime"]
    assert 10**12 < server < 10**13


@pytest.mark.parametrize("unit", ["NANOSECOND", "Microsecond", "us", "", "MICROSECONDS"])
def test_time_unit_bad_value_is_1194(sb, unit):
    created = sb.create_key(label="tu")
    c = Caller.hmac(sb.url, created, local_address="127.0.0.8")
    r = c.raw("GET", "/api/v3/time", headers={"X-MBX-TIME-UNIT": unit}, api_key=None)
    assert_error(r, -1194, "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.", 400)
    r = c.signed("GET", "/api/v3/account", headers={"X-MBX-TIME-UNIT": unit})
    assert_error(r, -1194, "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.", 400)
    assert outcome(last(sb, "/api/v3/account", "127.0.0.8")) == (400, -1194, client_fingerprint(created), "tu")


def test_time_unit_over_asgi_transport():
    from keysafe.sandbox import create_app

    async def calls():
        transport = httpx.ASGITransport(app=create_app(), client=("127.0.0.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            us = await client.get("/api/v3/time", headers={"X-MBX-TIME-UNIT": "MICROSECOND"})
            bad = await client.get("/api/v3/time", headers={"X-MBX-TIME-UNIT": "SECOND"})
        return us.json()["serverTime"], bad

    us, bad = asyncio.run(calls())
    assert us > 10**15 and bad.status_code == 400 and bad.json()["code"] == -1194
