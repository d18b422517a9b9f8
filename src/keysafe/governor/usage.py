"""Used and remaining budget, as the governor counts it or as Binance's headers report it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from keysafe.spec.limits import RateLimit, RateLimitType


@dataclass(frozen=True, slots=True)
class LimitUsage:
    limit: RateLimit
    used: int | None  # None: unknown (no header for it in this response)

    @property
    def remaining(self) -> int | None:
        return None if self.used is None else max(0, self.limit.limit - self.used)

    @property
    def name(self) -> str:
        return f"{self.limit.type}_{self.limit.suffix}"


@dataclass(frozen=True, slots=True)
class Usage:
    """Per limiter: how much of the current window is used and how much remains."""

    limits: tuple[LimitUsage, ...] = ()
    frozen_until_ms: int | None = None  # server time until which every caller waits (429/418)

    def _find(self, type_: RateLimitType, suffix: str | None = None) -> LimitUsage | None:
        for lu in self.limits:
            if lu.limit.type is type_ and (suffix is None or lu.limit.suffix == suffix):
                return lu
        return None

    def _shortest_orders(self) -> LimitUsage | None:
        orders = [lu for lu in self.limits if lu.limit.type is RateLimitType.ORDERS]
        return min(orders, key=lambda lu: lu.limit.window_seconds, default=None)

    def _longest_orders(self) -> LimitUsage | None:
        orders = [lu for lu in self.limits if lu.limit.type is RateLimitType.ORDERS]
        return max(orders, key=lambda lu: lu.limit.window_seconds, default=None)

    @property
    def used_weight(self) -> int | None:
        lu = self._find(RateLimitType.REQUEST_WEIGHT)
        return lu.used if lu else None

    @property
    def weight_limit(self) -> int | None:
        lu = self._find(RateLimitType.REQUEST_WEIGHT)
        return lu.limit.limit if lu else None

    @property
    def remaining_weight(self) -> int | None:
        lu = self._find(RateLimitType.REQUEST_WEIGHT)
        return lu.remaining if lu else None

    @property
    def order_count_10s(self) -> int | None:
        lu = self._shortest_orders()
        return lu.used if lu else None

    @property
    def order_limit_10s(self) -> int | None:
        lu = self._shortest_orders()
        return lu.limit.limit if lu else None

    @property
    def order_count_1d(self) -> int | None:
        lu = self._longest_orders()
        return lu.used if lu else None

    @property
    def order_limit_1d(self) -> int | None:
        lu = self._longest_orders()
        return lu.limit.limit if lu else None

    def to_json(self) -> dict[str, object]:
        return {lu.name: {"used": lu.used, "limit": lu.limit.limit, "remaining": lu.remaining} for lu in self.limits}

    def __str__(self) -> str:
        parts = [f"{lu.name} {lu.used if lu.used is not None else '?'}/{lu.limit.limit}" for lu in self.limits
                 if lu.limit.type is not RateLimitType.RAW_REQUESTS]
        return ", ".join(parts) or "no usage known"


def usage_from_headers(headers: Mapping[str, str], limits: Iterable[RateLimit]) -> Usage:
    """The usage Binance reported in a response's X-MBX-USED-WEIGHT-* / X-MBX-ORDER-COUNT-* headers."""
    lower = {k.lower(): v for k, v in headers.items()}
    out = []
    for limit in limits:
        value = lower.get(limit.header.lower()) if limit.header else None
        used: int | None
        try:
            used = int(value) if value is not None else None
        except ValueError:
            used = None
        out.append(LimitUsage(limit, used))
    return Usage(tuple(out))
