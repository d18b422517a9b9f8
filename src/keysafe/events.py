"""Activity events: one structured record per request, for the monitor and the dashboard.

The client publishes an :class:`ActivityEvent` after every call. Subscribers must be fast
and must not raise (the monitor's writer only enqueues); a subscriber that raises is
counted and skipped, never allowed to break the caller's request.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

_HOST = socket.gethostname()


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    time: float  # epoch seconds when the request was sent
    method: str
    path: str
    environment: str
    key_label: str | None = None
    key_fingerprint: str | None = None  # never the key itself
    weight: int = 0
    status: int | None = None  # HTTP status; None when no response came back
    error_code: int | None = None  # Binance error code
    outcome: str = "ok"  # ok | error | unknown (5xx/timeout) | refused (never sent)
    latency_ms: float = 0.0
    used_weight: int | None = None  # X-MBX-USED-WEIGHT-1M after the call
    order_count_10s: int | None = None
    host: str = field(default=_HOST)
    pid: int = field(default_factory=os.getpid)
    bot: str | None = None
    client_ip: str | None = None
    symbol: str | None = None
    side: str | None = None
    order_type: str | None = None
    quantity: str | None = None  # decimal strings, never floats
    price: str | None = None
    notional: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


Subscriber = Callable[[ActivityEvent], None]


class EventBus:
    """Fan-out of activity events to any number of subscribers, without blocking the caller."""

    def __init__(self) -> None:
        self._subscribers: tuple[Subscriber, ...] = ()
        self._lock = threading.Lock()
        self.failures = 0

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        with self._lock:
            self._subscribers = (*self._subscribers, subscriber)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)

        return unsubscribe

    def publish(self, event: ActivityEvent) -> None:
        for subscriber in self._subscribers:  # tuple snapshot: no lock on the hot path
            try:
                subscriber(event)
            except Exception:  # noqa: BLE001 - a broken subscriber must not break a trade
                self.failures += 1

    def __bool__(self) -> bool:
        return bool(self._subscribers)
