"""Activity at an hour of the day the key has never been active before (after a learning period)."""

from __future__ import annotations

from keysafe.monitor.alerts import CHECK_SETTINGS, INSPECT_OTHERS, REVOKE, Alert
from keysafe.monitor.detectors.base import ScanContext, count_by, top
from keysafe.monitor.store import NO_KEY


class UnusualHours:
    name = "unusual_hours"
    title = "Activity at never-seen hours"

    def run(self, ctx: ScanContext) -> list[Alert]:
        cfg = ctx.config.hours
        off = cfg.utc_offset_hours * 3600
        hour = "CAST(((time + ?) % 86400) / 3600 AS INTEGER)"
        candidates = ctx.store.query(
            f"SELECT key, {hour} AS h, MIN(time), MAX(time), COUNT(*) FROM calls WHERE time >= ? AND time < ? "
            f"AND key != ? GROUP BY key, h", (off, ctx.start, ctx.end, NO_KEY))
        alerts: list[Alert] = []
        learning = cfg.learning_days * 86400
        for key, h, t0, t1, n in candidates:
            first = ctx.first_seen(key)
            if t0 < first + learning:
                continue
            before = ctx.store.query(
                f"SELECT 1 FROM calls WHERE key = ? AND time < ? AND {hour} = ? LIMIT 1", (key, t0, off, h))
            if before:
                continue
            hours = sorted({r[0] for r in ctx.store.query(
                f"SELECT DISTINCT {hour} FROM calls WHERE key = ? AND time < ?", (off, key, t0))})
            where, params = f"key = ? AND time >= ? AND time < ? AND {hour} = ?", (key, ctx.start, ctx.end, off, h)
            ips = top(count_by(ctx.store, "COALESCE(client_ip, host)", where, params))
            tz = f"UTC{cfg.utc_offset_hours:+d}" if cfg.utc_offset_hours else "UTC"
            summary = (f"{n} call(s) at {h:02d}:00-{h:02d}:59 {tz} from {ips}, an hour this key has never been "
                       f"active in (usual hours: {_ranges(hours)})")
            alerts.append(ctx.alert(self.name, "warning", key, summary, ctx.rows(where, params),
                                    (REVOKE, CHECK_SETTINGS, INSPECT_OTHERS), t0, t1, f"{h}"))
        return alerts


def _ranges(hours: list[int]) -> str:
    if not hours:
        return "none"
    out, start, prev = [], hours[0], hours[0]
    for h in [*hours[1:], None]:
        if h is not None and h == prev + 1:
            prev = h
            continue
        out.append(f"{start:02d}" if start == prev else f"{start:02d}-{prev:02d}")
        if h is not None:
            start = prev = h
    return ", ".join(out)
