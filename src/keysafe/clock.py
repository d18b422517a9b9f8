"""The server clock: Binance's time as this machine should believe it.

Signed requests carry ``timestamp``; Binance rejects it (-1021) when it is more than
1000 ms ahead of its clock or older than ``recvWindow``. Local clocks drift, so keysafe
measures the offset to the server with round-trip compensation: several samples of
``GET /api/v3/time``, each bracketed by local timestamps, and the sample with the
smallest round trip wins (its midpoint is the most precise estimate).

This module does no I/O. The client performs the requests and hands the samples in,
so the same clock serves the sync client, the async client and a signing gateway. The
time sources are injectable, so tests never sleep and can skew a process's clock.

>>> clock = ServerClock(time_source=lambda: 1000.0, monotonic=lambda: 0.0)
>>> _ = clock.update([Sample(sent_ms=1_000_000, server_ms=1_000_510, received_ms=1_000_020)])
>>> clock.offset_ms
500.0
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from keysafe.errors import ConfigurationError

#: Samples taken per synchronisation; the one with the smallest round trip wins.
DEFAULT_SAMPLES = 5
#: Re-synchronise this often (seconds) even without a -1021.
DEFAULT_REFRESH_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One round trip: local time when the request left, the server's time, local time on arrival."""

    sent_ms: float
    server_ms: float
    received_ms: float

    @property
    def rtt_ms(self) -> float:
        return max(0.0, self.received_ms - self.sent_ms)

    @property
    def offset_ms(self) -> float:
        """Server time minus local time at the midpoint of the round trip."""
        return self.server_ms - (self.sent_ms + self.received_ms) / 2


class ServerClock:
    """The offset between this machine's clock and the server's, with its uncertainty.

    ``time_source`` returns epoch seconds (default :func:`time.time`); ``monotonic``
    returns seconds for refresh scheduling (default :func:`time.monotonic`).
    Thread-safe: readers never block on a synchronisation in progress.
    """

    def __init__(
        self,
        *,
        time_source: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        samples: int = DEFAULT_SAMPLES,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
    ) -> None:
        if samples < 1:
            raise ConfigurationError(f"samples={samples} is too small.", "Take at least 1 sample (5 is the default).")
        if refresh_seconds <= 0:
            raise ConfigurationError(
                f"refresh_seconds={refresh_seconds} is not positive.", "Use a positive interval such as 300."
            )
        self.time_source = time_source
        self.monotonic = monotonic
        self.samples = samples
        self.refresh_seconds = refresh_seconds
        self.offset_ms = 0.0
        self.rtt_ms: float | None = None  # round trip of the winning sample; None before the first sync
        self.synced_at: float | None = None  # monotonic seconds of the last sync
        self.syncs = 0
        self._stale = True
        self._lock = threading.Lock()

    # ------------------------------------------------------------ reading

    def local_ms(self) -> float:
        """This machine's clock in epoch milliseconds (through the injectable time source)."""
        return self.time_source() * 1000.0

    def now_ms(self) -> int:
        """The server's time now, as best known, in epoch milliseconds."""
        return int(self.local_ms() + self.offset_ms)

    @property
    def uncertainty_ms(self) -> float:
        """How far :meth:`now_ms` may be off: half the best round trip (unknown: 1000 ms)."""
        return 1000.0 if self.rtt_ms is None else self.rtt_ms / 2

    @property
    def synced(self) -> bool:
        return self.synced_at is not None

    def needs_sync(self) -> bool:
        """True before the first sync, after :meth:`invalidate`, and when the refresh period has passed."""
        if self._stale or self.synced_at is None:
            return True
        return self.monotonic() - self.synced_at >= self.refresh_seconds

    def invalidate(self) -> None:
        """Ask for a resync before the next signed request (after a -1021, for instance)."""
        self._stale = True

    # ------------------------------------------------------------ updating

    def sample(self, fetch_server_ms: Callable[[], float]) -> Sample:
        """Take one sample with a caller-supplied fetch function (does the caller's I/O)."""
        sent = self.local_ms()
        server = float(fetch_server_ms())
        return Sample(sent, server, self.local_ms())

    def update(self, samples: Iterable[Sample]) -> Sample:
        """Adopt the offset of the sample with the smallest round trip; returns that sample."""
        best = min(samples, key=lambda s: s.rtt_ms, default=None)
        if best is None:
            raise ConfigurationError("No clock samples were taken.", "Pass at least one Sample.")
        with self._lock:
            self.offset_ms = best.offset_ms
            self.rtt_ms = best.rtt_ms
            self.synced_at = self.monotonic()
            self.syncs += 1
            self._stale = False
        return best

    def sync(self, fetch_server_ms: Callable[[], float], samples: int | None = None) -> Sample:
        """Take ``samples`` samples with ``fetch_server_ms`` and adopt the best one."""
        return self.update([self.sample(fetch_server_ms) for _ in range(samples or self.samples)])

    def __repr__(self) -> str:
        rtt = "unsynced" if self.rtt_ms is None else f"rtt={self.rtt_ms:.1f}ms"
        return f"ServerClock(offset={self.offset_ms:+.1f}ms, {rtt})"


__all__ = ["DEFAULT_REFRESH_SECONDS", "DEFAULT_SAMPLES", "Sample", "ServerClock"]
