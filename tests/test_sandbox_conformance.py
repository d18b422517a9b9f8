"""One test per error code and message the sandbox pipeline produces: code, exact text, status, headers."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sandbox_support import Caller, assert_error, now_ms

from keysafe.sandbox import run_sandbox
from keysafe.signing import HmacSigner, build_payload, generate_key_pair, sign_payload


@pytest.fixture(scope="module")
def sb():
    with run_sandbox() as handle:
        yield handle


@pytest.fixture(scope="module")
def trader(sb):
    return Caller.hmac(sb.url, sb.create_key(label="trader", enableSpotAndMarginTrading=True))


@pytest.fixture(scope="module")
def reader(sb):
    return Caller.hmac(sb.url, sb.create_key(label="reader"))


# ---------------------------------------------------------------- step 2: weight header on everything


def test_every_response_carries_used_weight(sb, trader):
    before = int(trader.public("/api/v3/ping").headers["X-MBX-USED-WEIGHT-1M"])
    r = trader.public("/api/v3/exchangeInfo")
    assert r.status_code == 200
    assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) == before + 20
    bad = trader.public("/api/v3/depth", {"symbol": "NOPE"})
    assert bad.json()["code"] == -1121
    assert int(bad.headers["X-MBX-USED-WEIGHT-1M"]) == before + 25  # depth limit 100: weight 5


def test_unknown_path_is_json_404(trader):
    assert_error(trader.public("/api/v3/nothing"), -1020, "This operation is not supported.", 404)
    r = trader.raw("PUT", "/api/v3/ping", api_key=None)
    assert_error(r, -1020, "This operation is not supported.", 405)


# ---------------------------------------------------------------- step 3: parameters


def test_1100_illegal_characters(trader):
    r = trader.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "12a"})
    assert_error(r, -1100, "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'.", 400)
    r = trader.signed("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                                                "timeInForce": "GTC", "quantity": "1e-3", "price": "100"})
    assert_error(r, -1100, "Illegal characters found in parameter 'quantity'; legal range is "
                           "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.", 400)
    r = trader.raw("GET", "/api/v3/depth", "symbol=%FF%FE")
    assert r.json()["code"] == -1100 and r.status_code == 400


def test_1101_duplicate_parameter(trader):
    r = trader.raw("GET", "/api/v3/depth", "symbol=BTCUSDT&symbol=ETHUSDT")
    assert_error(r, -1101, "Duplicate values for a parameter detected.", 400)


def test_1101_duplicate_signature(trader):
    p = sign_payload(build_payload({"timestamp": now_ms()}), trader.signer)
    r = trader.raw("GET", "/api/v3/account", p.query + "&" + p.query.rsplit("&", 1)[1])
    assert_error(r, -1101, "Duplicate values for a parameter detected.", 400)


def test_1102_mandatory_missing(trader):
    assert_error(trader.public("/api/v3/depth"), -1102,
                 "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.", 400)
    r = trader.raw("GET", "/api/v3/account", "recvWindow=5000")
    assert_error(r, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.", 400)
    r = trader.raw("GET", "/api/v3/account", f"timestamp={now_ms()}")
    assert_error(r, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.", 400)
    r = trader.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT"})
    assert_error(r, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!", 400)


def test_1102_recv_window_too_large(trader):
    r = trader.signed("GET", "/api/v3/account", {"recvWindow": "60001"})
    assert_error(r, -1102, "'recvWindow' contains unexpected value. Cannot be greater than 60000.", 400)


def test_1111_recv_window_precision(trader):
    assert trader.signed("GET", "/api/v3/account", {"recvWindow": "6000.346"}).status_code == 200
    r = trader.signed("GET", "/api/v3/account", {"recvWindow": "6000.3461"})
    assert_error(r, -1111, "Parameter 'recvWindow' has too much precision.", 400)


def test_1103_unknown_parameter(trader):
    assert_error(trader.public("/api/v3/ping", {"foo": "1"}), -1103, "An unknown parameter was sent.", 400)


def test_1105_empty_parameter(trader):
    r = trader.raw("GET", "/api/v3/depth", "symbol=BTCUSDT&limit=")
    assert_error(r, -1105, "Parameter 'limit' was empty.", 400)


def test_query_wins_over_body(sb, trader):
    # side is in both places: the query's BUY wins over the body's junk value
    payload = build_payload({"symbol": "BTCUSDT", "side": "BUY"},
                            body_params={"type": "MARKET", "quantity": "0.0001", "timestamp": now_ms()})
    body = payload.body.replace("type=MARKET", "side=NOPE&type=MARKET")
    signed = sign_payload(type(payload)(payload.query, body), trader.signer)
    r = trader.raw("POST", "/api/v3/order", signed.query, signed.body)
    assert r.status_code == 200, r.text
    assert r.json()["side"] == "BUY"


# ---------------------------------------------------------------- step 4: the key


def test_2014_missing_or_malformed_key(trader):
    r = trader.signed("GET", "/api/v3/account", api_key=None)
    assert_error(r, -2014, "API-key format invalid.", 401)
    r = trader.signed("GET", "/api/v3/account", api_key=trader.api_key[:-1] + "!")
    assert_error(r, -2014, "API-key format invalid.", 401)


def test_2015_unknown_and_deleted_key(sb):
    created = sb.create_key(label="temp")
    c = Caller.hmac(sb.url, created)
    assert c.signed("GET", "/api/v3/account").status_code == 200
    sb.delete_key(created.api_key)
    assert_error(c.signed("GET", "/api/v3/account"), -2015, "Invalid API-key, IP, or permissions for action.", 401)


def test_2015_ip_not_whitelisted(sb):
    created = sb.create_key(label="pinned", ip_whitelist=["127.0.0.1"])
    ok = Caller.hmac(sb.url, created, local_address="127.0.0.1")
    assert ok.signed("GET", "/api/v3/account").status_code == 200
    other = Caller.hmac(sb.url, created, local_address="127.0.0.2")
    assert_error(other.signed("GET", "/api/v3/account"), -2015, "Invalid API-key, IP, or permissions for action.", 401)


def test_2015_permission_missing(reader):
    r = reader.signed("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                "quantity": "0.001"})
    assert_error(r, -2015, "Invalid API-key, IP, or permissions for action.", 401)


def test_trading_expires_30_days_after_creation_without_ip_restriction(sb):
    old = sb.exchange.keys.create(label="old", enableSpotAndMarginTrading=True,
                                  create_time=now_ms() - 31 * 24 * 3600 * 1000)
    c = Caller.hmac(sb.url, old)
    r = c.signed("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"})
    assert_error(r, -2015, "Invalid API-key, IP, or permissions for action.", 401)
    restrictions = c.signed("GET", "/sapi/v1/account/apiRestrictions").json()
    assert restrictions["tradingAuthorityExpirationTime"] == old_create(sb, old) + 30 * 24 * 3600 * 1000
    assert c.signed("GET", "/api/v3/account").json()["canTrade"] is False


def old_create(sb, created) -> int:
    return sb.exchange.keys.get(created.api_key).create_time


def test_withdraw_permissions(sb):
    params = {"coin": "USDT", "address": "TXYZ", "amount": "10"}
    no_perm = Caller.hmac(sb.url, sb.create_key(label="w0", ip_whitelist=["127.0.0.1"]))
    assert_error(no_perm.signed("POST", "/sapi/v1/capital/withdraw/apply", params), -1002,
                 "You are not authorized to execute this request.", 401)
    unrestricted = Caller.hmac(sb.url, sb.create_key(label="w1", enableWithdrawals=True))
    assert_error(unrestricted.signed("POST", "/sapi/v1/capital/withdraw/apply", params), -2015,
                 "Invalid API-key, IP, or permissions for action.", 401)
    good = Caller.hmac(sb.url, sb.create_key(label="w2", enableWithdrawals=True, ip_whitelist=["127.0.0.1"]))
    before = sb.exchange.balances()["USDT"]
    r = good.signed("POST", "/sapi/v1/capital/withdraw/apply", params)
    assert r.status_code == 200 and len(r.json()["id"]) == 32
    assert int(r.headers["X-SAPI-USED-UID-WEIGHT-1M"]) >= 600
    assert sb.exchange.engine.account("default").withdrawals[-1]["address"] == "TXYZ"
    assert sb.exchange.balances()["USDT"] == before  # nothing moves anywhere


# ---------------------------------------------------------------- step 6: signature


def test_1022_wrong_signature(sb, trader):
    wrong = Caller(sb.url, trader.api_key, HmacSigner(sb.create_key().secret_key))
    assert_error(wrong.signed("GET", "/api/v3/account"), -1022, "Signature for this request is not valid.", 400)


def test_1022_signature_not_last(trader):
    p = sign_payload(build_payload({"timestamp": now_ms()}), trader.signer)
    rest, sig = p.query.rsplit("&", 1)
    r = trader.raw("GET", "/api/v3/account", f"{sig}&{rest}")
    assert_error(r, -1022, "Signature for this request is not valid.", 400)


def test_1022_signed_over_unencoded_text(trader):
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001",
              "newClientOrderId": "bot/1", "timestamp": now_ms()}
    sent = build_payload(params).query  # the / goes out as %2F
    unencoded = "&".join(f"{k}={v}" for k, v in params.items()).encode()
    r = trader.raw("POST", "/api/v3/order", sent + "&signature=" + trader.signer.sign(unencoded))
    assert_error(r, -1022, "Signature for this request is not valid.", 400)


def test_1100_hmac_signature_not_hex(trader):
    r = trader.raw("GET", "/api/v3/account", f"timestamp={now_ms()}&signature=xyz")
    assert_error(r, -1100, "Illegal characters found in parameter 'signature'; legal range is '^[A-Fa-f0-9]{64}$'.",
                 400)


def test_hmac_signature_is_case_insensitive_and_mixed_query_body_verifies(trader):
    payload = build_payload({"symbol": "BTCUSDT", "side": "BUY"},
                            body_params={"type": "MARKET", "quantity": "0.0001", "timestamp": now_ms()})
    sig = trader.signer.sign(payload.signed_bytes).upper()
    r = trader.raw("POST", "/api/v3/order", payload.query, payload.body + "&signature=" + sig)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_asymmetric_keys(sb, kind):
    pair = generate_key_pair(kind)
    created = sb.create_key(label=kind, key_type=kind, public_key_pem=pair.public_pem)
    assert created.secret_key is None
    c = Caller.private(sb.url, created, pair.private_pem)
    assert c.signed("GET", "/api/v3/account").status_code == 200
    other = Caller.private(sb.url, created, generate_key_pair(kind).private_pem)
    assert_error(other.signed("GET", "/api/v3/account"), -1022, "Signature for this request is not valid.", 400)


# ---------------------------------------------------------------- steps 5 and 7: timing


def test_1021_both_messages(trader):
    r = trader.signed("GET", "/api/v3/account", {"timestamp": now_ms() + 2000})
    assert_error(r, -1021, "Timestamp for this request was 1000ms ahead of the server's time.", 400)
    r = trader.signed("GET", "/api/v3/account", {"timestamp": now_ms() - 6000})
    assert_error(r, -1021, "Timestamp for this request is outside of the recvWindow.", 400)
    assert trader.signed("GET", "/api/v3/account", {"timestamp": now_ms() - 6000, "recvWindow": 10000}).status_code \
        == 200
    r = trader.signed("GET", "/api/v3/account", {"timestamp": 1400000000000})
    assert_error(r, -1021, "Timestamp for this request is outside of the recvWindow.", 400)


def test_microsecond_timestamps_accepted(trader):
    assert trader.signed("GET", "/api/v3/account", {"timestamp": now_ms() * 1000}).status_code == 200


def test_clock_offset_knob(sb, trader):
    sb.configure(clock_offset_ms=-30_000)
    try:
        server = trader.public("/api/v3/time").json()["serverTime"]
        assert abs(server - (now_ms() - 30_000)) < 2000
        r = trader.signed("GET", "/api/v3/account")
        assert_error(r, -1021, "Timestamp for this request was 1000ms ahead of the server's time.", 400)
    finally:
        sb.configure(clock_offset_ms=0)


# ---------------------------------------------------------------- step 8: business rules


def order(c: Caller, **kw):
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
              "price": "30000"}
    params.update({k: v for k, v in kw.items() if v is not None})
    for k in [k for k, v in kw.items() if v is None]:
        params.pop(k, None)
    return c.signed("POST", "/api/v3/order", params)


def test_1121_invalid_symbol(trader):
    assert_error(order(trader, symbol="BTCUSDX"), -1121, "Invalid symbol.", 400)


def test_1117_1116_1115_enums(trader):
    assert_error(order(trader, side="HOLD"), -1117, "Invalid side.", 400)
    assert_error(order(trader, type="LIMITED"), -1116, "Invalid orderType.", 400)
    assert_error(order(trader, timeInForce="GTX"), -1115, "Invalid timeInForce.", 400)


@pytest.mark.parametrize("kw,failure", [
    ({"price": "30000.001"}, "PRICE_FILTER"),
    ({"price": "0.001"}, "PRICE_FILTER"),
    ({"quantity": "0.000015"}, "LOT_SIZE"),
    ({"quantity": "0.00001"}, "NOTIONAL"),
    ({"type": "MARKET", "timeInForce": None, "price": None, "quantity": "0.00001"}, "NOTIONAL"),
])
def test_1013_filter_failures(trader, kw, failure):
    assert_error(order(trader, **kw), -1013, f"Filter failure: {failure}", 400)


def test_mandatory_by_order_type(trader):
    assert_error(order(trader, timeInForce=None), -1102,
                 "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.", 400)
    assert_error(order(trader, type="MARKET", timeInForce=None, price=None, quantity=None), -1102,
                 "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!", 400)
    assert_error(order(trader, type="MARKET", timeInForce=None), -1106, "Parameter 'price' sent when not required.",
                 400)


def test_2010_insufficient_balance(sb):
    c = Caller.hmac(sb.url, sb.create_key(label="poor", account="poor", enableSpotAndMarginTrading=True))
    sb.set_balance("poor", "USDT", "10")
    assert_error(order(c, quantity="0.01", price="30000"), -2010,
                 "Account has insufficient balance for requested action.", 400)
    assert_error(order(c, side="SELL", quantity="2", price="90000", symbol="BTCUSDT"), -2010,
                 "Account has insufficient balance for requested action.", 400)


def test_2010_duplicate_client_order_id(trader):
    first = order(trader, newClientOrderId="dup-1")
    assert first.status_code == 200, first.text
    assert_error(order(trader, newClientOrderId="dup-1"), -2010, "Duplicate order sent.", 400)


def test_2010_limit_maker_would_take(trader):
    r = order(trader, type="LIMIT_MAKER", timeInForce=None, price="90000")
    assert_error(r, -2010, "Order would immediately match and take.", 400)


def test_2011_and_2013_unknown_orders(trader):
    r = trader.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "999999"})
    assert_error(r, -2011, "Unknown order sent.", 400)
    r = trader.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "999999"})
    assert_error(r, -2013, "Order does not exist.", 400)


def test_successful_order_weighs_zero_and_reports_order_counts(trader):
    before = int(trader.public("/api/v3/ping").headers["X-MBX-USED-WEIGHT-1M"])
    r = order(trader, price="31000")
    assert r.status_code == 200
    assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) == before + 1 - 1 + 0  # ping counted, order free
    assert int(r.headers["X-MBX-ORDER-COUNT-10S"]) >= 1 and int(r.headers["X-MBX-ORDER-COUNT-1D"]) >= 1
    failed = order(trader, symbol="NOPE")
    assert int(failed.headers["X-MBX-USED-WEIGHT-1M"]) == before + 1
    assert "X-MBX-ORDER-COUNT-10S" not in failed.headers
    cancel = trader.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": r.json()["orderId"]})
    assert cancel.status_code == 200 and cancel.json()["status"] == "CANCELED"
    assert int(cancel.headers["X-MBX-USED-WEIGHT-1M"]) == before + 1


def test_matching_moves_balances(sb):
    c = Caller.hmac(sb.url, sb.create_key(label="m", account="m", enableSpotAndMarginTrading=True))
    r = c.signed("POST", "/api/v3/order", {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET",
                                           "quoteOrderQty": "100"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["status"] == "FILLED"
    spent = sum(Decimal(f["price"]) * Decimal(f["qty"]) for f in data["fills"])
    got = sum(Decimal(f["qty"]) - Decimal(f["commission"]) for f in data["fills"])
    assert spent == Decimal(data["cummulativeQuoteQty"]) and spent <= 100
    bal = sb.exchange.balances("m")
    assert Decimal(bal["USDT"][0]) == 10000 - spent
    assert Decimal(bal["ETH"][0]) == 10 + got
    # a resting limit order locks quote; cancelling unlocks it
    rest = order(c, symbol="ETHUSDT", price="1000.00", quantity="0.1")
    assert rest.json()["status"] == "NEW"
    assert Decimal(sb.exchange.balances("m")["USDT"][1]) == Decimal("100.000")
    open_ = c.signed("GET", "/api/v3/openOrders", {"symbol": "ETHUSDT"}).json()
    assert [o["orderId"] for o in open_] == [rest.json()["orderId"]]
    c.signed("DELETE", "/api/v3/order", {"symbol": "ETHUSDT", "origClientOrderId": rest.json()["clientOrderId"]})
    assert Decimal(sb.exchange.balances("m")["USDT"][1]) == 0
    trades = c.signed("GET", "/api/v3/myTrades", {"symbol": "ETHUSDT"}).json()
    assert len(trades) == len(data["fills"])


def test_start_and_end_times_are_accepted_in_microseconds(sb):
    """Binance takes startTime/endTime in ms or µs (16 digits): both select the same rows."""
    c = Caller.hmac(sb.url, sb.create_key(label="us", account="us", enableSpotAndMarginTrading=True))
    c.signed("POST", "/api/v3/order", {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "50"})
    now_ms = sb.exchange.server_ms()
    ms = {"startTime": now_ms - 3_600_000, "endTime": now_ms + 1000}
    us = {k: v * 1000 for k, v in ms.items()}
    for path in ("/api/v3/allOrders", "/api/v3/myTrades"):
        by_ms = c.signed("GET", path, {"symbol": "ETHUSDT", **ms}).json()
        assert by_ms and c.signed("GET", path, {"symbol": "ETHUSDT", **us}).json() == by_ms
    kl = {"symbol": "BTCUSDT", "interval": "1m", "startTime": now_ms - 600_000, "limit": 5}
    by_ms = c.public("/api/v3/klines", kl).json()
    assert len(by_ms) == 5
    assert c.public("/api/v3/klines", {**kl, "startTime": kl["startTime"] * 1000}).json() == by_ms
    too_long = {"startTime": (now_ms - 2 * 86_400_000) * 1000, "endTime": now_ms * 1000}  # 2 days, in µs
    assert c.signed("GET", "/api/v3/allOrders", {"symbol": "ETHUSDT", **too_long}).json()["code"] == -1127


def test_fok_and_ioc(trader):
    r = order(trader, timeInForce="FOK", quantity="5", price="90000")  # more than the book holds
    assert r.status_code == 200 and r.json()["status"] == "EXPIRED" and r.json()["fills"] == []
    r = order(trader, timeInForce="IOC", quantity="0.001", price="90000")
    assert r.json()["status"] == "FILLED"


def test_response_types(trader):
    ack = order(trader, price="30000.50", newOrderRespType="ACK").json()
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    result = order(trader, price="30000.60", newOrderRespType="RESULT").json()
    assert "status" in result and "fills" not in result
    assert trader.signed("POST", "/api/v3/order/test", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                        "quantity": "0.001"}).json() == {}


# ---------------------------------------------------------------- SAPI, knobs, records, IPs


def test_sapi_headers_and_maintenance(sb, trader):
    r = trader.public("/sapi/v1/system/status")
    assert r.json() == {"status": 0, "msg": "normal"}
    assert r.headers["X-SAPI-USED-IP-WEIGHT-1M"] == str(int(r.headers["X-SAPI-USED-IP-WEIGHT-1M"]))
    sb.configure(maintenance=True)
    try:
        assert trader.public("/sapi/v1/system/status").json() == {"status": 1, "msg": "system_maintenance"}
    finally:
        sb.configure(maintenance=False)


def test_api_restrictions(sb):
    created = sb.create_key(label="r", ip_whitelist=["127.0.0.1"], enableSpotAndMarginTrading=True)
    data = Caller.hmac(sb.url, created).signed("GET", "/sapi/v1/account/apiRestrictions").json()
    assert data["ipRestrict"] is True and data["enableReading"] is True
    assert data["enableSpotAndMarginTrading"] is True and data["enableWithdrawals"] is False
    assert "tradingAuthorityExpirationTime" not in data


def test_injected_errors_are_execution_status_unknown(sb, trader):
    sb.configure(error_rate=1.0)
    try:
        r = trader.public("/api/v3/ping")
        assert_error(r, -1007, "Timeout waiting for response from backend server. "
                               "Send status unknown; execution status unknown.", 500)
    finally:
        sb.configure(error_rate=0.0)
    assert trader.public("/api/v3/ping").status_code == 200


def test_records_show_what_the_server_saw(sb, trader):
    start = trader.public("/api/v3/time").json()["serverTime"]
    trader.signed("GET", "/api/v3/account")
    trader.signed("GET", "/api/v3/account", api_key=None)
    recs = [r for r in sb.records(since=start) if r.path == "/api/v3/account"]
    ok, bad = recs[-2], recs[-1]
    assert (ok.status, ok.error_code, ok.weight, ok.key_label) == (200, None, 20, "trader")
    assert (bad.status, bad.error_code, bad.api_key_fingerprint) == (401, -2014, None)
    assert ok.client_ip == "127.0.0.1" and ok.to_json()["method"] == "GET"


def test_forwarded_for_needs_explicit_trust(sb):
    created = sb.create_key(label="xff", ip_whitelist=["10.1.2.3"])
    c = Caller.hmac(sb.url, created)
    r = c.signed("GET", "/api/v3/account", headers={"X-Forwarded-For": "10.1.2.3"})
    assert r.json()["code"] == -2015
    with run_sandbox(trust_forwarded_for=True) as other:
        k = other.create_key(ip_whitelist=["10.1.2.3"])
        c2 = Caller.hmac(other.url, k)
        assert c2.signed("GET", "/api/v3/account", headers={"X-Forwarded-For": "10.1.2.3, 1.1.1.1"}).status_code \
            == 200


def test_admin_api_needs_token(sb):
    r = httpx.post(sb.url + "/admin/keys", json={"label": "x"})
    assert r.status_code == 401
    h = {"X-Keysafe-Admin-Token": sb.admin_token}
    created = httpx.post(sb.url + "/admin/keys", json={"label": "adm", "enableSpotAndMarginTrading": True},
                         headers=h).json()
    assert len(created["secretKey"]) == 64
    listed = httpx.get(sb.url + "/admin/keys", headers=h).json()
    assert any(k["apiKey"] == created["apiKey"] and "secretKey" not in k for k in listed)
    bad = httpx.post(sb.url + "/admin/keys", json={"label": "x", "enableEverything": True}, headers=h)
    assert bad.status_code == 400 and "enableEverything" in bad.json()["error"]
    assert httpx.delete(sb.url + f"/admin/keys/{created['apiKey']}", headers=h).status_code == 200
    cfg = httpx.post(sb.url + "/admin/config", json={"latency_ms": 1}, headers=h).json()
    assert cfg["latency_ms"] == 1
    httpx.post(sb.url + "/admin/config", json={"latency_ms": 0}, headers=h)
    assert httpx.post(sb.url + "/admin/config", json={"scale": 3}, headers=h).status_code == 400
    recs = httpx.get(sb.url + "/admin/records", headers=h).json()
    assert recs and {"time", "client_ip", "path", "status", "error_code"} <= set(recs[0])


def test_market_data(trader):
    info = trader.public("/api/v3/exchangeInfo").json()
    names = [s["symbol"] for s in info["symbols"]]
    assert "BTCUSDT" in names and any(not n.isascii() for n in names)
    assert {lim["rateLimitType"] for lim in info["rateLimits"]} == {"REQUEST_WEIGHT", "ORDERS", "RAW_REQUESTS"}
    depth = trader.public("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 5}).json()
    assert len(depth["bids"]) == 5 and Decimal(depth["bids"][0][0]) < Decimal(depth["asks"][0][0])
    kl = trader.public("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 3}).json()
    assert len(kl) == 3 and kl[1][0] - kl[0][0] == 60_000
    assert_error(trader.public("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "7m"}), -1120,
                 "Invalid interval.", 400)
    assert trader.public("/api/v3/ticker/price", {"symbol": "BTCUSDT"}).json()["symbol"] == "BTCUSDT"
    assert len(trader.public("/api/v3/ticker/bookTicker").json()) == len(names)
    r = trader.public("/api/v3/ticker/24hr")
    assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) >= 80
    assert trader.public("/api/v3/avgPrice", {"symbol": "ETHUSDT"}).json()["mins"] == 5
    assert len(trader.public("/api/v3/trades", {"symbol": "BTCUSDT", "limit": 7}).json()) == 7


def test_prices_are_deterministic_by_seed():
    from keysafe.sandbox.market import Market
    t = 1_790_000_000_000
    assert Market(1).book("BTCUSDT", t) == Market(1).book("BTCUSDT", t)
    assert Market(1).mid("BTCUSDT", t) != Market(2).mid("BTCUSDT", t)


def test_other_enums_and_unsupported_order_types(trader):
    assert_error(order(trader, newOrderRespType="FAST"), -1130,
                 "Data sent for parameter 'newOrderRespType' is not valid.", 400)
    r = trader.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "1", "cancelRestrictions": "NEVER"})
    assert_error(r, -1145, "`cancelRestrictions` has to be either `ONLY_NEW` or `ONLY_PARTIALLY_FILLED`.", 400)
    assert_error(order(trader, type="STOP_LOSS", timeInForce=None, price=None, stopPrice="20000"), -2010,
                 "Stop loss orders are not supported for this symbol.", 400)


def test_openapi_description_covers_the_endpoints(sb):
    doc = httpx.get(sb.url + "/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    account = doc["paths"]["/api/v3/account"]["get"]
    assert account["security"] == [{"apiKey": []}]
    assert {p["name"] for p in account["parameters"]} >= {"timestamp", "recvWindow", "signature"}
    assert "post" in doc["paths"]["/api/v3/order"] and "delete" in doc["paths"]["/api/v3/order"]
