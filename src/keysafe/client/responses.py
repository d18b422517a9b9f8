"""What a call returns: the parsed JSON with its status, headers and the budget usage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from keysafe.governor.usage import Usage, usage_from_headers
from keysafe.spec.limits import RateLimit


class Response:
    """A successful Binance answer. ``data`` is the parsed JSON (decimals as ``Decimal``/str, never float).

    ``usage`` (read from the X-MBX-* headers on first access) says how much of each limit the
    server has counted in the current window.
    """

    __slots__ = ("status", "data", "headers", "method", "path", "latency_ms", "recovered", "sent_local_ms",
                 "received_local_ms", "_limits", "_usage")

    def __init__(self, status: int, data: Any, headers: Mapping[str, str], usage: Usage | None = None,
                 method: str = "", path: str = "", latency_ms: float = 0.0, *, recovered: bool = False,
                 limits: Iterable[RateLimit] = (), sent_local_ms: float = 0.0,
                 received_local_ms: float = 0.0) -> None:
        self.status = status
        self.data = data
        self.headers = headers
        self.method = method
        self.path = path
        self.latency_ms = latency_ms
        #: True when the answer was recovered by querying after an unknown outcome (orders).
        self.recovered = recovered
        self.sent_local_ms = sent_local_ms
        self.received_local_ms = received_local_ms
        self._limits = tuple(limits)
        self._usage = usage

    @property
    def usage(self) -> Usage:
        if self._usage is None:
            self._usage = usage_from_headers(self.headers, self._limits)
        return self._usage

    def __getitem__(self, key: Any) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default) if isinstance(self.data, Mapping) else default

    def json(self) -> Any:
        return self.data

    def __repr__(self) -> str:
        return f"<Response {self.method} {self.path} [{self.status}] {self.usage}>"
