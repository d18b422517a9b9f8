"""The governor's vocabulary, shared by the core and every storage.

A request is turned into :class:`Charge` objects (one per rate limiter it counts
against). A storage applies an :class:`AcquireRequest` atomically: either every charge
fits into every window it may land in, or nothing is reserved and the request gets a
claim (its place in the queue) and a time to come back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Protocol

#: The unseen traffic of the previous window is expected again with this margin.
EXTERNAL_MARGIN = 1.25
#: A window's unseen traffic is only observed up to the last response a caller got in it
#: (callers stop sending once their share is used); the count is extrapolated to the whole
#: window, from at least this fraction of it.
MIN_OBSERVED = 0.5

#: How the X-MBX usage header corrects the local count: "max" never lowers it (weight),
#: "set" follows the server both ways (order counts drop when orders fill).
HEADER_MAX = "max"
HEADER_SET = "set"


@dataclass(frozen=True, slots=True)
class Charge:
    """``cost`` units of one limiter, in each fixed window the request may land in."""

    base: str  # counter key without the window, e.g. "ip:127.0.0.1|REQUEST_WEIGHT|60000"
    limit: int
    window_ms: int
    cost: int
    windows: tuple[int, ...]  # window indices: floor(server_ms / window_ms)
    #: pacing: at a fraction f of a window at most min(1, f + burst) of the limit may be used
    #: (1.0 = no pacing). It leaves other programs on the IP room until the window's end.
    burst: float = 1.0

    def key(self, window: int) -> str:
        return f"{self.base}|{window}"


@dataclass(frozen=True, slots=True)
class AcquireRequest:
    now_ms: int  # server time
    charges: tuple[Charge, ...]
    freeze_keys: tuple[str, ...]
    claim_scope: str
    claim_id: str
    lane: int
    since_ms: int  # when this request first asked (for its place in the queue and its ageing)
    aging_ms: int  # a waiting request moves up one lane per aging_ms
    claim_ttl_ms: int
    poll_ms: int  # come back after this long when only queued requests are in the way
    #: settlements of earlier requests to apply first, in the same atomic step (one transaction
    #: per request instead of two, for the storages that set ``settle_in_acquire``)
    settle_first: tuple[SettleItem, ...] = ()


@dataclass(frozen=True, slots=True)
class AcquireResult:
    granted: bool
    wait_until_ms: int = 0  # server time to try again (when not granted)
    frozen: bool = False
    marks: tuple[int, ...] = ()  # per (charge, window): the window's reserved total after this request


@dataclass(frozen=True, slots=True)
class SettleItem:
    key: str  # counter key with its window
    reserved: int  # what the acquire added
    actual: int  # what the request really cost (0 for a successful order, for instance)
    header: int | None = None  # the server's count for this window, when a header reported it
    header_mode: str = HEADER_MAX
    mark: int = 0  # the window's reserved total right after this request was reserved
    expires_ms: int = 0
    seen_ms: int = 0  # server time (at the earliest) at which the header's figure was counted


@dataclass(slots=True)
class Claim:
    id: str
    lane: int
    since_ms: int
    costs: dict[str, int] = field(default_factory=dict)  # charge base -> cost
    expires_ms: int = 0

    def rank(self, now_ms: int, aging_ms: int) -> tuple[int, int, str]:
        aged = (now_ms - self.since_ms) // max(1, aging_ms)
        return (self.lane - aged, self.since_ms, self.id)

    def dumps(self) -> str:
        return json.dumps([self.lane, self.since_ms, self.costs, self.expires_ms], separators=(",", ":"))

    @classmethod
    def loads(cls, claim_id: str, text: str | bytes) -> Claim:
        lane, since, costs, expires = json.loads(text)
        return cls(claim_id, int(lane), int(since), {str(k): int(v) for k, v in costs.items()}, int(expires))


@dataclass(frozen=True, slots=True)
class Counter:
    used: int = 0  # reserved plus settled weight in this window
    inflight: int = 0  # reserved and not yet settled
    reserved: int = 0  # total ever reserved (a sequence: tells who was sent after whom)
    external: int = 0  # weight the server counted that no caller of this storage reserved (other programs)
    seen: int = 0  # server time of the last header observation in this window (0: none)


def expected_external(limit: int, window_ms: int, previous: list[tuple[int, int, int]]) -> int:
    """The unseen traffic to keep room for in a window, from the ``(external, seen_ms, start_ms)``
    of the windows before it: the largest, extrapolated from the observed part of its window
    to the whole of it, plus :data:`EXTERNAL_MARGIN`; at most half the limit."""
    est = 0.0
    for external, seen, start in previous:
        if external > 0:
            frac = min(1.0, max(MIN_OBSERVED, (seen - start) / window_ms))
            est = max(est, external / frac)
    return min(math.ceil(est * EXTERNAL_MARGIN - 1e-9), limit // 2)


class Storage(Protocol):
    """Where budgets live. Every operation is atomic across every caller sharing the storage."""

    uri: str

    def acquire(self, request: AcquireRequest) -> AcquireResult: ...

    def settle(self, items: list[SettleItem], now_ms: int) -> None: ...

    def freeze(self, key: str, until_ms: int) -> int: ...

    def frozen_until(self, keys: tuple[str, ...]) -> int: ...

    def release_claim(self, scope: str, claim_id: str) -> None: ...

    def counters(self, keys: list[str]) -> dict[str, Counter]: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...
