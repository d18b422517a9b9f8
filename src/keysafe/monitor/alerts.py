"""Alerts and where they go: the console, a JSON-lines file, a webhook.

An :class:`Alert` has a severity, a one-line summary, the evidence (the rows that triggered
it) and the emergency actions of the seed article that fit. A sink that fails (an
unreachable webhook, a full disk) logs one clear line and counts the failure; it never
stops the monitor or the client, and the alert stays in the activity store.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import httpx
from rich.console import Console

log = logging.getLogger("keysafe.monitor")

SEVERITIES = ("info", "warning", "high", "critical")

# The emergency actions of the seed article (step 5), in its words.
REVOKE = "Revoke the suspicious API key immediately (Binance API Management, or `keysafe` rotation)."
CHECK_SETTINGS = "Check whether other account settings have been tampered with (withdrawal addresses, security)."
SUPPORT = "Open a support ticket with Binance."
INSPECT_OTHERS = "Inspect all other active API keys for similar activity (`keysafe monitor alerts`, `keysafe report`)."
ALL_ACTIONS = (REVOKE, CHECK_SETTINGS, SUPPORT, INSPECT_OTHERS)

MAX_EVIDENCE = 20  # rows kept with an alert; the summary says how many there were


@dataclass(frozen=True)
class Alert:
    detector: str
    severity: str
    key: str
    key_label: str | None
    summary: str  # one line
    evidence: list[dict[str, Any]]
    actions: tuple[str, ...]
    first_time: float
    last_time: float
    dedupe: str  # the same incident seen again is not alerted twice
    time: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}")
        if "\n" in self.summary:
            raise ValueError("an alert summary is one line")

    @property
    def who(self) -> str:
        return self.key_label or self.key

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["actions"] = list(self.actions)
        d["time_iso"] = _iso(self.time)
        return d

    def line(self) -> str:
        return f"[{self.severity.upper()}] {_iso(self.first_time)} {self.who}: {self.summary}"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def evidence_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Trim rows to what an alert needs: the first and last few, empty fields dropped."""
    keep = list(rows) if len(rows) <= MAX_EVIDENCE else [*rows[: MAX_EVIDENCE - 5], *rows[-5:]]
    return [{k: v for k, v in r.items() if v is not None and k not in ("import_key", "key")} for r in keep]


# ---------------------------------------------------------------------- sinks


class Sink(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


_STYLE = {"info": "cyan", "warning": "yellow", "high": "bold red", "critical": "bold white on red"}


class ConsoleSink:
    name = "console"

    def __init__(self, console: Console | None = None, *, actions: bool = True) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.actions = actions

    def send(self, alert: Alert) -> None:
        style = _STYLE[alert.severity]
        self.console.print(f"[{style}]{alert.severity.upper():>8}[/] ", end="")
        self.console.print(f"{_iso(alert.first_time)} {alert.who}: {alert.summary}", markup=False, soft_wrap=True)
        if self.actions:
            for action in alert.actions:
                self.console.print(f"         → {action}", markup=False, soft_wrap=True)


class JsonlSink:
    name = "jsonl"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> None:
        line = json.dumps(alert.to_json(), default=str, sort_keys=True)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")


class WebhookError(Exception):
    pass


class WebhookSink:
    """HTTP POST of the alert as JSON, retried with backoff on connection errors and 5xx/429."""

    name = "webhook"

    def __init__(self, url: str, *, retries: int = 3, timeout: float = 5.0, backoff: float = 0.2,
                 headers: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            from keysafe.errors import ConfigurationError

            raise ConfigurationError(f"webhook URL {url!r} is not an http(s) URL.",
                                     "Set [sinks] webhook to a URL like https://hooks.example.com/keysafe.")
        self.url = url
        self.retries = max(1, retries)
        self.backoff = backoff
        self._client = httpx.Client(timeout=timeout, headers=headers, transport=transport)
        self.sent = 0
        self.attempts = 0

    def send(self, alert: Alert) -> None:
        body = {"source": "keysafe", **alert.to_json()}
        last = ""
        for attempt in range(self.retries):
            self.attempts += 1
            try:
                resp = self._client.post(self.url, json=body)
                if resp.status_code < 300:
                    self.sent += 1
                    return
                last = f"HTTP {resp.status_code}"
                if resp.status_code < 500 and resp.status_code != 429:
                    break  # a 4xx will not get better by retrying
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if attempt + 1 < self.retries:
                time.sleep(self.backoff * (2**attempt))
        raise WebhookError(f"webhook {self.url} did not accept the alert after {self.retries} attempt(s) ({last})")

    def close(self) -> None:
        self._client.close()


class Dispatcher:
    """Sends each alert to every sink; a failing sink is logged once per failure and counted."""

    def __init__(self, sinks: Iterable[Sink] = ()) -> None:
        self.sinks = list(sinks)
        self.failures: dict[str, int] = {}
        self.last_error: str | None = None

    def send(self, alert: Alert) -> None:
        for sink in self.sinks:
            try:
                sink.send(alert)
            except Exception as exc:  # noqa: BLE001 - one sink must not stop the others
                self.failures[sink.name] = self.failures.get(sink.name, 0) + 1
                self.last_error = (f"alert sink {sink.name} failed: {exc}. Fix: check the sink's settings in "
                                   "monitor.toml; the alert is kept in the activity store (`keysafe monitor alerts`).")
                log.warning("keysafe monitor: %s", self.last_error)

    def close(self) -> None:
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if close:
                close()
