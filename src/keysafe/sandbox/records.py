"""What the server saw: one record per request, accepted or rejected."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RequestRecord:
    time: int  # server clock, ms
    client_ip: str
    api_key_fingerprint: str | None
    key_label: str | None
    method: str
    path: str
    weight: int
    status: int
    error_code: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RecordLog:
    """A bounded, thread-safe log of requests (oldest dropped first).

    Entries are kept as plain tuples of strings and ints, which the garbage collector
    stops tracking, so a full log costs no GC pauses on the request path.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._items: deque[tuple] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, time: int, client_ip: str, fingerprint: str | None, label: str | None, method: str, path: str,
            weight: int, status: int, error_code: int | None) -> None:
        self._items.append((time, client_ip, fingerprint, label, method, path, weight, status, error_code))

    def list(self, since: int | None = None) -> list[RequestRecord]:
        with self._lock:
            items = list(self._items)
        return [RequestRecord(*t) for t in items if since is None or t[0] >= since]

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
