"""Weight near the limit, and any 429 (rate limited) or 418 (IP banned)."""

from __future__ import annotations

from keysafe.monitor.alerts import Alert
from keysafe.monitor.detectors.base import ScanContext, count_by, runs, top

SLOW_DOWN = ("Slow the bot down: use keysafe's shared governor so every process on this IP shares one budget, "
             "and honour Retry-After.")
BANNED = "Stop every bot on this IP until the ban's Retry-After has passed; repeated 429s escalate the ban."


class WeightPressure:
    name = "weight"
    title = "Weight near the limit, 429 and 418"

    def run(self, ctx: ScanContext) -> list[Alert]:
        cfg = ctx.config.weight
        b = cfg.bucket_seconds
        near = int(cfg.limit * cfg.near_fraction)
        alerts: list[Alert] = []
        kinds = (
            ("banned", "critical", "status = 418", BANNED),
            ("limited", "high", "status = 429", SLOW_DOWN),
            ("near", "warning", "used_weight >= ? AND (status IS NULL OR status NOT IN (418, 429))", SLOW_DOWN),
        )
        for kind, severity, cond, action in kinds:
            extra = (near,) if "?" in cond else ()
            found = ctx.store.query(
                f"SELECT key, CAST(time / ? AS INTEGER) AS bk FROM calls WHERE time >= ? AND time < ? AND {cond} "
                f"GROUP BY key, bk ORDER BY key, bk", (b, ctx.start, ctx.end, *extra))
            by_key: dict[str, list[int]] = {}
            for k, bk in found:
                by_key.setdefault(k, []).append(bk)
            for k, buckets in by_key.items():
                for group in runs(buckets):
                    t0, t1 = max(group[0] * b, ctx.start), min((group[-1] + 1) * b, ctx.end)
                    where, params = f"key = ? AND time >= ? AND time < ? AND {cond}", (k, t0, t1, *extra)
                    n = ctx.store.count(where, params)
                    ips = top(count_by(ctx.store, "COALESCE(client_ip, host)", where, params))
                    peak = ctx.store.query(f"SELECT MAX(used_weight) FROM calls WHERE {where}", params)[0][0]
                    used = f"; used weight up to {peak}/{cfg.limit} per minute" if peak else ""
                    what = {"banned": f"{n} call(s) answered 418: the IP is banned",
                            "limited": f"{n} call(s) answered 429: request weight over the limit",
                            "near": f"{n} call(s) with used weight at or above {near}/{cfg.limit} "
                                    f"({cfg.near_fraction:.0%} of the limit)"}[kind]
                    alerts.append(ctx.alert(self.name, severity, k, f"{what} from {ips}{used}",
                                            ctx.rows(where, params), (action,), t0, t1,
                                            f"{kind}:{int(group[0] * b // 3600)}"))
        return alerts
