"""Failure-rate rise, with bursts of -2015 / -2014 / -1022 named as probing."""

from __future__ import annotations

from collections import Counter, deque

from keysafe.monitor.alerts import ALL_ACTIONS, INSPECT_OTHERS, REVOKE, Alert
from keysafe.monitor.detectors.base import FAILED_SQL, ScanContext, count_by, floor_to, runs, top
from keysafe.monitor.store import NO_KEY

#: Who a call is charged to: its key, or for calls that name no key at all the source IP.
WHO = f"(CASE WHEN key = '{NO_KEY}' THEN 'ip:' || COALESCE(client_ip, host, '?') ELSE key END)"


class FailureRise:
    name = "failure_rate"
    title = "Failure-rate rise and probing"

    def run(self, ctx: ScanContext) -> list[Alert]:
        cfg = ctx.config.failures
        b = cfg.bucket_seconds
        span = max(1, round(cfg.baseline_hours * 3600 / b))
        start = floor_to(ctx.start, b)
        probing = ",".join(str(int(c)) for c in cfg.probing_codes) or "0"
        stats = ctx.store.query(
            f"SELECT {WHO} AS who, CAST(time / ? AS INTEGER) AS bk, COUNT(*), "
            f"SUM(CASE WHEN {FAILED_SQL} THEN 1 ELSE 0 END), SUM(CASE WHEN error_code IN ({probing}) THEN 1 ELSE 0 END) "
            f"FROM calls WHERE time >= ? AND time < ? GROUP BY who, bk ORDER BY who, bk", (b, start - span * b, ctx.end))
        first_bucket = int(start // b)
        probes: dict[str, list[int]] = {}
        rises: dict[str, dict[int, float]] = {}
        key = None
        hist: deque[tuple[int, int, int]] = deque()
        tot = bad = 0
        prev_bk, prev_probed = None, 0
        for k, bk, n, failed, probed in stats:
            if k != key:
                key, hist, tot, bad = k, deque(), 0, 0
                prev_bk, prev_probed = None, 0
            # a burst can straddle a bucket boundary: count the previous bucket's probes with this one's
            recent_probes = probed + (prev_probed if prev_bk == bk - 1 else 0)
            prev_bk, prev_probed = bk, probed
            while hist and hist[0][0] < bk - span:
                _, n0, f0 = hist.popleft()
                tot -= n0
                bad -= f0
            if bk >= first_bucket:
                if probed and recent_probes >= cfg.probing_min:
                    probes.setdefault(k, []).append(bk)
                else:
                    base = bad / tot if tot else 0.0
                    ratio = failed / n
                    if failed >= cfg.min_failures and ratio >= cfg.min_ratio and ratio >= cfg.factor * base:
                        rises.setdefault(k, {})[bk] = base
            hist.append((bk, n, failed))
            tot += n
            bad += failed
        alerts = []
        for k, buckets in probes.items():
            for group in runs(buckets):
                t0, t1 = (group[0] - 1) * b, (group[-1] + 1) * b  # with the bucket before: the burst's start
                where = f"{WHO} = ? AND time >= ? AND time < ? AND error_code IN ({probing})"
                params = (k, t0, t1)
                codes = count_by(ctx.store, "error_code", where, params)
                ips = count_by(ctx.store, "COALESCE(client_ip, host)", where, params)
                rows = ctx.rows(where, params)
                paths = Counter(f"{r['method']} {r['path']}" for r in rows)
                summary = (f"probing: {sum(codes.values())} calls rejected with {top(codes)} within "
                           f"{(len(group) + 1) * b / 60:g} min from {top(ips)} (on {top(dict(paths), 2)}): "
                           f"someone is trying this key's permissions or signature")
                alerts.append(ctx.alert(self.name, "critical", k, summary, rows, ALL_ACTIONS, t0, t1,
                                        f"probe:{int(group[0] * b // 3600)}"))
        for k, by_bucket in rises.items():
            for group in runs(sorted(by_bucket)):
                t0, t1 = group[0] * b, (group[-1] + 1) * b
                where, params = f"{WHO} = ? AND time >= ? AND time < ? AND {FAILED_SQL}", (k, t0, t1)
                total = ctx.store.count(f"{WHO} = ? AND time >= ? AND time < ?", (k, t0, t1))
                codes = count_by(ctx.store, "error_code", where, params)
                n_failed = sum(codes.values())
                summary = (f"failure rate {n_failed}/{total} ({n_failed / total:.0%}) within {len(group) * b / 60:g} min, "
                           f"usual {by_bucket[group[0]]:.0%}; codes {top(codes)}")
                alerts.append(ctx.alert(self.name, "warning", k, summary, ctx.rows(where, params),
                                        (REVOKE, INSPECT_OTHERS), t0, t1, f"rise:{int(t0 // 3600)}"))
        return alerts
