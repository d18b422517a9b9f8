"""The monitor: runs every detector over a window of the store, keeps new alerts, sends them out.

``Monitor.scan(start, end)`` reviews a period (the weekly review, an import, a test);
``Monitor.check()`` reviews what arrived since the last check (the live view runs it every
second; :func:`keysafe.monitor.attach` runs it after every batch the writer stores). An
alert already stored (same incident) is never sent twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from keysafe.monitor.alerts import Alert, ConsoleSink, Dispatcher, JsonlSink, Sink, WebhookSink
from keysafe.monitor.config import MonitorConfig, keysafe_home, load_config
from keysafe.monitor.detectors import DETECTORS, Detector, ScanContext
from keysafe.monitor.store import ActivityStore

log = logging.getLogger("keysafe.monitor")

#: A live check looks back this far, so late events and partly filled buckets are reviewed again.
OVERLAP_SECONDS = 600.0


def sinks_from_config(config: MonitorConfig, *, console: bool | None = None) -> list[Sink]:
    sinks: list[Sink] = []
    if config.sinks.console if console is None else console:
        sinks.append(ConsoleSink())
    if config.sinks.jsonl:
        path = Path(config.sinks.jsonl).expanduser()
        sinks.append(JsonlSink(path if path.is_absolute() else keysafe_home() / path))
    if config.sinks.webhook:
        sinks.append(WebhookSink(config.sinks.webhook, retries=config.sinks.webhook_retries,
                                 timeout=config.sinks.webhook_timeout))
    return sinks


class Monitor:
    def __init__(self, store: ActivityStore, config: MonitorConfig | None = None, *,
                 sinks: Iterable[Sink] | Dispatcher | None = None,
                 detectors: Sequence[Detector] | None = None) -> None:
        self.store = store
        self.config = config if config is not None else load_config()
        if isinstance(sinks, Dispatcher):
            self.dispatcher = sinks
        else:
            self.dispatcher = Dispatcher(sinks_from_config(self.config) if sinks is None else sinks)
        self.detectors = tuple(detectors if detectors is not None else DETECTORS)
        self.detector_errors: dict[str, str] = {}
        self._last_end: float | None = None
        self._lock = threading.Lock()

    def run_detectors(self, start: float, end: float) -> list[Alert]:
        """Every detector over ``[start, end)``; no storing, no sending."""
        ctx = ScanContext(self.store, self.config, start, end)
        found: list[Alert] = []
        for det in self.detectors:
            try:
                found.extend(det.run(ctx))
            except Exception as exc:  # noqa: BLE001 - one broken detector must not hide the others
                msg = f"detector {det.name} failed: {type(exc).__name__}: {exc}"
                if self.detector_errors.get(det.name) != msg:
                    log.warning("keysafe monitor: %s", msg)
                self.detector_errors[det.name] = msg
        found.sort(key=lambda a: (a.first_time, a.detector))
        return found

    def scan(self, start: float | None = None, end: float | None = None) -> list[Alert]:
        """Review ``[start, end)`` (default: everything); store and send the alerts not seen before."""
        lo, hi = self.store.time_range()
        if lo is None:
            return []
        start = lo if start is None else start
        end = (hi + 1e-3) if end is None else end
        with self._lock:
            new = [a for a in self.run_detectors(start, end) if self.store.add_alert(a)]
            for alert in new:
                self.dispatcher.send(alert)
            return new

    def check(self, now: float | None = None) -> list[Alert]:
        """Review what arrived since the previous check (with an overlap); returns the new alerts."""
        now = time.time() if now is None else now
        hi = self.store.time_range()[1]
        end = max(now, hi or now) + 1e-3
        start = (self._last_end if self._last_end is not None else now) - OVERLAP_SECONDS
        alerts = self.scan(start, end)
        self._last_end = now
        return alerts

    def close(self) -> None:
        self.dispatcher.close()
