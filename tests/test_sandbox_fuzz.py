"""Fuzz: thousands of random and malformed requests against the ASGI app in-process; zero 5xx."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keysafe.sandbox import SandboxConfig, create_app
from keysafe.signing import HmacSigner, build_payload, sign_payload
from keysafe.spec import ENDPOINTS

CFG = dict(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow],
           derandomize=True)

_app = create_app(SandboxConfig(scale=0.01))
_ex = _app.state.exchange
_key = _ex.create_key(label="fuzz", enableSpotAndMarginTrading=True, enableWithdrawals=True,
                      ip_whitelist=["127.0.0.1", "10.0.0.1"])
_signer = HmacSigner(_key.secret_key)
_loop = asyncio.new_event_loop()


def call(method: str, path: str, query: bytes, body: bytes, headers: list[tuple[bytes, bytes]],
         ip: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode("utf-8", "surrogateescape"), "query_string": query,
             "root_path": "", "headers": headers, "client": (ip, 50000), "server": ("127.0.0.1", 80)}
    sent: list[dict] = []
    chunks = [body[:7], body[7:]] if len(body) > 7 else [body]

    async def receive():
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    _loop.run_until_complete(_app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body_out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body_out


def check(status: int, headers: dict, body: bytes) -> None:
    assert status < 500, (status, body)
    assert "x-mbx-used-weight-1m" in headers
    data = json.loads(body)
    if status >= 400:
        assert isinstance(data["code"], int) and isinstance(data["msg"], str) and data["msg"]
        assert set(data) == {"code", "msg"}


_paths = sorted({e.path for e in ENDPOINTS})
_names = sorted({p.name for e in ENDPOINTS for p in (e.params or ())}) + ["signature", "foo", "", "a b"]
_values = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"-?[0-9]{0,22}(\.[0-9]{0,22})?", fullmatch=True),
    st.sampled_from(["BTCUSDT", "币安人生USDT", "ETHBTC", "BUY", "SELL", "LIMIT", "MARKET", "LIMIT_MAKER", "GTC",
                     "IOC", "FOK", "ACK", "RESULT", "FULL", "true", "1m", "[\"BTCUSDT\"]", "[", "0", "0.001",
                     "99999999999999999999", "1e5", "NaN", "-1", "60001", "0.0001", "30000"]),
)


@settings(**CFG)
@given(method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]),
       path=st.one_of(st.sampled_from(_paths), st.text(max_size=20).map(lambda s: "/" + s)),
       query=st.binary(max_size=200), body=st.binary(max_size=200),
       api_key=st.one_of(st.none(), st.just("valid"), st.binary(max_size=70)))
def test_random_bytes_never_5xx(method, path, query, body, api_key):
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    if api_key == "valid":
        headers.append((b"x-mbx-apikey", _key.api_key.encode()))
    elif api_key is not None:
        headers.append((b"x-mbx-apikey", api_key))
    check(*call(method, path, query, body, headers))


_endpoints = [e for e in ENDPOINTS]


_DECIMALS = ["0.001", "0.0001", "0.01", "0.1", "1", "100", "0.2000", "30000", "30000.01", "90000", "3000", "50",
             "0.05", "10"]


def _good(p):
    if p.kind == "symbol":
        return st.sampled_from(["BTCUSDT", "ETHUSDT", "ETHBTC", "币安人生USDT", "BTCUSDX"])
    if p.kind == "symbols":
        return st.sampled_from(['["BTCUSDT"]', '["BTCUSDT","ETHUSDT"]', '["BTCUSDT","BTCUSDT"]', "[]"])
    if p.kind in ("long", "int"):
        return st.integers(0, 2_000_000_000_000).map(str)
    if p.kind == "decimal":
        return st.sampled_from(_DECIMALS)
    if p.kind == "enum":
        return st.sampled_from([*p.choices, "NOPE"])
    if p.kind == "bool":
        return st.sampled_from(["true", "false"])
    return st.from_regex(r"[A-Za-z0-9_/.:-]{1,36}", fullmatch=True)


@settings(**CFG)
@given(data=st.data(), where=st.sampled_from(["query", "body", "split"]), sign=st.booleans(),
       ip=st.sampled_from(["127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.9", "10.0.0.1"]))
def test_signed_plausible_requests_never_5xx(data, where, sign, ip):
    ep = data.draw(st.sampled_from(_endpoints))
    own = [p.name for p in (ep.params or ()) if p.name not in ("timestamp", "signature")] or ["symbol"]
    name_st = st.one_of(st.sampled_from(own), st.sampled_from(own), st.sampled_from(own), st.sampled_from(_names))
    junk = data.draw(st.integers(0, 3)) == 0
    pairs = data.draw(st.lists(st.tuples(name_st, _values), max_size=3)) if junk else []
    params = {}
    if ep.params and data.draw(st.integers(0, 3)):  # mostly well-formed, to reach the deeper steps
        for p in ep.params:
            if p.name in ("timestamp", "recvWindow") or not (p.required or data.draw(st.booleans())):
                continue
            params[p.name] = data.draw(_good(p))
    for name, value in pairs:
        if name and name.replace("_", "a").isalnum() and name[0].isalpha() and name != "signature":
            params[name] = value
    if ep.security.signed:
        params["timestamp"] = int(time.time() * 1000)
    q, b = (params, None) if where == "query" or ep.method == "GET" else (None, params)
    if where == "split" and ep.method != "GET":
        items = list(params.items())
        q, b = dict(items[: len(items) // 2]), dict(items[len(items) // 2:])
    payload = build_payload(q, body_params=b)
    if sign:
        payload = sign_payload(payload, _signer)
    headers = [(b"content-type", b"application/x-www-form-urlencoded"), (b"x-mbx-apikey", _key.api_key.encode())]
    status, hdrs, body = call(ep.method, ep.path, payload.query.encode(), payload.body.encode(), headers, ip)
    check(status, hdrs, body)


def test_injected_errors_are_the_only_5xx():
    _ex.configure(error_rate=0.5)
    try:
        statuses = {call("GET", "/api/v3/ping", b"", b"", [])[0] for _ in range(50)}
    finally:
        _ex.configure(error_rate=0.0)
    assert statuses == {200, 500}


@pytest.fixture(scope="module", autouse=True)
def _close_loop():
    yield
    _loop.close()
