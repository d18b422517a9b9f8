"""Binance's rate limiters, with the spec's defaults, replaceable by what exchangeInfo says."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: recvWindow maximum in milliseconds (rest-api.md §Timing security).
MAX_RECV_WINDOW_MS = 60_000
DEFAULT_RECV_WINDOW_MS = 5_000

_INTERVAL_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
_INTERVAL_LETTER = {"SECOND": "S", "MINUTE": "M", "HOUR": "H", "DAY": "D"}


class RateLimitType(StrEnum):
    REQUEST_WEIGHT = "REQUEST_WEIGHT"
    ORDERS = "ORDERS"
    RAW_REQUESTS = "RAW_REQUESTS"


@dataclass(frozen=True, slots=True)
class RateLimit:
    type: RateLimitType
    interval: str  # SECOND, MINUTE, HOUR, DAY
    interval_num: int
    limit: int
    #: keysafe extension: the window's true length when a sandbox runs with --scale
    #: (exchangeInfo field ``windowMs``); None means interval x intervalNum.
    window_ms: int | None = None

    @property
    def window_seconds(self) -> float:
        if self.window_ms is not None:
            return self.window_ms / 1000
        return _INTERVAL_SECONDS[self.interval] * self.interval_num

    @property
    def suffix(self) -> str:
        """``1M``, ``10S``, ``1D``: the suffix Binance uses in its usage headers."""
        return f"{self.interval_num}{_INTERVAL_LETTER[self.interval]}"

    @property
    def header(self) -> str | None:
        """The response header that reports this limiter's usage, if Binance sends one."""
        if self.type is RateLimitType.REQUEST_WEIGHT:
            return f"X-MBX-USED-WEIGHT-{self.suffix}"
        if self.type is RateLimitType.ORDERS:
            return f"X-MBX-ORDER-COUNT-{self.suffix}"
        return None

    @property
    def human_interval(self) -> str:
        unit = self.interval.lower()
        return f"{self.interval_num} {unit}s" if self.interval_num != 1 else unit

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rateLimitType": str(self.type),
            "interval": self.interval,
            "intervalNum": self.interval_num,
            "limit": self.limit,
        }
        if self.window_ms is not None:
            data["windowMs"] = self.window_ms
        return data

    def scaled(self, scale: float) -> RateLimit:
        """The limiter with its window and limit divided by ``scale`` (sandbox ``--scale``)."""
        if scale == 1:
            return self
        window_ms = max(1, round(self.window_seconds * 1000 / scale))
        return RateLimit(self.type, self.interval, self.interval_num, max(1, round(self.limit / scale)), window_ms)


DEFAULT_RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(RateLimitType.REQUEST_WEIGHT, "MINUTE", 1, 6000),
    RateLimit(RateLimitType.ORDERS, "SECOND", 10, 50),
    RateLimit(RateLimitType.ORDERS, "DAY", 1, 160_000),
    RateLimit(RateLimitType.RAW_REQUESTS, "MINUTE", 5, 300_000),
)

#: SAPI: every IP-limited endpoint has its own 12,000/min, every UID-limited one 180,000/min.
SAPI_IP_WEIGHT_PER_MINUTE = 12_000
SAPI_UID_WEIGHT_PER_MINUTE = 180_000


def rate_limits_to_exchange_info(limits: Iterable[RateLimit]) -> list[dict[str, Any]]:
    """``limits`` as exchangeInfo's ``rateLimits`` entries (the inverse of the function below)."""
    out = []
    for lim in limits:
        item: dict[str, Any] = {"rateLimitType": lim.type.value, "interval": lim.interval,
                                "intervalNum": lim.interval_num, "limit": lim.limit}
        if lim.window_ms is not None:
            item["windowMs"] = lim.window_ms
        out.append(item)
    return out


def rate_limits_from_exchange_info(
    info: Mapping[str, Any], *, fallback: Iterable[RateLimit] = DEFAULT_RATE_LIMITS
) -> tuple[RateLimit, ...]:
    """The ``rateLimits`` of an exchangeInfo response; entries it cannot read keep the defaults.

    Raises ValueError naming the entry when an item is malformed beyond repair.
    """
    raw = info.get("rateLimits") if isinstance(info, Mapping) else None
    if not isinstance(raw, list) or not raw:
        return tuple(fallback)
    limits: list[RateLimit] = []
    for i, item in enumerate(raw):
        try:
            limits.append(
                RateLimit(
                    RateLimitType(item["rateLimitType"]),
                    str(item["interval"]).upper(),
                    int(item["intervalNum"]),
                    int(item["limit"]),
                    int(item["windowMs"]) if item.get("windowMs") is not None else None,
                )
            )
            if limits[-1].interval not in _INTERVAL_SECONDS or limits[-1].interval_num < 1:
                raise ValueError(item)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"exchangeInfo rateLimits[{i}] is malformed ({exc!r}); expected "
                "rateLimitType, interval, intervalNum and limit"
            ) from None
    return tuple(limits)
