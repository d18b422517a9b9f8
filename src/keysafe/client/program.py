"""The request loop, written once: generators that yield what they need done.

A program (``execute``, ``sync_clock``, ``place_order``, ...) never performs I/O itself. It
yields an :class:`Action` (send this request, sleep this long, run this governor step, load
the limits and the clock) and receives the result, or has the failure thrown in at that
point. :class:`keysafe.Client` drives programs with blocking calls, :class:`keysafe.AsyncClient`
with ``await``; a future driver (the signing gateway) can drive the same programs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from keysafe.client import orders
from keysafe.client.pipeline import RESYNC, RETRY_AFTER_FREEZE, NetworkError, Outgoing, Prepared
from keysafe.client.responses import Response
from keysafe.clock import Sample
from keysafe.errors import ExecutionStatusUnknown, NoSuchOrderError
from keysafe.governor import Reservation

if TYPE_CHECKING:
    from keysafe.client._base import ClientBase

T = TypeVar("T")

#: connection failures after which the request surely did not leave
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Action:
    """Something a program needs its driver to do."""


@dataclass(frozen=True, slots=True)
class Governed(Action):
    """Run a pipeline step that touches the governor's storage (the driver may run it in a thread)."""

    step: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sleep(Action):
    seconds: float


@dataclass(frozen=True, slots=True)
class Send(Action):
    """Send the request; the result is the HTTP response, or the httpx error is thrown in."""

    out: Outgoing


class Ready(Action):
    """Load exchangeInfo's limits and sync the clock, once, under the driver's lock (see :func:`ready`)."""


READY = Ready()

Program = Generator[Action, Any, T]


@dataclass(frozen=True, slots=True)
class Done:
    """A program's result."""

    value: Any


def resume(prog: Program[Any], value: Any = None, error: BaseException | None = None) -> Action | Done:
    """Resume ``prog`` with the result of the action it asked for, or with the error that action
    raised (thrown in where it was asked for): its next action, or :class:`Done`."""
    try:
        return prog.send(value) if error is None else prog.throw(error)
    except StopIteration as stop:
        return Done(stop.value)


def governed(step: Callable[..., Any], *args: Any, **kwargs: Any) -> Governed:
    return Governed(step, args, kwargs)


def execute(c: ClientBase, prep: Prepared, internal: bool = False) -> Program[Response]:
    """Reserve, build, send, receive; again after a resync or a freeze; the response or the typed error."""
    if not internal and not (c._limits_loaded and not c.clock.needs_sync()):
        yield READY
    pipe = c.pipeline
    while True:
        got = yield governed(pipe.reserve, prep)
        if not isinstance(got, Reservation):
            yield Sleep(got)
            continue
        out = pipe.build(prep)
        if (yield governed(pipe.stale, got, out)):  # held up (CPU load) past the windows it was charged to
            continue
        try:
            r = yield Send(out)
        except httpx.HTTPError as exc:
            failed = yield governed(pipe.transport_failed, prep, got, out, exc, sent=not isinstance(exc, NOT_SENT))
            raise failed from None
        result = yield governed(pipe.receive, prep, got, out, r.status_code, r.headers, r.content)
        if result is RESYNC:
            yield from sync_clock(c)
            continue
        if result is RETRY_AFTER_FREEZE:
            continue
        return result


def call(c: ClientBase, method: str, path: str, params: dict[str, Any], transform=None) -> Program[Any]:
    response = yield from execute(c, c.pipeline.prepare(method, path, params))
    return transform(response) if transform else response


def ready(c: ClientBase) -> Program[None]:
    """Before the first call: the server clock (and its refreshes), then exchangeInfo's limits.
    The driver runs this under its lock and only while still needed. The clock comes first:
    windows are aligned to it, and adopting new limits needs to know which windows are current."""
    if c.clock.needs_sync():
        yield from sync_clock(c)
    if not c._limits_loaded:
        try:
            info = yield from execute(c, c.pipeline.prepare("GET", "/api/v3/exchangeInfo"), internal=True)
            yield governed(c._adopt_limits, info.data)
        except Exception as exc:  # noqa: BLE001 - defaults from the spec then
            if not c._limits_failed(exc):
                raise
        c._limits_loaded = True


def sync_clock(c: ClientBase, samples: int | None = None) -> Program[None]:
    """Measure the server clock offset (the smallest round trip of several samples wins)."""
    taken = []
    for _ in range(samples or c.clock.samples):
        r = yield from execute(c, c.pipeline.prepare("GET", "/api/v3/time"), internal=True)
        taken.append(Sample(r.sent_local_ms, float(r.data["serverTime"]), r.received_local_ms))
    c.clock.update(taken)


def place_order(c: ClientBase, symbol: str, side: str, type: str, params: dict[str, Any]) -> Program[Response]:
    """Place with a client order id keysafe chose; on an unknown outcome, look it up by that id."""
    prep = c.pipeline.prepare("POST", "/api/v3/order", orders.order_params(symbol, side, type, params))
    try:
        return (yield from execute(c, prep))
    except (ExecutionStatusUnknown, NetworkError) as exc:
        if isinstance(exc, NetworkError) and not exc.maybe_executed:
            raise
        return (yield from _resolve(c, prep, exc))


def _resolve(c: ClientBase, prep: Prepared, cause: BaseException) -> Program[Response]:
    cid = prep.params["newClientOrderId"]
    deadline = (prep.timestamp or c.clock.now_ms()) + float(c.pipeline.recv_window) + orders.SETTLE_MARGIN_MS
    give_up = time.monotonic() + orders.RESOLVE_TIMEOUT_S
    lookup = {"symbol": prep.params["symbol"], **orders.order_ref(None, cid)}
    while True:
        try:
            found = yield from call(c, "GET", "/api/v3/order", lookup)
            return Response(found.status, found.data, found.headers, found.usage, prep.method, prep.path,
                            found.latency_ms, recovered=True)
        except NoSuchOrderError:
            if c.clock.now_ms() > deadline:
                raise orders.not_placed(cid, cause) from None
        except (ExecutionStatusUnknown, NetworkError):
            if time.monotonic() > give_up:
                raise orders.still_unknown(cid, cause) from None
        yield Sleep(min(0.25, max(0.01, (deadline - c.clock.now_ms()) / 1000)))
