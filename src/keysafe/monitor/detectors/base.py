"""What every detector shares: the scan window, the store, the configuration, and alert building.

A detector looks at the calls in ``[ctx.start, ctx.end)`` and may read any history before
them (its baseline). It returns :class:`~keysafe.monitor.alerts.Alert` objects whose
``dedupe`` key names the incident, so scanning an overlapping window again (as the live
monitor does every second) never raises the same alert twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from keysafe.monitor.alerts import Alert, evidence_rows
from keysafe.monitor.config import KeyInfo, MonitorConfig
from keysafe.monitor.store import NO_KEY, ActivityStore

#: SQL for "this call failed on the caller's side" (a 4xx other than the rate-limit answers).
FAILED_SQL = ("((status >= 400 AND status < 500 AND status NOT IN (418, 429))"
              " OR (status IS NULL AND error_code IS NOT NULL))")


@dataclass
class ScanContext:
    store: ActivityStore
    config: MonitorConfig
    start: float
    end: float
    _labels: dict[str, str | None] = field(default_factory=dict)
    _first: dict[str, float] = field(default_factory=dict)

    def label(self, key: str) -> str | None:
        if key not in self._labels:
            r = self.store.query("SELECT key_label FROM calls WHERE key = ? AND key_label IS NOT NULL "
                                 "ORDER BY time DESC LIMIT 1", (key,))
            self._labels[key] = r[0][0] if r else None
        return self._labels[key]

    def first_seen(self, key: str) -> float:
        if key not in self._first:
            r = self.store.query("SELECT MIN(time) FROM calls WHERE key = ?", (key,))
            self._first[key] = r[0][0] if r and r[0][0] is not None else math.inf
        return self._first[key]

    def calls_before(self, key: str, t: float) -> int:
        return self.store.query("SELECT COUNT(*) FROM calls WHERE key = ? AND time < ?", (key, t))[0][0]

    def info(self, key: str) -> KeyInfo:
        return self.config.key_info(key, self.label(key))

    def rows(self, where: str, params: Sequence[Any], limit: int = 20) -> list[dict[str, Any]]:
        return self.store.rows(where, params, limit=limit)

    def window_keys(self) -> list[str]:
        return [r[0] for r in self.store.query(
            "SELECT DISTINCT key FROM calls WHERE time >= ? AND time < ? AND key != ?", (self.start, self.end, NO_KEY))]

    def alert(self, detector: str, severity: str, key: str, summary: str, rows: Sequence[dict[str, Any]],
              actions: Sequence[str], first: float, last: float, dedupe: str) -> Alert:
        if rows and rows[0].get("time") is not None:  # buckets start early: report the first call itself
            first = max(first, rows[0]["time"])
        return Alert(detector=detector, severity=severity, key=key, key_label=self.label(key), summary=summary,
                     evidence=evidence_rows(rows), actions=tuple(actions), first_time=first, last_time=last,
                     dedupe=f"{detector}:{key}:{dedupe}")


class Detector(Protocol):
    name: str
    title: str

    def run(self, ctx: ScanContext) -> list[Alert]: ...


def floor_to(t: float, step: float) -> float:
    return math.floor(t / step) * step


def runs(buckets: Sequence[int]) -> list[list[int]]:
    """Consecutive bucket numbers grouped: [3, 4, 9] -> [[3, 4], [9]]."""
    out: list[list[int]] = []
    for b in buckets:
        if out and b == out[-1][-1] + 1:
            out[-1].append(b)
        else:
            out.append([b])
    return out


def top(values: dict[Any, int], n: int = 3) -> str:
    items = sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]
    more = len(values) - len(items)
    text = ", ".join(f"{k} ({v})" if v != 1 else f"{k}" for k, v in items)
    return text + (f" and {more} more" if more > 0 else "")


def count_by(store: ActivityStore, column: str, where: str, params: Sequence[Any]) -> dict[Any, int]:
    return {k: n for k, n in store.query(
        f"SELECT {column}, COUNT(*) FROM calls WHERE {where} GROUP BY {column}", params)}
