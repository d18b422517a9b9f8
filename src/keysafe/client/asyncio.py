"""``keysafe.AsyncClient``: the same pipeline over ``httpx.AsyncClient``.

Waiting for budget is an ``asyncio.sleep``. The governor's storage operations are short
synchronous calls; those of a storage that talks to a server (Redis: a round trip, and up to
its socket timeout when the server is frozen or gone) run in a worker thread, so the event
loop never waits for them. With such a storage, events are published from that thread.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import httpx

from keysafe.client import program
from keysafe.client._base import ClientBase
from keysafe.client.responses import Response

T = TypeVar("T")


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

    async def _run(self, prog: program.Program[T]) -> T:
        """Drive a program (keysafe.client.program) with ``await``."""
        value: Any = None
        error: BaseException | None = None
        while not isinstance(action := program.resume(prog, value, error), program.Done):
            value = error = None
            try:
                value = await self._perform(action)
            except Exception as exc:  # thrown into the program, where it asked for the action
                error = exc
        return action.value

    async def _perform(self, action: program.Action) -> Any:
        if isinstance(action, program.Governed):
            return await self._governed(action.step, *action.args, **action.kwargs)
        if isinstance(action, program.Send):
            out = action.out
            return await self._http.request(out.method, out.url, headers=out.headers, content=out.content)
        if isinstance(action, program.Sleep):
            await asyncio.sleep(action.seconds)
            return None
        if self._ready_lock is None:  # program.READY: one task loads the limits and the clock
            self._ready_lock = asyncio.Lock()
        async with self._ready_lock:
            return await self._run(program.ready(self))

    async def _call(self, method: str, path: str, params: dict[str, Any], transform=None):
        return await self._run(program.call(self, method, path, params, transform))

    async def sync_clock(self, samples: int | None = None) -> None:
        await self._run(program.sync_clock(self, samples))

    async def place_order(self, symbol: str, side: str, type: str, **params: Any) -> Response:
        """See :meth:`keysafe.Client.place_order`."""
        return await self._run(program.place_order(self, symbol, side, type, params))

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._owns_governor:
            await self._governed(self.governor.close)

    close = aclose

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
