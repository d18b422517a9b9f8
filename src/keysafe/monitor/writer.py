"""The background batch writer: the client's events reach the store without ever blocking a call.

``ActivityWriter.__call__`` is an :class:`~keysafe.events.EventBus` subscriber: it appends the
event to a bounded in-memory queue and returns (well under a microsecond). A daemon thread
writes batches to the :class:`~keysafe.monitor.store.ActivityStore`. Nothing is silently lost:

* the queue is full: the event is counted in ``stats.overflowed``;
* the store cannot be written (locked, corrupt, disk full): the batch is kept and retried a few
  times, then appended to ``activity-unstored.jsonl`` next to the database (``stats.spilled``;
  ``keysafe monitor import`` loads it back later), and only if that fails too is it counted
  in ``stats.lost``.

The first failure of each kind is logged once, in one line, on the ``keysafe.monitor`` logger.
``close()`` (also registered with :mod:`atexit`) writes whatever is still queued.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keysafe.events import ActivityEvent
from keysafe.monitor.config import keysafe_home
from keysafe.monitor.store import ActivityStore, StoreError, event_row

log = logging.getLogger("keysafe.monitor")

UNSTORED_NAME = "activity-unstored.jsonl"


@dataclass
class WriterStats:
    written: int = 0  # rows stored
    overflowed: int = 0  # events refused because the queue was full
    spilled: int = 0  # events written to the unstored file instead of the database
    lost: int = 0  # events neither stored nor spilled
    errors: int = 0  # failed write attempts
    last_error: str | None = None

    @property
    def unstored(self) -> int:
        """Events that are not in the database (spilled, overflowed or lost)."""
        return self.overflowed + self.spilled + self.lost


class ActivityWriter:
    """Subscriber that batches events into the store on a background thread."""

    def __init__(
        self,
        store: ActivityStore | Path | str | None = None,
        *,
        max_queue: int = 100_000,
        batch_size: int = 2_000,
        flush_interval: float = 0.2,
        retries: int = 3,
        unstored_path: Path | str | None = None,
        on_flush: Callable[[int], None] | None = None,
    ) -> None:
        self.stats = WriterStats()
        self._queue: deque[ActivityEvent] = deque()
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._interval = flush_interval
        self._retries = retries
        self._on_flush = on_flush
        self.monitor: Any = None  # set by keysafe.monitor.attach
        self.unsubscribe: Callable[[], None] | None = None
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._stop = False
        self._closed = False
        self._warned: set[str] = set()
        self._write_lock = threading.Lock()
        self.store: ActivityStore | None
        target = None if store is None or isinstance(store, ActivityStore) or str(store) == ":memory:" else Path(store)
        if isinstance(store, ActivityStore):
            self.store = store
        else:
            try:
                self.store = ActivityStore(store)
            except StoreError as exc:  # a broken database must not break the client
                self.store = None
                self._warn("open", str(exc))
        if self.store is not None and self.store.path:
            base = self.store.path.parent
        else:
            base = target.parent if target is not None else keysafe_home()
        self.unstored_path = Path(unstored_path) if unstored_path else base / UNSTORED_NAME
        self._thread = threading.Thread(target=self._run, name="keysafe-activity-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # ------------------------------------------------------------------ hot path
    def __call__(self, event: ActivityEvent) -> None:
        q = self._queue
        if len(q) >= self._max_queue:
            self.stats.overflowed += 1
            if "overflow" not in self._warned:
                self._warn("overflow", f"activity queue full ({self._max_queue} events); events are being counted "
                                       "as unstored. Fix: raise max_queue or check why the writer is slow.")
            return
        q.append(event)
        if len(q) >= self._batch_size:
            self._wake.set()

    # ------------------------------------------------------------------ background
    def _warn(self, kind: str, message: str) -> None:
        self.stats.last_error = message
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("keysafe monitor: %s", message)

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self._interval)
            self._wake.clear()
            self.flush()

    def _take(self) -> list[ActivityEvent]:
        q, out, n = self._queue, [], self._batch_size
        try:
            while len(out) < n:
                out.append(q.popleft())
        except IndexError:
            pass
        return out

    def flush(self) -> int:
        """Write everything queued now; returns the number of rows written."""
        total = 0
        with self._write_lock:
            while True:
                batch = self._take()
                if not batch:
                    break
                total += self._write(batch)
        self._notify(total)
        with self._idle:
            self._idle.notify_all()
        return total

    def _notify(self, total: int) -> None:
        """Tell the hook how many rows were just stored (0: an idle tick, -1: the final flush)."""
        if self._on_flush is not None:
            try:
                self._on_flush(total)
            except Exception as exc:  # noqa: BLE001 - the detector hook must not stop the writer
                self._warn("on_flush", f"monitor check after a write failed: {exc}")

    def _write(self, batch: list[ActivityEvent]) -> int:
        rows = [event_row(e) for e in batch]
        if self.store is not None:
            for attempt in range(self._retries):
                try:
                    self.store.add_rows(rows)
                    self.stats.written += len(rows)
                    return len(rows)
                except StoreError as exc:
                    self.stats.errors += 1
                    self._warn("write", str(exc))
                    if attempt + 1 < self._retries and not self._stop:
                        time.sleep(0.05 * (attempt + 1))
        self._spill(batch)
        return 0

    def _spill(self, batch: list[ActivityEvent]) -> None:
        try:
            self.unstored_path.parent.mkdir(parents=True, exist_ok=True)
            with self.unstored_path.open("a", encoding="utf-8") as fh:
                for e in batch:
                    fh.write(json.dumps(e.to_json(), default=str) + "\n")
            self.stats.spilled += len(batch)
            self._warn("spill", f"{self.stats.spilled} activity event(s) could not be stored in the database and "
                                f"were kept in {self.unstored_path}. Fix: repair the database, then "
                                f"`keysafe monitor import {self.unstored_path}`.")
        except OSError as exc:
            self.stats.lost += len(batch)
            self._warn("lost", f"{self.stats.lost} activity event(s) could be neither stored nor kept ({exc}).")

    # ------------------------------------------------------------------ lifecycle
    def pending(self) -> int:
        return len(self._queue)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until the queue is empty (for tests and the CLI); True if it emptied."""
        deadline = time.monotonic() + timeout
        while self._queue and time.monotonic() < deadline:
            self._wake.set()
            with self._idle:
                self._idle.wait(0.05)
        with self._write_lock:  # a batch may still be in flight
            pass
        return not self._queue

    def close(self) -> WriterStats:
        """Stop the thread and write everything still queued. Safe to call twice."""
        if self._closed:
            return self.stats
        self._closed = True
        if self.unsubscribe is not None:
            self.unsubscribe()
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=10)
        self.flush()
        self._notify(-1)
        atexit.unregister(self.close)
        if self.stats.unstored:
            log.warning("keysafe monitor: %d activity event(s) were not stored in the database "
                        "(%d overflowed, %d kept in %s, %d lost).", self.stats.unstored, self.stats.overflowed,
                        self.stats.spilled, self.unstored_path, self.stats.lost)
        return self.stats

    def __enter__(self) -> ActivityWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
