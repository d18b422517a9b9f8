"""Clients no one here wrote (python-binance, ccxt) pointed at the sandbox, with HMAC and Ed25519 keys."""

from __future__ import annotations

import ccxt
import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from keysafe.sandbox import run_sandbox
from keysafe.signing import generate_key_pair


@pytest.fixture(scope="module")
def sb():
    with run_sandbox() as handle:
        yield handle


def _keys(sb, kind: str):
    if kind == "hmac":
        k = sb.create_key(label=f"pb-{kind}", enableSpotAndMarginTrading=True)
        return k.api_key, {"secret": k.secret_key}
    pair = generate_key_pair("ed25519")
    k = sb.create_key(label=f"pb-{kind}", key_type="ed25519", public_key_pem=pair.public_pem,
                      enableSpotAndMarginTrading=True)
    return k.api_key, {"private_key": pair.private_pem.decode()}


def python_binance(sb, kind: str) -> Client:
    api_key, cred = _keys(sb, kind)
    if kind == "hmac":
        client = Client(api_key, cred["secret"], ping=False)
    else:
        client = Client(api_key, private_key=cred["private_key"], ping=False)
    client.API_URL = sb.url + "/api"
    client.MARGIN_API_URL = sb.url + "/sapi"
    return client


@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
def test_python_binance_scenario(sb, kind):
    client = python_binance(sb, kind)
    server_time = client.get_server_time()["serverTime"]
    assert server_time > 1_700_000_000_000
    info = client.get_exchange_info()
    assert any(s["symbol"] == "BTCUSDT" for s in info["symbols"])
    account = client.get_account()
    assert {b["asset"] for b in account["balances"]} >= {"USDT", "BTC"}
    placed = client.create_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                 quantity="0.001", price="30000", newClientOrderId=f"pb-{kind}-1")
    assert placed["status"] == "NEW"
    queried = client.get_order(symbol="BTCUSDT", orderId=placed["orderId"])
    assert queried["clientOrderId"] == f"pb-{kind}-1"
    assert any(o["orderId"] == placed["orderId"] for o in client.get_open_orders(symbol="BTCUSDT"))
    cancelled = client.cancel_order(symbol="BTCUSDT", orderId=placed["orderId"])
    assert cancelled["status"] == "CANCELED"
    market = client.order_market_buy(symbol="ETHUSDT", quoteOrderQty="50")
    assert market["status"] == "FILLED" and market["fills"]
    restrictions = client.get_account_api_permissions()
    assert restrictions["enableSpotAndMarginTrading"] is True and restrictions["ipRestrict"] is False


@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
def test_python_binance_non_ascii_symbol_and_slash_gets_1022(sb, kind):
    """python-binance signs newClientOrderId unencoded but sends '/' as %2F: Binance answers -1022."""
    client = python_binance(sb, kind)
    with pytest.raises(BinanceAPIException) as info:
        client.create_order(symbol="币安人生USDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="100",
                            price="0.2000", newClientOrderId="grid/1")
    assert info.value.code == -1022 and info.value.status_code == 400
    assert info.value.message == "Signature for this request is not valid."
    # the same order without the '/' is accepted: the sandbox takes the non-ASCII symbol itself
    ok = client.create_order(symbol="币安人生USDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="100",
                             price="0.2000", newClientOrderId=f"grid-{kind}")
    assert ok["symbol"] == "币安人生USDT"


def ccxt_client(sb, kind: str) -> ccxt.binance:
    api_key, cred = _keys(sb, kind)
    ex = ccxt.binance({
        "apiKey": api_key,
        "secret": cred.get("secret") or cred["private_key"],
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "defaultType": "spot",
                    "fetchMargins": False},
    })
    ex.urls["api"] = {"public": sb.url + "/api/v3", "private": sb.url + "/api/v3", "sapi": sb.url + "/sapi/v1",
                      "v1": sb.url + "/api/v1"}
    return ex


@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
def test_ccxt_scenario(sb, kind):
    ex = ccxt_client(sb, kind)
    assert ex.fetch_time() > 1_700_000_000_000
    markets = ex.load_markets()
    assert "BTC/USDT" in markets
    balance = ex.fetch_balance()
    assert balance["USDT"]["free"] > 0
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 30000)
    assert order["status"] == "open"
    fetched = ex.fetch_order(order["id"], "BTC/USDT")
    assert fetched["id"] == order["id"] and fetched["price"] == 30000
    cancelled = ex.cancel_order(order["id"], "BTC/USDT")
    assert cancelled["status"] == "canceled"
    restrictions = ex.sapi_get_account_apirestrictions()
    assert restrictions["enableReading"] is True


def test_ccxt_sees_binance_errors(sb):
    ex = ccxt_client(sb, "hmac")
    ex.load_markets()
    with pytest.raises(ccxt.InsufficientFunds):
        ex.create_order("BTC/USDT", "limit", "buy", 1, 30000)
    ex.secret = ex.secret[::-1]
    with pytest.raises(ccxt.AuthenticationError):
        ex.fetch_balance()
