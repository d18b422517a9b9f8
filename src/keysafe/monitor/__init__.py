"""keysafe's activity monitor: a log of every call, detectors for the signs of a stolen key,
alerts and the weekly report.

Typical use, in a bot::

    from keysafe import Client
    from keysafe.monitor import attach

    client = Client(credential, bot="grid-bot")
    writer = attach(client)          # every call is stored; detectors run after each batch

Or from the shell: ``keysafe monitor watch``, ``keysafe monitor alerts --since 1d``,
``keysafe report --html weekly.html``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from keysafe.events import EventBus
from keysafe.monitor.alerts import Alert, ConsoleSink, Dispatcher, JsonlSink, WebhookSink
from keysafe.monitor.config import KeyInfo, MonitorConfig, keysafe_home, load_config
from keysafe.monitor.engine import Monitor
from keysafe.monitor.importer import ImportResult, import_file
from keysafe.monitor.store import ActivityStore, StoreError
from keysafe.monitor.writer import ActivityWriter, WriterStats


class _Checker:
    """The writer's hook: review new rows, at most every ``interval`` s, and always at the end."""

    def __init__(self, monitor: Monitor, interval: float) -> None:
        self.monitor = monitor
        self.interval = interval
        self.pending = False
        self.last = float("-inf")

    def __call__(self, stored: int) -> None:
        if stored > 0:
            self.pending = True
        now = time.monotonic()
        if self.pending and (stored < 0 or now - self.last >= self.interval):
            self.pending = False
            self.last = now
            self.monitor.check()


def attach(
    client_or_bus: Any,
    store: ActivityStore | Path | str | None = None,
    *,
    monitor: Monitor | bool = True,
    config: MonitorConfig | None = None,
    check_interval: float = 0.5,
    **writer_options: Any,
) -> ActivityWriter:
    """Record every call of a client (or an :class:`EventBus`) in the activity store.

    Returns the :class:`ActivityWriter` (``writer.stats`` counts what was stored and what
    could not be). With ``monitor=True`` (default) the detectors review each stored batch and
    send alerts to the sinks of the configuration; pass a :class:`Monitor` to choose them, or
    ``False`` to only record. The detectors run on the writer's thread, at most every
    ``check_interval`` seconds while events arrive, and once more on close. Nothing here can
    make a client call fail or wait.
    """
    bus = client_or_bus if isinstance(client_or_bus, EventBus) else getattr(client_or_bus, "events", None)
    if not isinstance(bus, EventBus):
        from keysafe.errors import ConfigurationError

        raise ConfigurationError(f"cannot attach the monitor to {type(client_or_bus).__name__}: it has no EventBus.",
                                 "Pass a keysafe Client (its .events) or an EventBus.")
    writer = ActivityWriter(store, **writer_options)
    if monitor is not False and writer.store is not None:
        mon = monitor if isinstance(monitor, Monitor) else Monitor(writer.store, config)
        writer.monitor = mon
        writer._on_flush = _Checker(mon, check_interval)
    writer.unsubscribe = bus.subscribe(writer)
    return writer


__all__ = [
    "ActivityStore", "ActivityWriter", "Alert", "ConsoleSink", "Dispatcher", "ImportResult", "JsonlSink",
    "KeyInfo", "Monitor", "MonitorConfig", "StoreError", "WebhookSink", "WriterStats", "attach", "import_file",
    "keysafe_home", "load_config",
]
