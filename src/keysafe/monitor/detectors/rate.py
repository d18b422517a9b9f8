"""Call-rate spike: a bucket with far more calls than the key's busiest bucket of the last day."""

from __future__ import annotations

from collections import deque

from keysafe.monitor.alerts import CHECK_SETTINGS, INSPECT_OTHERS, REVOKE, Alert
from keysafe.monitor.detectors.base import ScanContext, count_by, floor_to, runs, top
from keysafe.monitor.store import NO_KEY


class RateSpike:
    name = "rate_spike"
    title = "Call-rate spike"

    def run(self, ctx: ScanContext) -> list[Alert]:
        cfg = ctx.config.rate
        b = cfg.bucket_seconds
        span = max(1, round(cfg.baseline_hours * 3600 / b))  # baseline length in buckets
        start = floor_to(ctx.start, b)
        counts = ctx.store.query(
            "SELECT key, CAST(time / ? AS INTEGER) AS bk, COUNT(*) FROM calls WHERE time >= ? AND time < ? "
            "AND key != ? GROUP BY key, bk ORDER BY key, bk",
            (b, start - span * b, ctx.end, NO_KEY))
        first_bucket = int(start // b)
        flagged: dict[str, list[tuple[int, int, int]]] = {}
        window: deque[tuple[int, int]] = deque()  # monotonic: counts decreasing -> rolling max
        key = None
        for k, bk, n in counts:
            if k != key:
                key, window = k, deque()
                young_until = int((ctx.first_seen(k) // b)) + span // 4  # needs a quarter baseline of history
            while window and window[0][0] < bk - span:
                window.popleft()
            busiest = window[0][1] if window else 0
            if bk >= first_bucket and bk > young_until and n >= cfg.min_calls and n > cfg.factor * max(busiest, 1):
                flagged.setdefault(k, []).append((bk, n, busiest))
            while window and window[-1][1] <= n:
                window.pop()
            window.append((bk, n))
        alerts = []
        for k, items in flagged.items():
            by_bucket = {bk: (n, busiest) for bk, n, busiest in items}
            for group in runs(sorted(by_bucket)):
                t0, t1 = group[0] * b, (group[-1] + 1) * b
                total = sum(by_bucket[g][0] for g in group)
                peak = max(by_bucket[g][0] for g in group)
                usual = by_bucket[group[0]][1]
                where, params = "key = ? AND time >= ? AND time < ?", (k, t0, t1)
                ips = count_by(ctx.store, "COALESCE(client_ip, host)", where, params)
                minutes = f"{len(group) * b / 60:g} min"
                summary = (f"call-rate spike: {total} calls in {minutes} (peak {peak} per {b} s; the key's busiest "
                           f"{b} s in the previous {ctx.config.rate.baseline_hours:g} h had {usual}) from {top(ips)}")
                alerts.append(ctx.alert(self.name, "high", k, summary, ctx.rows(where, params),
                                        (REVOKE, CHECK_SETTINGS, INSPECT_OTHERS), t0, t1,
                                        f"{int(t0 // 3600)}"))
        return alerts
