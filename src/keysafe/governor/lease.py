"""Local leases: a small slice of a window's budget, claimed in one shared step, spent in memory.

With a storage shared by processes (SQLite), every request would otherwise pay one
transaction on the shared file. A lease is an ordinary reservation with a bigger cost (so
every rule applies to it: pacing, the queue, freezes, room kept for unseen traffic) that
this process then spends request by request without touching the file:

- it is at most :data:`LEASE_SHARE` of the limit and lives at most :data:`LEASE_MS`, inside
  one window of every limiter (never across a boundary); a request must fit the lease's
  time span with its own clock uncertainty and latency, as it would fit a window;
- only requests that count no orders use it (orders keep their exact per-request count);
- a freeze (429/418) is checked in the shared storage before every leased request, so no
  request is sent into a freeze that another process set;
- when it ends, what was really used replaces the slice (the unused part goes back) and the
  last X-MBX-USED-WEIGHT figure seen during it corrects the shared count, as a settle does.

When the window has no room for a whole slice, requests go one by one as before.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from keysafe.governor.model import HEADER_MAX, AcquireRequest, SettleItem

if TYPE_CHECKING:
    from keysafe.governor.core import Governor, Reservation

#: A lease is at most this share of a limit ...
LEASE_SHARE = 0.02
#: ... and is used only when it holds at least this many requests of the asking size.
LEASE_MIN_REQUESTS = 4
#: A lease ends this long (server ms) after it was taken.
LEASE_MS = 20


@dataclass(slots=True)
class Lease:
    reservation: Reservation  # the shared reservation of the whole slice
    lo: int  # server-time span every leased request must land in
    hi: int
    expires: int
    weight_left: int
    raw_left: int
    weight_mid: str
    weight_window: int
    weight_used: int = 0
    raw_used: int = 0
    inflight: int = 0
    header: int | None = None
    seen: int = 0
    retired: bool = False
    finished: bool = False


class LeaseBook:
    """The leases of one governor, one per source IP."""

    def __init__(self, governor: Governor) -> None:
        self.gov = governor
        self._lock = threading.Lock()
        self._leases: dict[str | None, Lease] = {}
        self._off_until: dict[str | None, int] = {}  # no room for a slice: not again before (server ms)

    # ------------------------------------------------------------ spending

    def take(self, ip: str | None, weight: int, now: int, early: float, late: float) -> Reservation | None:
        """A reservation from this IP's lease, or None (no lease, or it cannot carry this request)."""
        from keysafe.governor.core import Reservation

        guard = self.gov.guard_ms
        done = None
        with self._lock:
            lease = self._leases.get(ip)
            if lease is None:
                return None
            if (now >= lease.expires or now - early - guard < lease.lo or now + late + guard > lease.hi
                    or lease.weight_left < weight or lease.raw_left < 1):
                done = self._retire(ip, lease)
                lease = None
        if done:
            self.gov._submit(done, now)
        if lease is None:
            return None
        # a freeze set by any process sharing the storage stops leased requests too
        if self.gov.storage.frozen_until((f"ip:{ip or 'default'}",)) > now:
            self.drop(ip, now)
            return None
        with self._lock:
            if lease.retired or lease.weight_left < weight or lease.raw_left < 1:
                return None
            lease.weight_left -= weight
            lease.raw_left -= 1
            lease.raw_used += 1
            lease.inflight += 1
        return Reservation((), (), now, weight, 0, lease)

    def open(self, ip: str | None, request: AcquireRequest, weight: int, now: int, early: float,
             late: float) -> tuple[Reservation | None, bool]:
        """Claim a slice for this IP and spend the first request of it: (reservation or None when there
        is no room, whether ``request`` went to the storage, settlements and all)."""
        from keysafe.governor.core import Reservation

        if self._off_until.get(ip, 0) > now:
            return None, False
        slice_w = slice_r = 0
        charges = []
        for ch in self.gov.charges(ip=ip, account=None, weight=max(1, weight), orders=0, now_ms=now,
                                   early_ms=early, late_ms=late + LEASE_MS):
            if len(ch.windows) != 1:
                return None, False  # near a boundary: one by one
            size = int(ch.limit * LEASE_SHARE)
            if "|REQUEST_WEIGHT|" in ch.base:
                if weight <= 0 or size < LEASE_MIN_REQUESTS * weight:
                    return None, False
                slice_w = size
            else:
                if size < LEASE_MIN_REQUESTS:
                    return None, False
                slice_r = size
            charges.append(replace(ch, cost=size))
        weight_charge = next((c for c in charges if "|REQUEST_WEIGHT|" in c.base), None)
        if weight_charge is None or not slice_r:
            return None, False
        result = self.gov.storage.acquire(replace(request, charges=tuple(charges)))
        if not result.granted:
            # the moment the whole slice may fit again (pacing, a queue, the window's end)
            self._off_until[ip] = max(result.wait_until_ms, now + 1)
            return None, True
        res = Reservation(tuple(charges), result.marks, now, slice_w, 0)
        _scope, type_name, suffix, _wms = weight_charge.base.split("|")
        lease = Lease(res, int(now - early - self.gov.guard_ms), int(now + late + LEASE_MS + self.gov.guard_ms),
                      now + LEASE_MS, slice_w - weight, slice_r - 1, f"|{type_name}|{suffix}|",
                      weight_charge.windows[0], raw_used=1, inflight=1)
        done = None
        with self._lock:
            old = self._leases.get(ip)
            if old is not None:
                done = self._retire(ip, old)
            self._leases[ip] = lease
        if done:
            self.gov._submit(done, now)
        return Reservation((), (), now, weight, 0, lease), True

    # ------------------------------------------------------------ settling

    def settle(self, reservation: Reservation, actual: int, header_values: dict[str, int],
               arrival: tuple[int, int]) -> None:
        lease: Lease = reservation.lease
        wms = lease.reservation.charges[0].window_ms if lease.reservation.charges else 1
        for ch in lease.reservation.charges:
            if "|REQUEST_WEIGHT|" in ch.base:
                wms = ch.window_ms
        with self._lock:
            lease.inflight -= 1
            lease.weight_used += actual
            value = header_values.get(lease.weight_mid)
            if value is not None and arrival[0] // wms == arrival[1] // wms == lease.weight_window:
                lease.header = value if lease.header is None else max(lease.header, value)
                lease.seen = max(lease.seen, arrival[0])
            done = self._finish(lease) if lease.retired and lease.inflight == 0 else None
        if done:
            self.gov._submit(done, reservation.sent_ms)

    def drop(self, ip: str | None, now: int) -> None:
        """End this IP's lease now (a freeze)."""
        with self._lock:
            lease = self._leases.get(ip)
            done = self._retire(ip, lease) if lease is not None else None
        if done:
            self.gov._submit(done, now)

    def retire_all(self, now: int, expired_only: bool = False) -> None:
        with self._lock:
            done = []
            for ip, lease in list(self._leases.items()):
                if not expired_only or now >= lease.expires:
                    done += self._retire(ip, lease) or []
        if done:
            self.gov._submit(done, now)

    def _retire(self, ip: str | None, lease: Lease) -> list[SettleItem] | None:
        if self._leases.get(ip) is lease:
            del self._leases[ip]
        lease.retired = True
        return self._finish(lease) if lease.inflight == 0 else None

    def _finish(self, lease: Lease) -> list[SettleItem]:
        if lease.finished:
            return []
        lease.finished = True
        items = []
        for ch, w, mark in lease.reservation.items:
            expires = (w + 3) * ch.window_ms
            if "|REQUEST_WEIGHT|" in ch.base:
                items.append(SettleItem(ch.key(w), ch.cost, lease.weight_used, lease.header, HEADER_MAX, mark,
                                        expires, lease.seen))
            else:
                items.append(SettleItem(ch.key(w), ch.cost, lease.raw_used, None, HEADER_MAX, mark, expires))
        return items


__all__ = ["LEASE_MIN_REQUESTS", "LEASE_MS", "LEASE_SHARE", "Lease", "LeaseBook"]
