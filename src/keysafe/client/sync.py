"""``keysafe.Client``: the blocking client over ``httpx.Client`` (keep-alive, one pool)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from keysafe.client import orders
from keysafe.client._base import ClientBase
from keysafe.client.pipeline import RESYNC, RETRY_AFTER_FREEZE, NetworkError, Prepared
from keysafe.client.responses import Response
from keysafe.clock import Sample
from keysafe.errors import ExecutionStatusUnknown, NoSuchOrderError
from keysafe.governor import Reservation

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Client(ClientBase):
    """A Binance Spot REST client with a scope guard, a shared rate budget and a server clock.

    >>> from keysafe import Client
    >>> c = Client.from_env()                          # doctest: +SKIP
    >>> c.place_order("BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="50000", timeInForce="GTC")  # doctest: +SKIP
    """

    def __init__(self, credential=None, **kw: Any) -> None:
        super().__init__(credential, **kw)
        transport = httpx.HTTPTransport(local_address=self.local_address, retries=0)
        self._http = httpx.Client(transport=transport, timeout=self.timeout)
        self._ready_lock = threading.RLock()

    # ------------------------------------------------------------ the drive

    def _call(self, method: str, path: str, params: dict[str, Any], transform=None):
        prep = self.pipeline.prepare(method, path, params)
        response = self._execute(prep)
        return transform(response) if transform else response

    def _ready(self) -> None:
        """Before the first call: exchangeInfo's limits, then the server clock (and its refreshes)."""
        if self._limits_loaded and not self.clock.needs_sync():
            return
        with self._ready_lock:
            if not self._limits_loaded:
                try:
                    info = self._execute(self.pipeline.prepare("GET", "/api/v3/exchangeInfo"), internal=True)
                    self._adopt_limits(info.data)
                except Exception as exc:  # noqa: BLE001 - defaults from the spec then
                    if not self._limits_failed(exc):
                        raise
                self._limits_loaded = True
            # windows are aligned to the server's clock, and signed calls need it
            if self.clock.needs_sync():
                self.sync_clock()

    def _execute(self, prep: Prepared, internal: bool = False) -> Response:
        if not internal:
            self._ready()
        pipe = self.pipeline
        while True:
            got = pipe.reserve(prep)
            if not isinstance(got, Reservation):
                time.sleep(got)
                continue
            out = pipe.build(prep)
            if pipe.stale(got, out):  # held up (CPU load) past the windows it was charged to
                continue
            try:
                r = self._http.request(out.method, out.url, headers=out.headers, content=out.content)
            except httpx.HTTPError as exc:
                raise pipe.transport_failed(prep, got, out, exc, sent=not isinstance(exc, _NOT_SENT)) from None
            result = pipe.receive(prep, got, out, r.status_code, r.headers, r.content)
            if result is RESYNC:
                self.sync_clock()
                continue
            if result is RETRY_AFTER_FREEZE:
                continue
            return result

    def sync_clock(self, samples: int | None = None) -> None:
        """Measure the server clock offset now (smallest round trip of several samples wins)."""
        taken = []
        for _ in range(samples or self.clock.samples):
            prep = self.pipeline.prepare("GET", "/api/v3/time")
            r = self._execute(prep, internal=True)
            taken.append(Sample(r.sent_local_ms, float(r.data["serverTime"]), r.received_local_ms))
        self.clock.update(taken)

    # ------------------------------------------------------------ orders

    def place_order(self, symbol: str, side: str, type: str, **params: Any) -> Response:
        """Place an order with a client order id keysafe chose; never places it twice.

        On an unknown outcome (5xx, timeout) the order is looked up by that id: the answer
        is the order if it exists (``response.recovered`` is True), else
        :class:`OrderNotPlacedError` once Binance can no longer accept it.
        """
        prep = self.pipeline.prepare("POST", "/api/v3/order", orders.order_params(symbol, side, type, params))
        try:
            return self._execute(prep)
        except (ExecutionStatusUnknown, NetworkError) as exc:
            if isinstance(exc, NetworkError) and not exc.maybe_executed:
                raise
            return self._resolve(prep, exc)

    def _resolve(self, prep: Prepared, cause: BaseException) -> Response:
        cid = prep.params["newClientOrderId"]
        deadline = (prep.timestamp or self.clock.now_ms()) + float(self.pipeline.recv_window) + orders.SETTLE_MARGIN_MS
        give_up = time.monotonic() + orders.RESOLVE_TIMEOUT_S
        while True:
            try:
                found = self.get_order(prep.params["symbol"], client_order_id=cid)
                return Response(found.status, found.data, found.headers, found.usage, prep.method, prep.path,
                                found.latency_ms, recovered=True)
            except NoSuchOrderError:
                if self.clock.now_ms() > deadline:
                    raise orders.not_placed(cid, cause) from None
            except (ExecutionStatusUnknown, NetworkError):
                if time.monotonic() > give_up:
                    raise orders.still_unknown(cid, cause) from None
            time.sleep(min(0.25, max(0.01, (deadline - self.clock.now_ms()) / 1000)))

    # ------------------------------------------------------------ lifetime

    def close(self) -> None:
        self._http.close()
        if self._owns_governor:
            self.governor.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
