"""Shared helpers for the sandbox tests: signed calls with exact bytes, from a chosen source IP."""

from __future__ import annotations

import time
from typing import Any

import httpx

from keysafe.signing import HmacSigner, build_payload, load_private_key, sign_payload


def now_ms() -> int:
    return int(time.time() * 1000)


class Caller:
    """Sends requests to a sandbox exactly as built; signs with the key's signer."""

    def __init__(self, url: str, api_key: str | None = None, signer: Any = None, local_address: str | None = None):
        transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
        self.client = httpx.Client(base_url=url, transport=transport, timeout=10)
        self.api_key = api_key
        self.signer = signer

    @classmethod
    def hmac(cls, url: str, created, **kw) -> Caller:
        return cls(url, created.api_key, HmacSigner(created.secret_key), **kw)

    @classmethod
    def private(cls, url: str, created, private_pem: bytes, **kw) -> Caller:
        return cls(url, created.api_key, load_private_key(private_pem), **kw)

    def raw(self, method: str, path: str, query: str = "", body: str = "", headers: dict | None = None,
            api_key: str | None = "default") -> httpx.Response:
        h = dict(headers or {})
        key = self.api_key if api_key == "default" else api_key
        if key is not None:
            h["X-MBX-APIKEY"] = key
        if body:
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        url = path + ("?" + query if query else "")
        return self.client.request(method, url, content=body.encode() if body else None, headers=h)

    def signed(self, method: str, path: str, params: dict | None = None, body_params: dict | None = None,
               **kw) -> httpx.Response:
        params = dict(params or {})
        target = body_params if body_params is not None else params
        target.setdefault("timestamp", now_ms())
        payload = sign_payload(build_payload(params, body_params=body_params), self.signer)
        return self.raw(method, path, payload.query, payload.body, **kw)

    def public(self, path: str, params: dict | None = None) -> httpx.Response:
        return self.raw("GET", path, build_payload(params or {}).query, api_key=None)


def assert_error(resp: httpx.Response, code: int, msg: str, status: int) -> None:
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.json() == {"code": code, "msg": msg}, resp.text
    assert "x-mbx-used-weight-1m" in resp.headers
