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
    """A bounded, thread-safe log of :class:`RequestRecord` (oldest dropped first)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._items: deque[RequestRecord] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> None:
        self._items.append(record)  # deque.append is atomic

    def list(self, since: int | None = None) -> list[RequestRecord]:
        with self._lock:
            items = list(self._items)
        if since is not None:
            items = [r for r in items if r.time >= since]
        return items

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
