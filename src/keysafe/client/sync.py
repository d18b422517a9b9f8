"""``keysafe.Client``: the blocking client over ``httpx.Client`` (keep-alive, one pool)."""

from __future__ import annotations

import threading
import time
from typing import Any, TypeVar

import httpx

from keysafe.client import program
from keysafe.client._base import ClientBase
from keysafe.client.responses import Response

T = TypeVar("T")


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

    def _run(self, prog: program.Program[T]) -> T:
        """Drive a program (keysafe.client.program) with blocking calls."""
        value: Any = None
        error: BaseException | None = None
        while not isinstance(action := program.resume(prog, value, error), program.Done):
            value = error = None
            try:
                value = self._perform(action)
            except Exception as exc:  # thrown into the program, where it asked for the action
                error = exc
        return action.value

    def _perform(self, action: program.Action) -> Any:
        if isinstance(action, program.Governed):
            return action.step(*action.args, **action.kwargs)
        if isinstance(action, program.Send):
            out = action.out
            return self._http.request(out.method, out.url, headers=out.headers, content=out.content)
        if isinstance(action, program.Sleep):
            time.sleep(action.seconds)
            return None
        with self._ready_lock:  # program.READY: one thread loads the limits and the clock
            return self._run(program.ready(self))

    def _call(self, method: str, path: str, params: dict[str, Any], transform=None):
        return self._run(program.call(self, method, path, params, transform))

    def sync_clock(self, samples: int | None = None) -> None:
        """Measure the server clock offset now (smallest round trip of several samples wins)."""
        self._run(program.sync_clock(self, samples))

    # ------------------------------------------------------------ orders

    def place_order(self, symbol: str, side: str, type: str, **params: Any) -> Response:
        """Place an order with a client order id keysafe chose; never places it twice.

        On an unknown outcome (5xx, timeout) the order is looked up by that id: the answer
        is the order if it exists (``response.recovered`` is True), else
        :class:`OrderNotPlacedError` once Binance can no longer accept it.
        """
        return self._run(program.place_order(self, symbol, side, type, params))

    # ------------------------------------------------------------ lifetime

    def close(self) -> None:
        self._http.close()
        if self._owns_governor:
            self.governor.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
