"""``memory://``: one budget for the threads of one process (a lock around plain dicts)."""

from __future__ import annotations

import threading

from keysafe.governor import _algorithm
from keysafe.governor.model import AcquireRequest, AcquireResult, Claim, Counter, SettleItem


class _Ops:
    def __init__(self) -> None:
        self.counters: dict[str, tuple[Counter, int]] = {}
        self.freezes: dict[str, int] = {}
        self.claims: dict[str, dict[str, Claim]] = {}

    def get_counter(self, key: str) -> Counter:
        entry = self.counters.get(key)
        return entry[0] if entry else Counter()

    def put_counter(self, key: str, counter: Counter, expires_ms: int) -> None:
        self.counters[key] = (counter, expires_ms)

    def get_freeze(self, key: str) -> int:
        return self.freezes.get(key, 0)

    def put_freeze(self, key: str, until_ms: int) -> None:
        self.freezes[key] = until_ms

    def get_claims(self, scope: str) -> list[Claim]:
        return list(self.claims.get(scope, {}).values())

    def put_claim(self, scope: str, claim: Claim) -> None:
        self.claims.setdefault(scope, {})[claim.id] = claim

    def delete_claim(self, scope: str, claim_id: str) -> None:
        self.claims.get(scope, {}).pop(claim_id, None)

    def purge(self, now_ms: int) -> None:
        for key in [k for k, (_c, exp) in self.counters.items() if exp <= now_ms]:
            del self.counters[key]


class MemoryStorage:
    """Budgets in this process's memory. Shared by every client given the same object."""

    #: the governor may spend small local leases of the budget (keysafe.governor.lease): most
    #: requests then skip the lock and the algorithm (half the cost of a request's acquire + settle)
    local_lease = True

    def __init__(self, uri: str = "memory://") -> None:
        self.uri = uri
        self._ops = _Ops()
        self._lock = threading.Lock()
        self._ops_count = 0
        self._meta: dict[str, str] = {}

    def acquire(self, request: AcquireRequest) -> AcquireResult:
        with self._lock:
            self._ops_count += 1
            if self._ops_count % 1024 == 0:
                self._ops.purge(request.now_ms)
            return _algorithm.acquire(self._ops, request)

    def settle(self, items: list[SettleItem], now_ms: int) -> None:
        with self._lock:
            _algorithm.settle(self._ops, items)

    def get_meta(self, name: str) -> str | None:
        """A small shared value (the limits learnt from exchangeInfo), or None."""
        return self._meta.get(name)

    def put_meta(self, name: str, value: str) -> None:
        self._meta[name] = value

    def freeze(self, key: str, until_ms: int) -> int:
        with self._lock:
            return _algorithm.freeze(self._ops, key, until_ms)

    def frozen_until(self, keys: tuple[str, ...]) -> int:
        with self._lock:
            return max((self._ops.get_freeze(k) for k in keys), default=0)

    def release_claim(self, scope: str, claim_id: str) -> None:
        with self._lock:
            self._ops.delete_claim(scope, claim_id)

    def counters(self, keys: list[str]) -> dict[str, Counter]:
        with self._lock:
            return {k: self._ops.get_counter(k) for k in keys}

    def reset(self) -> None:
        with self._lock:
            self._ops = _Ops()

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return "MemoryStorage()"
