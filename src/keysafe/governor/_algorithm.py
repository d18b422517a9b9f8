"""The reserve and settle rules, written once for the storages that run Python atomically.

The memory storage runs them under a lock, the SQLite storage inside ``BEGIN IMMEDIATE``.
The Redis storage runs the same rules as Lua scripts (storage_redis.py); a test runs the
same scenarios against all three.
"""

from __future__ import annotations

import math
from typing import Protocol

from keysafe.governor.model import (
    HEADER_SET,
    AcquireRequest,
    AcquireResult,
    Claim,
    Counter,
    SettleItem,
    expected_external,
)


class StateOps(Protocol):
    def get_counter(self, key: str) -> Counter: ...

    def put_counter(self, key: str, counter: Counter, expires_ms: int) -> None: ...

    def get_freeze(self, key: str) -> int: ...

    def put_freeze(self, key: str, until_ms: int) -> None: ...

    def get_claims(self, scope: str) -> list[Claim]: ...

    def put_claim(self, scope: str, claim: Claim) -> None: ...

    def delete_claim(self, scope: str, claim_id: str) -> None: ...


def acquire(ops: StateOps, req: AcquireRequest) -> AcquireResult:
    now = req.now_ms
    prefetch = getattr(ops, "prefetch", None)
    if prefetch is not None:  # one round trip for every counter this step reads
        keys = [it.key for it in req.settle_first]
        for charge in req.charges:
            for w in charge.windows:
                keys += (charge.key(w), charge.key(w - 1), charge.key(w - 2))
        prefetch(keys)
    if req.settle_first:
        settle(ops, req.settle_first)
    frozen = max((ops.get_freeze(k) for k in req.freeze_keys), default=0)
    if frozen > now:
        return AcquireResult(False, frozen, frozen=True)

    mine: Claim | None = None
    ahead: dict[str, int] = {}
    claims = ops.get_claims(req.claim_scope)
    if claims:  # somebody is queued: only those ranked before this request go first
        my_rank = Claim(req.claim_id, req.lane, req.since_ms).rank(now, req.aging_ms)
        for claim in claims:
            if claim.id == req.claim_id:
                mine = claim
            elif claim.expires_ms <= now:
                ops.delete_claim(req.claim_scope, claim.id)
            elif claim.rank(now, req.aging_ms) < my_rank:
                for base, cost in claim.costs.items():
                    ahead[base] = ahead.get(base, 0) + cost

    wait_until = 0
    queued_only = True
    counters: list[tuple[str, Counter, int]] = []
    for charge in req.charges:
        for w in charge.windows:
            key = charge.key(w)
            counter = ops.get_counter(key)
            counters.append((key, counter, (w + 3) * charge.window_ms))
            # expect as much unseen traffic (other programs on this IP) as in the last two windows
            wms = charge.window_ms
            p1, p2 = ops.get_counter(charge.key(w - 1)), ops.get_counter(charge.key(w - 2))
            expected = expected_external(charge.limit, wms, [(p1.external, p1.seen, (w - 1) * wms),
                                                             (p2.external, p2.seen, (w - 2) * wms)])
            limit = charge.limit - max(0, expected - counter.external)
            end = (w + 1) * charge.window_ms
            if counter.used + charge.cost > limit:
                queued_only = False
                wait_until = max(wait_until, end)
                continue
            if charge.burst < 1.0:
                start = w * charge.window_ms
                frac = min(1.0, max(0.0, (now - start) / charge.window_ms))
                paced = math.ceil(charge.limit * min(1.0, frac + charge.burst) - 1e-9)
                need = counter.used + ahead.get(charge.base, 0) + charge.cost
                if need > paced:
                    # the moment the pace allows it (never later than the window's end)
                    at = start + int(charge.window_ms * ((need / charge.limit) - charge.burst)) + 1
                    queued_only = False
                    wait_until = max(wait_until, min(end, max(at, now + 1)))
                    continue
            if counter.used + ahead.get(charge.base, 0) + charge.cost > limit:
                wait_until = max(wait_until, min(end, now + req.poll_ms))
    if wait_until:
        me = Claim(req.claim_id, req.lane, req.since_ms, {c.base: c.cost for c in req.charges},
                   now + req.claim_ttl_ms)
        ops.put_claim(req.claim_scope, me)
        return AcquireResult(False, wait_until if not queued_only else min(wait_until, now + req.poll_ms))

    marks: list[int] = []
    i = 0
    for charge in req.charges:
        for _w in charge.windows:
            key, c, expires = counters[i]
            i += 1
            updated = Counter(c.used + charge.cost, c.inflight + charge.cost, c.reserved + charge.cost, c.external,
                              c.seen)
            ops.put_counter(key, updated, expires)
            marks.append(updated.reserved)
    if mine is not None:
        ops.delete_claim(req.claim_scope, req.claim_id)
    return AcquireResult(True, marks=tuple(marks))


def settle(ops: StateOps, items: list[SettleItem] | tuple[SettleItem, ...]) -> None:
    # Every item of a batch was answered before the batch is applied: take them all out of
    # the in-flight count first, so that none of them is mistaken for a request the server
    # had not counted yet when it answered another one (which would invent unseen traffic).
    state: dict[str, list] = {}
    for item in items:
        st = state.get(item.key)
        if st is None:
            c = ops.get_counter(item.key)
            st = state[item.key] = [c, c.used, c.inflight, c.external, c.seen, item.expires_ms]
        st[1] = max(0, st[1] - item.reserved + item.actual)
        st[2] = max(0, st[2] - item.reserved)
        st[5] = max(st[5], item.expires_ms)
    for item in items:
        if item.header is None:
            continue
        st = state[item.key]
        c, used, inflight = st[0], st[1], st[2]
        st[4] = max(st[4], item.seen_ms)
        # Requests reserved after this one was were most likely not yet counted by the
        # server when it answered: add those still in flight to its figure.
        later = min(inflight, max(0, c.reserved - item.mark))
        server_view = item.header + later
        if item.header_mode == HEADER_SET:
            st[1] = server_view
        elif server_view > used:
            st[3] += server_view - used
            st[1] = server_view
    for key, (c, used, inflight, external, seen, expires) in state.items():
        ops.put_counter(key, Counter(used, inflight, c.reserved, external, seen), expires)


def freeze(ops: StateOps, key: str, until_ms: int) -> int:
    until = max(ops.get_freeze(key), until_ms)
    ops.put_freeze(key, until)
    return until
