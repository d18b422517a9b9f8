"""The ASGI application: Binance's REST surface plus an admin API under /admin.

The API path is a lean raw-ASGI endpoint (no per-request framework objects); the admin
API uses Starlette routes and needs the ``X-Keysafe-Admin-Token`` header.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from keysafe.errors import KeysafeError
from keysafe.sandbox.config import SandboxConfig
from keysafe.sandbox.exchange import Exchange
from keysafe.sandbox.pipeline import ApiError, Request

MAX_BODY = 1 << 20
_JSON = (b"content-type", b"application/json;charset=UTF-8")
_TOO_LARGE_MSG = "Illegal characters found in a parameter."


def client_ip(scope: dict, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                first = value.split(b",")[0].strip()
                if first:
                    return first.decode("latin-1")
    client = scope.get("client")
    return client[0] if client else "127.0.0.1"


class ApiApp:
    """Raw ASGI endpoint for /api and /sapi."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            return
        ex = self.exchange
        api_key = time_unit = None
        for name, value in scope["headers"]:
            if name == b"x-mbx-apikey":
                if api_key is None:
                    api_key = value.decode("latin-1")
            elif name == b"x-mbx-time-unit" and time_unit is None:
                time_unit = value.decode("latin-1")
        body = b""
        too_large = False
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            if chunk and not too_large:
                body += chunk
                if len(body) > MAX_BODY:
                    too_large, body = True, b""
            if not message.get("more_body"):
                break
        req = Request(scope["method"], scope["path"], scope.get("query_string", b""), body, api_key,
                      client_ip(scope, ex.config.trust_forwarded_for), time_unit)
        if too_large:
            resp = ex.reject(req, ApiError(-1100, _TOO_LARGE_MSG, 413))
            await _send(send, resp.status, resp.body, resp.headers)
            return
        if ex.config.latency_ms:
            await asyncio.sleep(ex.config.latency_ms / 1000)
        resp = ex.handle(req)
        await _send(send, resp.status, resp.body, resp.headers)


async def _send(send, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
    raw = [_JSON, (b"content-length", str(len(body)).encode())]
    raw.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------- admin API


def _admin(handler):
    async def endpoint(request: StarletteRequest):
        ex: Exchange = request.app.state.exchange
        token = request.headers.get("x-keysafe-admin-token", "")
        if not hmac.compare_digest(token.encode(), (ex.config.admin_token or "").encode()):
            return JSONResponse({"error": "missing or wrong X-Keysafe-Admin-Token header",
                                 "remedy": "send the admin token printed when the sandbox started"}, 401)
        try:
            data: Any = {}
            if request.method in ("POST", "PUT", "PATCH"):
                raw = await request.body()
                data = json.loads(raw) if raw.strip() else {}
                if not isinstance(data, dict):
                    raise ValueError("the body must be a JSON object")
            return JSONResponse(await handler(request, ex, data))
        except KeysafeError as exc:
            return JSONResponse({"error": exc.message, "remedy": exc.remedy}, 400)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": f"bad request: {exc}", "remedy": "send a JSON object"}, 400)
    return endpoint


async def _create_key(request, ex: Exchange, data: dict) -> Any:
    fields = dict(data)
    kwargs = {"label": fields.pop("label", ""), "key_type": fields.pop("type", "hmac"),
              "public_key_pem": fields.pop("publicKey", None), "ip_whitelist": fields.pop("ipWhitelist", ()),
              "account": fields.pop("account", "default")}
    return ex.create_key(**kwargs, **fields).to_json()


async def _list_keys(request, ex: Exchange, data: dict) -> Any:
    return [k.info() for k in ex.keys.list()]


async def _delete_key(request, ex: Exchange, data: dict) -> Any:
    api_key = request.path_params["api_key"]
    if not ex.delete_key(api_key):
        raise KeysafeErrorNotFound("No such API key.", "List keys with GET /admin/keys.")
    return {"deleted": True}


class KeysafeErrorNotFound(KeysafeError):
    pass


async def _config(request, ex: Exchange, data: dict) -> Any:
    if request.method == "GET":
        return ex.config.knobs()
    return ex.configure(**data)


async def _records(request, ex: Exchange, data: dict) -> Any:
    since = request.query_params.get("since")
    return [r.to_json() for r in ex.records(int(since) if since else None)]


async def _balance(request, ex: Exchange, data: dict) -> Any:
    try:
        account, asset, amount = data["account"], data["asset"], Decimal(str(data["amount"]))
    except KeyError as exc:
        raise ValueError(f"field {exc.args[0]!r} is missing") from None
    except InvalidOperation:
        raise ValueError("amount must be a decimal string") from None
    ex.set_balance(str(account), str(asset), amount)
    return {"account": account, "balances": ex.balances(str(account))}


async def _balances(request, ex: Exchange, data: dict) -> Any:
    return ex.balances(request.path_params["account"])


async def _openapi(request: StarletteRequest) -> JSONResponse:
    from keysafe.sandbox.openapi import openapi

    return JSONResponse(openapi())


async def _withdrawals(request, ex: Exchange, data: dict) -> Any:
    return ex.engine.account(request.path_params["account"]).withdrawals


def create_app(config: SandboxConfig | None = None, keys: Any = None, *, exchange: Exchange | None = None) -> Starlette:
    """The sandbox as an ASGI app; ``app.state.exchange`` is its :class:`Exchange`."""
    ex = exchange or Exchange(config or SandboxConfig(), keys)
    routes = [
        Route("/admin/keys", _admin(_create_key), methods=["POST"]),
        Route("/admin/keys", _admin(_list_keys), methods=["GET"]),
        Route("/admin/keys/{api_key}", _admin(_delete_key), methods=["DELETE"]),
        Route("/admin/config", _admin(_config), methods=["GET", "POST"]),
        Route("/admin/records", _admin(_records), methods=["GET"]),
        Route("/admin/balance", _admin(_balance), methods=["POST"]),
        Route("/admin/balances/{account}", _admin(_balances), methods=["GET"]),
        Route("/admin/withdrawals/{account}", _admin(_withdrawals), methods=["GET"]),
        Route("/openapi.json", _openapi, methods=["GET"]),
    ]
    app = SandboxApp(routes=routes)
    app.api = ApiApp(ex)
    app.state.exchange = ex
    return app


class SandboxApp(Starlette):
    """Starlette for /admin; everything else goes straight to the lean API endpoint."""

    api: ApiApp

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and not path.startswith("/admin") and path != "/openapi.json":
            await self.api(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
