"""The request pipeline, free of I/O: what happens before and after the bytes travel.

    prepare  -> scope guard (environment, plain http, withdrawals, permissions), endpoint, weight
    reserve  -> the governor's shared budget (or when to come back)
    build    -> timestamp from the server clock, exact payload, signature
    receive  -> parse, settle the budget from X-MBX-* headers, freeze on 429/418,
                map errors, ask for a clock resync on -1021, publish one activity event

The sync client, the async client (and a signing gateway) drive the same object and
only add the transport. Nothing here sleeps or opens a socket.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from keysafe.clock import ServerClock
from keysafe.credentials import Credential
from keysafe.errors import (
    BinanceAPIError,
    ConfigurationError,
    EnvironmentMismatchError,
    IPBannedError,
    KeysafeError,
    OrderRateLimitError,
    RateLimitError,
    ScopeError,
    TimestampError,
    error_from_response,
)
from keysafe.events import ActivityEvent, EventBus
from keysafe.governor import Governor, Reservation, Wait
from keysafe.governor.core import exhausted
from keysafe.governor.usage import Usage, usage_from_headers
from keysafe.signing import build_payload, sign_payload
from keysafe.spec import MAX_RECV_WINDOW_MS, Endpoint, Environment, Permission, find_endpoint
from keysafe.spec.environments import environment_for_url, is_loopback_host

from keysafe.client.responses import Response

_ORDER_FIELDS = ("symbol", "side", "type", "quantity", "price")


class NetworkError(KeysafeError):
    """The request did not get an answer (connection refused, timeout, reset)."""

    def __init__(self, message: str, remedy: str = "", *, maybe_executed: bool = False) -> None:
        self.maybe_executed = maybe_executed
        super().__init__(message, remedy)


@dataclass(slots=True)
class Prepared:
    """One logical request, kept across its attempts (a -1021 retry, a wait in the queue)."""

    method: str
    path: str
    endpoint: Endpoint
    params: dict[str, Any]
    weight: int
    orders: int
    claim_id: str = ""
    since_ms: int | None = None
    attempts: int = 0
    resyncs: int = 0
    rate_retries: int = 0
    timestamp: int | None = None  # of the last attempt, server ms


@dataclass(frozen=True, slots=True)
class Outgoing:
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    sent_local_ms: float
    sent_server_ms: int


class Resync:
    """-1021: resynchronise the clock and send again (the request was not executed)."""


class RetryAfterFreeze:
    """429 while waiting is allowed: the budget is frozen; send again when it thaws."""


RESYNC = Resync()
RETRY_AFTER_FREEZE = RetryAfterFreeze()


class Pipeline:
    """Everything about a request except moving its bytes. Thread-safe."""

    def __init__(
        self,
        *,
        credential: Credential | None,
        base_url: str | None,
        governor: Governor,
        clock: ServerClock,
        recv_window: float = 5000,
        allow_withdrawals: bool = False,
        events: EventBus | None = None,
        bot: str | None = None,
        local_address: str | None = None,
        on_limit: str = "wait",
        account: str | None = None,
        permissions: Iterable[Permission | str] | None = None,
    ) -> None:
        self.credential = credential
        env = credential.environment if credential is not None else Environment.PRODUCTION
        self.base_url = (base_url or env.default_base_url).rstrip("/")
        self.environment = check_destination(credential, self.base_url)
        if not 0 < float(recv_window) <= MAX_RECV_WINDOW_MS:
            raise ConfigurationError(
                f"recv_window={recv_window} ms is outside Binance's range (0, {MAX_RECV_WINDOW_MS}].",
                "Use 5000 (the default; Binance recommends 5000 or less).",
            )
        if on_limit not in ("wait", "raise"):
            raise ConfigurationError(f"on_limit={on_limit!r} is not 'wait' or 'raise'.",
                                     "Pass on_limit='wait' (the default) or on_limit='raise'.")
        self.recv_window = recv_window
        self.governor = governor
        self.clock = clock
        self.allow_withdrawals = allow_withdrawals
        self.events = events if events is not None else EventBus()
        self.bot = bot
        self.local_address = local_address
        self.on_limit = on_limit
        self.account = account or (credential.fingerprint if credential else None)
        self.permissions = None if permissions is None else frozenset(Permission(p) for p in permissions)
        self._rtts: deque[float] = deque(maxlen=32)
        self._late = 0.0
        self.last_headers: Mapping[str, str] = {}
        self._ids = itertools.count()
        self._id_prefix = f"{os.getpid():x}-{uuid.uuid4().hex[:8]}-"

    # ------------------------------------------------------------ 1. prepare

    def prepare(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Prepared:
        method = method.upper()
        params = {k: v for k, v in (params or {}).items() if v is not None}
        endpoint = find_endpoint(method, path)
        try:
            if endpoint is None:
                raise ScopeError(f"{method} {path} is not in keysafe's endpoint catalogue, so its weight and "
                                 "permission are unknown.", "Use a catalogued endpoint (keysafe.spec.ENDPOINTS).")
            if endpoint.is_withdrawal and not self.allow_withdrawals:
                raise ScopeError(f"{method} {path} moves funds off the exchange and this client was not allowed "
                                 "to withdraw.", "Build the client with allow_withdrawals=True if you mean it.")
            if endpoint.security.needs_key and self.credential is None:
                raise ScopeError(f"{method} {path} needs an API key and this client has none.",
                                 "Build it with Client.from_env(), Client.from_keys(...) or a Credential.")
            if (self.permissions is not None and endpoint.permission is not None
                    and endpoint.permission not in self.permissions):
                raise ScopeError(f"{method} {path} needs {endpoint.permission.value}, which this client's key "
                                 "is not meant to have.", "Use a key whose profile includes it.")
            for name in ("timestamp", "signature"):
                if name in params:
                    raise ConfigurationError(f"'{name}' was passed by hand.", "Leave it out: keysafe sets it.")
            weight = 0 if endpoint.is_sapi else endpoint.weight(params)
        except KeysafeError as exc:
            self.refused(method, path, exc)
            raise
        return Prepared(method, path, endpoint, params, weight, endpoint.order_count,
                        f"{self._id_prefix}{next(self._ids)}")

    # ------------------------------------------------------------ 2. reserve

    def _spread(self) -> tuple[float, float]:
        """How early/late (ms) a request may land relative to the clock's estimate of now."""
        early = self.clock.uncertainty_ms if self.clock.synced else 1000.0
        return early, self._late + early

    def adopt_limits(self, limits) -> bool:
        """The server's limits (exchangeInfo) for the governor; see :meth:`Governor.adopt_limits`."""
        early, late = self._spread()
        return self.governor.adopt_limits(limits, now_ms=int(self.clock.now_ms()), ip=self.local_address,
                                          account=self.account, early_ms=early, late_ms=late)

    def reserve(self, prep: Prepared) -> Reservation | float:
        """Reserve the request's budget; or the seconds to wait; raises when on_limit='raise'."""
        now = self.clock.now_ms()
        if prep.since_ms is None:
            prep.since_ms = now
        early, late = self._spread()
        try:
            got = self.governor.try_acquire(
                weight=prep.weight, orders=prep.orders, now_ms=now, ip=self.local_address, account=self.account,
                lane=prep.endpoint.lane, claim_id=prep.claim_id, since_ms=prep.since_ms, early_ms=early,
                late_ms=late,
            )
        except KeysafeError as exc:
            self.refused(prep.method, prep.path, exc, prep)
            raise
        if isinstance(got, Reservation):
            return got
        assert isinstance(got, Wait)
        delay = max(0.001, (got.until_ms - now) / 1000)
        if self.on_limit == "raise":
            self.governor.release(self.local_address, prep.claim_id)
            exc = exhausted(delay, got.frozen)
            self.refused(prep.method, prep.path, exc, prep)
            raise exc
        return delay

    # ------------------------------------------------------------ 3. build

    def build(self, prep: Prepared) -> Outgoing:
        params = dict(prep.params)
        headers = {"Accept": "application/json"}
        if prep.endpoint.security.needs_key and self.credential is not None:
            headers["X-MBX-APIKEY"] = self.credential.api_key
        now_server = self.clock.now_ms()
        if prep.endpoint.security.signed:
            params.setdefault("recvWindow", self.recv_window)
            prep.timestamp = now_server
            params["timestamp"] = now_server
        in_body = prep.method in ("POST", "PUT")
        payload = build_payload(None, body_params=params) if in_body else build_payload(params)
        if prep.endpoint.security.signed:
            payload = sign_payload(payload, self.credential.signer)
        url = self.base_url + prep.path + (f"?{payload.query}" if payload.query else "")
        content = payload.body.encode("ascii") if payload.body else None
        if content is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        prep.attempts += 1
        return Outgoing(prep.method, url, headers, content, self.clock.local_ms(), now_server)

    def stale(self, reservation: Reservation, out: Outgoing) -> bool:
        """True (and the reservation given back) when the request is about to leave so long after it
        was reserved (a busy CPU, a paused process) that it may land outside the windows it was
        charged to; the caller then reserves again."""
        now = out.sent_server_ms
        guard = self.governor.guard_ms
        if now - reservation.sent_ms <= guard / 2:
            return False  # the guard band covers it
        early, late = self._spread()
        lease = reservation.lease
        if lease is not None:
            moved = now - early - guard < lease.lo or now + late + guard > lease.hi
        else:
            moved = any((now - early) // ch.window_ms < ch.windows[0] or (now + late) // ch.window_ms > ch.windows[-1]
                        for ch in reservation.charges)
        if moved:
            self.governor.settle(reservation, actual_weight=0, orders_counted=False)
        return moved

    # ------------------------------------------------------------ 4. receive

    def receive(
        self,
        prep: Prepared,
        reservation: Reservation,
        out: Outgoing,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response | Resync | RetryAfterFreeze:
        received = self.clock.local_ms()
        latency = max(0.0, received - out.sent_local_ms)
        rtts = self._rtts
        rtts.append(latency)
        if latency > self._late or len(rtts) % 8 == 0:  # the 90th percentile of recent round trips
            self._late = sorted(rtts)[int(len(rtts) * 0.9)]
        early = self.clock.uncertainty_ms + self.governor.guard_ms
        arrival = (int(out.sent_server_ms - early), int(out.sent_server_ms + latency + early))
        succeeded = 200 <= status < 300
        unknown = status >= 500
        self.governor.settle(
            reservation,
            actual_weight=prep.endpoint.settled_weight(prep.params, succeeded) if not prep.endpoint.is_sapi else 0,
            orders_counted=succeeded or unknown,
            headers=headers,
            arrival_range=arrival,
        )
        self.last_headers = headers
        if succeeded:
            try:
                data = json.loads(body or b"null", parse_float=Decimal)
            except ValueError:
                data = body.decode("utf-8", "replace")
            response = Response(status, data, headers, None, prep.method, prep.path, latency,
                                limits=self.governor.limits, sent_local_ms=out.sent_local_ms,
                                received_local_ms=received)
            if self.events:
                self.publish(prep, out, status, None, "ok", latency, response.usage)
            return response
        error = error_from_response(status, body, headers, endpoint=f"{prep.method} {prep.path}")
        self.publish(prep, out, status, error.code, "unknown" if unknown else "error", latency,
                     usage_from_headers(headers, self.governor.limits))
        if isinstance(error, RateLimitError):
            retry_after = error.retry_after if error.retry_after is not None else 1.0
            until = self.clock.now_ms() + int(retry_after * 1000)
            if isinstance(error, OrderRateLimitError):
                self.governor.freeze(account=self.account, until_ms=until)
            else:
                self.governor.freeze(ip=self.local_address, until_ms=until)
            if self.on_limit == "wait" and not isinstance(error, IPBannedError) and prep.rate_retries < 3:
                prep.rate_retries += 1
                return RETRY_AFTER_FREEZE
            raise error
        if isinstance(error, TimestampError) and prep.resyncs == 0:
            prep.resyncs += 1
            self.clock.invalidate()
            return RESYNC
        raise error

    def transport_failed(self, prep: Prepared, reservation: Reservation, out: Outgoing, exc: BaseException,
                         *, sent: bool) -> NetworkError:
        """The exception to raise when no answer came back; settles the budget as reserved."""
        latency = max(0.0, self.clock.local_ms() - out.sent_local_ms)
        self.governor.settle(reservation, orders_counted=sent)
        host = urlsplit(self.base_url).netloc
        self.publish(prep, out, None, None, "unknown" if sent else "error", latency,
                     usage_from_headers(self.last_headers, self.governor.limits))
        if sent:
            return NetworkError(
                f"No answer from {host} for {prep.method} {prep.path} ({type(exc).__name__}); it may have executed.",
                "Query the outcome before sending again (place_order does this itself).", maybe_executed=True)
        return NetworkError(f"Cannot reach {host} ({type(exc).__name__}: {exc}).",
                            "Check the base URL, the network and local_address.")

    # ------------------------------------------------------------ clock

    def clock_sample_request(self) -> Prepared:
        return self.prepare("GET", "/api/v3/time")

    # ------------------------------------------------------------ events

    def publish(self, prep: Prepared, out: Outgoing | None, status: int | None, code: int | None, outcome: str,
                latency: float, usage: Usage) -> None:
        if not self.events:
            return
        p = prep.params
        notional = None
        if prep.endpoint.places_orders and p.get("price") is not None and p.get("quantity") is not None:
            try:
                notional = str(Decimal(str(p["price"])) * Decimal(str(p["quantity"])))
            except ArithmeticError:
                notional = None
        fields = {k: (str(p[k]) if p.get(k) is not None else None) for k in _ORDER_FIELDS}
        self.events.publish(ActivityEvent(
            time=(out.sent_local_ms / 1000) if out else time.time(),
            method=prep.method, path=prep.path, environment=self.environment.value,
            key_label=self.credential.label if self.credential else None,
            key_fingerprint=self.credential.fingerprint if self.credential else None,
            weight=prep.weight, status=status, error_code=code, outcome=outcome, latency_ms=round(latency, 3),
            used_weight=usage.used_weight, order_count_10s=usage.order_count_10s, bot=self.bot,
            client_ip=self.local_address, symbol=fields["symbol"], side=fields["side"],
            order_type=fields["type"], quantity=fields["quantity"], price=fields["price"], notional=notional,
        ))

    def refused(self, method: str, path: str, exc: BaseException, prep: Prepared | None = None) -> None:
        """Publish the event of a request that was never sent."""
        if not self.events:
            return
        code = getattr(exc, "code", None)
        p = prep.params if prep else {}
        self.events.publish(ActivityEvent(
            time=time.time(), method=method, path=path, environment=self.environment.value,
            key_label=self.credential.label if self.credential else None,
            key_fingerprint=self.credential.fingerprint if self.credential else None,
            weight=prep.weight if prep else 0, status=None, error_code=code, outcome="refused", bot=self.bot,
            client_ip=self.local_address, symbol=str(p["symbol"]) if p.get("symbol") else None,
        ))

    def usage(self) -> Usage:
        return self.governor.usage(now_ms=self.clock.now_ms(), ip=self.local_address, account=self.account)


def check_destination(credential: Credential | None, base_url: str) -> Environment:
    """The environment of ``base_url``; raises when the credential belongs to another one."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url {base_url!r} is not an http(s) URL.",
                                 "Use e.g. https://api.binance.com or the sandbox's http://127.0.0.1:PORT.")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise EnvironmentMismatchError(
            f"Refusing plain http to {parts.hostname}: the API key and signed requests would cross the network "
            "unencrypted.", "Use https (plain http is only allowed to a loopback sandbox).")
    env = environment_for_url(base_url)
    if credential is not None and env is not credential.environment:
        who = f"'{credential.label}' ({credential.masked_key})" if credential.label else credential.masked_key
        where = (f"the {env.value} server {parts.hostname}" if env
                 else f"{parts.hostname}, which is no known Binance server")
        raise EnvironmentMismatchError(
            f"The {credential.environment.value} key {who} was about to be sent to {where}.",
            f"Use a {env.value if env else 'matching'} key there, or {credential.environment.default_base_url} "
            "for this key.")
    return env or Environment.PRODUCTION


__all__ = ["BinanceAPIError", "NetworkError", "Outgoing", "Pipeline", "Prepared", "Response", "check_destination"]
