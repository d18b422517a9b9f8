"""``keysafe.AsyncClient``: the same pipeline over ``httpx.AsyncClient``.

Waiting for budget is an ``asyncio.sleep``. The governor's storage operations are short
synchronous calls; those of a storage that talks to a server (Redis: a round trip, and up to
its socket timeout when the server is frozen or gone) run in a worker thread, so the event
loop never waits for them. With such a storage, events are published from that thread.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from keysafe.client import orders
from keysafe.client._base import ClientBase
from keysafe.client.pipeline import RESYNC, RETRY_AFTER_FREEZE, NetworkError, Prepared
from keysafe.client.responses import Response
from keysafe.client.sync import _NOT_SENT
from keysafe.clock import Sample
from keysafe.errors import ExecutionStatusUnknown, NoSuchOrderError
from keysafe.governor import Reservation


class AsyncClient(ClientBase):
    """``async with AsyncClient.from_env() as c: await c.account()``."""

    def __init__(self, credential=None, **kw: Any) -> None:
        super().__init__(credential, **kw)
        transport = httpx.AsyncHTTPTransport(local_address=self.local_address, retries=0)
        self._http = httpx.AsyncClient(transport=transport, timeout=self.timeout)
        self._ready_lock: asyncio.Lock | None = None
        self._offload = bool(getattr(self.governor.storage, "blocking_io", False))

    async def _governed(self, step, *args: Any, **kw: Any):
        """A pipeline step that touches the governor's storage: in a worker thread when that
        storage does network I/O, else here (microseconds: a thread hop would cost more)."""
        if self._offload:
            return await asyncio.to_thread(step, *args, **kw)
        return step(*args, **kw)

    async def _call(self, method: str, path: str, params: dict[str, Any], transform=None):
        prep = self.pipeline.prepare(method, path, params)
        response = await self._execute(prep)
        return transform(response) if transform else response

    async def _ready(self) -> None:
        if self._limits_loaded and not self.clock.needs_sync():
            return
        if self._ready_lock is None:
            self._ready_lock = asyncio.Lock()
        async with self._ready_lock:
            if not self._limits_loaded:
                try:
                    info = await self._execute(self.pipeline.prepare("GET", "/api/v3/exchangeInfo"), internal=True)
                    self._adopt_limits(info.data)
                except Exception as exc:  # noqa: BLE001
                    if not self._limits_failed(exc):
                        raise
                self._limits_loaded = True
            if self.clock.needs_sync():
                await self.sync_clock()

    async def _execute(self, prep: Prepared, internal: bool = False) -> Response:
        if not internal:
            await self._ready()
        pipe = self.pipeline
        governed = self._governed
        while True:
            got = await governed(pipe.reserve, prep)
            if not isinstance(got, Reservation):
                await asyncio.sleep(got)
                continue
            out = pipe.build(prep)
            if await governed(pipe.stale, got, out):  # held up (CPU load) past the windows it was charged to
                continue
            try:
                r = await self._http.request(out.method, out.url, headers=out.headers, content=out.content)
            except httpx.HTTPError as exc:
                failed = await governed(pipe.transport_failed, prep, got, out, exc, sent=not isinstance(exc, _NOT_SENT))
                raise failed from None
            result = await governed(pipe.receive, prep, got, out, r.status_code, r.headers, r.content)
            if result is RESYNC:
                await self.sync_clock()
                continue
            if result is RETRY_AFTER_FREEZE:
                continue
            return result

    async def sync_clock(self, samples: int | None = None) -> None:
        taken = []
        for _ in range(samples or self.clock.samples):
            r = await self._execute(self.pipeline.prepare("GET", "/api/v3/time"), internal=True)
            taken.append(Sample(r.sent_local_ms, float(r.data["serverTime"]), r.received_local_ms))
        self.clock.update(taken)

    async def place_order(self, symbol: str, side: str, type: str, **params: Any) -> Response:
        """See :meth:`keysafe.Client.place_order`."""
        prep = self.pipeline.prepare("POST", "/api/v3/order", orders.order_params(symbol, side, type, params))
        try:
            return await self._execute(prep)
        except (ExecutionStatusUnknown, NetworkError) as exc:
            if isinstance(exc, NetworkError) and not exc.maybe_executed:
                raise
            return await self._resolve(prep, exc)

    async def _resolve(self, prep: Prepared, cause: BaseException) -> Response:
        cid = prep.params["newClientOrderId"]
        deadline = (prep.timestamp or self.clock.now_ms()) + float(self.pipeline.recv_window) + orders.SETTLE_MARGIN_MS
        give_up = time.monotonic() + orders.RESOLVE_TIMEOUT_S
        while True:
            try:
                found = await self.get_order(prep.params["symbol"], client_order_id=cid)
                return Response(found.status, found.data, found.headers, found.usage, prep.method, prep.path,
                                found.latency_ms, recovered=True)
            except NoSuchOrderError:
                if self.clock.now_ms() > deadline:
                    raise orders.not_placed(cid, cause) from None
            except (ExecutionStatusUnknown, NetworkError):
                if time.monotonic() > give_up:
                    raise orders.still_unknown(cid, cause) from None
            await asyncio.sleep(min(0.25, max(0.01, (deadline - self.clock.now_ms()) / 1000)))

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._owns_governor:
            await self._governed(self.governor.close)

    close = aclose

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
