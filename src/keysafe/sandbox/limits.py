"""Binance's limiters as fixed windows aligned to the server clock.

Window start = floor(server_ms / window_ms) * window_ms, so every window of every IP or
account begins and ends at the same instants, as Binance's do. With ``scale`` S every
window, limit and ban duration is divided by S.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from keysafe.spec import DEFAULT_RATE_LIMITS, RateLimit, RateLimitType
from keysafe.spec.limits import SAPI_IP_WEIGHT_PER_MINUTE, SAPI_UID_WEIGHT_PER_MINUTE

BAN_MIN_MS = 2 * 60 * 1000
BAN_MAX_MS = 3 * 24 * 3600 * 1000


def retry_after_seconds(ms: float) -> int:
    """Retry-After as Binance sends it: whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(ms / 1000))


def window_text(limit: RateLimit) -> str:
    """``1 MINUTE`` for Binance's own windows; the true length when scaled (``6 SECOND``)."""
    if limit.window_ms is None:
        return f"{limit.interval_num} {limit.interval}"
    if limit.window_ms % 1000 == 0:
        return f"{limit.window_ms // 1000} SECOND"
    return f"{limit.window_ms} MILLISECOND"


class FixedWindow:
    """Usage per key within the current aligned window."""

    __slots__ = ("limit", "window_ms", "_state")

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self.window_ms = int(limit.window_seconds * 1000)
        self._state: dict[object, list[int]] = {}  # key -> [window_start, used]

    def start(self, now_ms: int) -> int:
        return now_ms // self.window_ms * self.window_ms

    def used(self, key: object, now_ms: int) -> int:
        st = self._state.get(key)
        if st is None or st[0] != now_ms // self.window_ms * self.window_ms:
            return 0
        return st[1]

    def _slot(self, key: object, now_ms: int) -> list[int]:
        start = now_ms // self.window_ms * self.window_ms
        st = self._state.get(key)
        if st is None or st[0] != start:
            if len(self._state) > 50_000:
                self._state = {k: v for k, v in self._state.items() if v[0] == start}
            st = self._state[key] = [start, 0]
        return st

    def add(self, key: object, amount: int, now_ms: int) -> int:
        st = self._slot(key, now_ms)
        st[1] = max(0, st[1] + amount)
        return st[1]

    def would_exceed(self, key: object, amount: int, now_ms: int) -> bool:
        return self.used(key, now_ms) + amount > self.limit.limit

    def remaining_ms(self, now_ms: int) -> int:
        return self.start(now_ms) + self.window_ms - now_ms


def scaled_limits(scale: float) -> dict[str, RateLimit]:
    out = {}
    for lim in DEFAULT_RATE_LIMITS:
        s = lim.scaled(scale)
        name = {RateLimitType.REQUEST_WEIGHT: "weight", RateLimitType.RAW_REQUESTS: "raw"}.get(lim.type)
        out[name or f"orders_{lim.suffix}"] = s
    return out


@dataclass
class Rejection:
    kind: str  # "weight", "raw", "ban", "sapi", "orders"
    retry_after_ms: int
    limit: RateLimit | None = None
    banned_until: int | None = None


