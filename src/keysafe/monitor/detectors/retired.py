"""Use of a key after it was retired (rotated out) or deleted."""

from __future__ import annotations

from datetime import datetime, timezone

from keysafe.monitor.alerts import ALL_ACTIONS, Alert
from keysafe.monitor.detectors.base import ScanContext, count_by, top


class AfterRetirement:
    name = "after_retirement"
    title = "Use after retirement or deletion"

    def run(self, ctx: ScanContext) -> list[Alert]:
        alerts: list[Alert] = []
        for name, info in ctx.config.keys.items():
            ends = [(t, what) for t, what in ((info.deleted_at, "deleted"), (info.retired_at, "retired")) if t]
            if not ends:
                continue
            since, what = min(ends)
            lo = max(since, ctx.start)
            where, params = "(key = ? OR key_label = ?) AND time >= ? AND time < ?", (name, name, lo, ctx.end)
            n = ctx.store.count(where, params)
            if not n:
                continue
            rows = ctx.rows(where, params)
            key = rows[0]["key"]
            t0, t1 = rows[0]["time"], ctx.store.query(f"SELECT MAX(time) FROM calls WHERE {where}", params)[0][0]
            when = datetime.fromtimestamp(since, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            ips = top(count_by(ctx.store, "COALESCE(client_ip, host)", where, params))
            summary = f"{n} call(s) with a key {what} on {when}, from {ips}: someone still holds it"
            alerts.append(ctx.alert(self.name, "critical", key, summary, rows, ALL_ACTIONS, t0, t1,
                                    f"{int(t0 // 86400)}"))
        return alerts
