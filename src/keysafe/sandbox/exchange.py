"""The exchange: keys, market, engine, limiters and records behind one ``handle(request)``."""

from __future__ import annotations

import random
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from keysafe.errors import ConfigurationError
from keysafe.sandbox.config import SandboxConfig
from keysafe.sandbox.engine import Engine
from keysafe.sandbox.handlers import HANDLERS, Ctx
from keysafe.sandbox.keys import CreatedKey, KeyStore
from keysafe.sandbox.limits import IpLimiter, OrderCounter, retry_after_seconds, scaled_limits, window_text
from keysafe.sandbox.market import Market
from keysafe.sandbox.pipeline import (
    ApiError, Request, Response, check_key, check_signature, check_timing, err, merge_params, parse_params,
    recv_window_ms, timestamp_ms, validate_params,
)
from keysafe.sandbox.records import RecordLog, RequestRecord
from keysafe.sandbox.timeunit import to_microseconds, wants_microseconds
from keysafe.spec import RateLimit, WeightScope, find_endpoint

try:  # orjson is faster when present; json is the fallback
    import orjson

    def dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover
    import json

    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
_KNOWN_PATHS = {p for (_m, p) in HANDLERS}


class Exchange:
    """Everything the sandbox knows; one instance per server. Safe to drive from another thread."""

    def __init__(self, config: SandboxConfig | None = None, keys: str | Path | list | None = None) -> None:
        self.config = config or SandboxConfig()
        self.keys = KeyStore()
        self.market = Market(self.config.seed)
        self.engine = Engine(self.market)
        self.limiter = IpLimiter(self.config.scale, self.config.ban_after_429s)
        self.orders = OrderCounter(self.config.scale)
        self.log = RecordLog(self.config.record_limit)
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()
        if isinstance(keys, (str, Path)):
            self.keys.load_file(keys)
        elif keys is not None:
            self.keys.load_entries(keys)

    # ------------------------------------------------------------ operator API

    def server_ms(self) -> int:
        return int(time.time() * 1000) + self.config.clock_offset_ms

    def rate_limits(self) -> list[RateLimit]:
        lims = scaled_limits(self.config.scale)
        return [lims["weight"], lims["orders_10S"], lims["orders_1D"], lims["raw"]]

    def create_key(self, label: str = "", key_type: str = "hmac", public_key_pem: str | None = None,
                   ip_whitelist: Any = (), account: str = "default", **permissions: Any) -> CreatedKey:
        return self.keys.create(label=label, key_type=key_type, public_key_pem=public_key_pem,
                                ip_whitelist=ip_whitelist, account=account, **permissions)

    def delete_key(self, api_key: str) -> bool:
        return self.keys.delete(api_key)

    def configure(self, **knobs: Any) -> dict[str, object]:
        return self.config.update(**knobs)

    def records(self, since: int | None = None) -> list[RequestRecord]:
        return self.log.list(since)

    def set_balance(self, account: str, asset: str, amount: Decimal | str) -> None:
        try:
            self.engine.set_balance(account, asset, amount)
        except (ArithmeticError, ValueError):
            raise ConfigurationError(f"Balance {str(amount)[:30]!r} for {asset} is not a non-negative decimal.",
                                     'Pass a decimal string such as "10000".') from None

    def balances(self, account: str = "default") -> dict[str, tuple[str, str]]:
        acct = self.engine.account(account)
        return {a: (str(b[0]), str(b[1])) for a, b in acct.balances.items()}

    def sweep(self, account: str, now: int) -> None:
        first_fills = self.engine.sweep(account, now)
        if first_fills:
            self.orders.first_fill(account, now, first_fills)

    # ------------------------------------------------------------ the request path

    def handle(self, req: Request) -> Response:
        """Answer one API request; never raises."""
        now = self.server_ms()
        ep = find_endpoint(req.method, req.path)
        ip = req.client_ip
        weight = 0
        headers: list[tuple[str, str]] = []
        limiter = self.limiter
        try:
            if ep is None:
                ban = limiter.check_ban(ip, now)
                if ban is not None:
                    raise self._ban_error(ban)
                limiter.charge(ip, 1, now)
                weight = 1
                status = 405 if req.path in _KNOWN_PATHS else 404
                raise ApiError(-1020, "This operation is not supported.", status)
            # 1. IP ban, 2. weight and raw requests
            qpairs, qerr = parse_params(req.query)
            bpairs, berr = parse_params(req.body) if req.method != "GET" and req.body else ([], None)
            params, merr = merge_params(qpairs, bpairs)
            try:
                weight = ep.weight(params)
            except Exception:  # noqa: BLE001 - a malformed parameter falls back to the base weight
                weight = ep.weight({})
            if ep.is_sapi:
                if ep.scope is WeightScope.IP:
                    self._charge_sapi(limiter.sapi_ip, (ip, ep.path), weight, now, headers, "IP")
            else:
                ban = limiter.check_ban(ip, now)
                if ban is not None:
                    weight = 0
                    raise self._ban_error(ban)
                rejection = limiter.charge(ip, weight, now)
                if rejection is not None:
                    weight = 0
                    raise self._ban_error(rejection) if rejection.kind == "ban" else self._limit_error(rejection)
            # injected "execution status unknown", before anything ran
            inject = self.config.error_rate and self._rng.random() < self.config.error_rate
            if inject and self._rng.random() < 0.5:
                raise err(-1007)
            # 3. parameters (and the X-MBX-TIME-UNIT header of the Spot API)
            micros = req.time_unit is not None and not ep.is_sapi and wants_microseconds(req.time_unit)
            for problem in (qerr, berr, merr):
                if problem is not None:
                    raise problem
            validate_params(ep, params)
            ctx = Ctx(self, params, now, ip)
            if ep.security.signed:
                # 4. key, 5. recvWindow and timestamp, 6. signature, 7. timing
                key = check_key(ep, req.api_key, ip, self.keys, now)
                if ep.is_sapi and ep.scope is WeightScope.UID:
                    self._charge_sapi(limiter.sapi_uid, (key.account, ep.path), weight, now, headers, "UID")
                ctx.key = key
                ctx.recv_window = recv_window_ms(params)
                ctx.ts = timestamp_ms(params)
                check_signature(req, key)
                check_timing(ctx.ts, ctx.recv_window, now)
            # 8. the endpoint itself
            handler = HANDLERS.get(ep.key)
            if handler is None:
                raise err(-1020)
            result = handler(ctx)
            body = dumps(to_microseconds(result, ep.path) if micros else result)
            if ctx.succeeded_order_call and ep.zero_weight_on_success and not ep.is_sapi:
                limiter.refund(ip, weight, now)
                weight = 0
            headers.extend(ctx.headers)
            if inject:  # it ran, but the client is told the outcome is unknown
                raise err(-1007)
            resp = Response(200, body, headers)
        except ApiError as exc:
            headers.extend(exc.headers)
            resp = Response(exc.status, dumps({"code": exc.code, "msg": exc.msg}), headers, exc.code)
        except Exception:  # noqa: BLE001 - never a traceback to the client
            resp = Response(500, dumps({"code": -1000, "msg": ERRORS_UNKNOWN}), headers, -1000)
        headers.append((WEIGHT_HEADER, str(limiter.used_weight(ip, now))))
        self._record(req, now, weight, resp)
        return resp

    def _record(self, req: Request, now: int, weight: int, resp: Response) -> None:
        # the key named in X-MBX-APIKEY, whatever the outcome (Binance lists rejected calls in the
        # key's Recent Activity too); the fingerprint only, never the key
        fingerprint, label = self.keys.identity(req.api_key)
        self.log.add(now, req.client_ip, fingerprint, label, req.method, req.path, weight, resp.status, resp.code)

    def reject(self, req: Request, error: ApiError) -> Response:
        """Answer ``req`` with ``error`` before the pipeline runs (e.g. a body too large), recorded."""
        now = self.server_ms()
        headers = list(error.headers)
        resp = Response(error.status, dumps({"code": error.code, "msg": error.msg}), headers, error.code)
        headers.append((WEIGHT_HEADER, str(self.limiter.used_weight(req.client_ip, now))))
        self._record(req, now, 0, resp)
        return resp

    def _charge_sapi(self, window, slot, weight: int, now: int, headers: list, scope: str) -> None:
        name = f"X-SAPI-USED-{scope}-WEIGHT-1M"
        if window.would_exceed(slot, weight, now):
            headers.append((name, str(window.used(slot, now))))
            lim = window.limit
            raise err(-1003, 1, lim.limit, window_text(lim),
                      headers=[("Retry-After", str(retry_after_seconds(window.remaining_ms(now))))])
        headers.append((name, str(window.add(slot, weight, now))))

    def _ban_error(self, ban) -> ApiError:
        return err(-1003, 2, ban.banned_until, status=418,
                   headers=[("Retry-After", str(retry_after_seconds(ban.retry_after_ms)))])

    def _limit_error(self, rejection) -> ApiError:
        retry = [("Retry-After", str(retry_after_seconds(rejection.retry_after_ms)))]
        if rejection.kind == "raw":
            return err(-1003, 0, headers=retry)
        lim = rejection.limit
        return err(-1003, 1, lim.limit, window_text(lim), headers=retry)


ERRORS_UNKNOWN = "An unknown error occurred while processing the request."