class IpLimiter:
    """Request weight and raw requests per IP, 429s and escalating 418 bans."""

    def __init__(self, scale: float = 1.0, ban_after_429s: int = 5) -> None:
        self.scale = scale
        lims = scaled_limits(scale)
        self.weight = FixedWindow(lims["weight"])
        self.raw = FixedWindow(lims["raw"])
        self.ban_after = ban_after_429s
        self.strikes = FixedWindow(lims["weight"])  # 429s collected in the current weight window
        self.banned_until: dict[str, int] = {}
        self.ban_level: dict[str, int] = {}
        sapi_ip = RateLimit(RateLimitType.REQUEST_WEIGHT, "MINUTE", 1, SAPI_IP_WEIGHT_PER_MINUTE).scaled(scale)
        sapi_uid = RateLimit(RateLimitType.REQUEST_WEIGHT, "MINUTE", 1, SAPI_UID_WEIGHT_PER_MINUTE).scaled(scale)
        self.sapi_ip = FixedWindow(sapi_ip)
        self.sapi_uid = FixedWindow(sapi_uid)

    def ban_duration_ms(self, level: int) -> int:
        return max(1, round(min(BAN_MIN_MS * 2**level, BAN_MAX_MS) / self.scale))

    def check_ban(self, ip: str, now_ms: int) -> Rejection | None:
        until = self.banned_until.get(ip)
        if until is None:
            return None
        if now_ms >= until:
            del self.banned_until[ip]
            return None
        return Rejection("ban", until - now_ms, self.weight.limit, until)

    def charge(self, ip: str, weight: int, now_ms: int) -> Rejection | None:
        """Charge one request of ``weight``; a Rejection if a limit is exceeded (429, or 418 once banned)."""
        if self.raw.would_exceed(ip, 1, now_ms):
            return self._strike(ip, now_ms, Rejection("raw", self.raw.remaining_ms(now_ms), self.raw.limit))
        self.raw.add(ip, 1, now_ms)
        if self.weight.would_exceed(ip, weight, now_ms):
            return self._strike(ip, now_ms, Rejection("weight", self.weight.remaining_ms(now_ms), self.weight.limit))
        self.weight.add(ip, weight, now_ms)
        return None

    def _strike(self, ip: str, now_ms: int, rejection: Rejection) -> Rejection:
        strikes = self.strikes.add(ip, 1, now_ms)
        if strikes > self.ban_after:
            level = self.ban_level.get(ip, 0)
            self.ban_level[ip] = level + 1
            until = now_ms + self.ban_duration_ms(level)
            self.banned_until[ip] = until
            return Rejection("ban", until - now_ms, self.weight.limit, until)
        return rejection

    def refund(self, ip: str, weight: int, now_ms: int) -> None:
        if weight:
            self.weight.add(ip, -weight, now_ms)

    def used_weight(self, ip: str, now_ms: int) -> int:
        return self.weight.used(ip, now_ms)

    def reset(self) -> None:
        for w in (self.weight, self.raw, self.strikes, self.sapi_ip, self.sapi_uid):
            w._state.clear()
        self.banned_until.clear()
        self.ban_level.clear()


class OrderCounter:
    """The unfilled order count per account over the ORDERS windows (10 s and 1 day)."""

    def __init__(self, scale: float = 1.0) -> None:
        lims = scaled_limits(scale)
        self.windows = [FixedWindow(lims[k]) for k in sorted(lims) if k.startswith("orders_")]
        # shortest window first: 10S then 1D
        self.windows.sort(key=lambda w: w.window_ms)

    def counts(self, account: str, now_ms: int) -> list[tuple[RateLimit, int]]:
        return [(w.limit, w.used(account, now_ms)) for w in self.windows]

    def check(self, account: str, amount: int, now_ms: int) -> Rejection | None:
        for w in self.windows:
            if w.would_exceed(account, amount, now_ms):
                return Rejection("orders", w.remaining_ms(now_ms), w.limit)
        return None

    def add(self, account: str, amount: int, now_ms: int) -> None:
        day = self.windows[-1]
        day_full = day.used(account, now_ms) >= day.limit.limit
        for w in self.windows:
            if w is not day and day_full:
                continue  # the SECOND count stops once the DAY count is exceeded (2025-04-07)
            w.add(account, amount, now_ms)

    def first_fill(self, account: str, now_ms: int, amount: int = 1) -> None:
        for w in self.windows:
            w.add(account, -amount, now_ms)

    def headers(self, account: str, now_ms: int) -> list[tuple[str, str]]:
        return [(lim.header or "", str(n)) for lim, n in self.counts(account, now_ms)]
