"""Rejected orders: repeated -2010 (insufficient balance), or a notional far above the key's usual."""

from __future__ import annotations

from collections import deque
from decimal import Decimal, InvalidOperation
from statistics import median

from keysafe.monitor.alerts import ALL_ACTIONS, CHECK_SETTINGS, INSPECT_OTHERS, REVOKE, Alert
from keysafe.monitor.detectors.base import ScanContext, count_by, floor_to, runs, top
from keysafe.monitor.store import NO_KEY

_RECENT = 50  # the usual notional is the median of the key's last 50 accepted orders


def _dec(text: str | None) -> Decimal | None:
    try:
        d = Decimal(text) if text is not None else None
    except (InvalidOperation, TypeError, ValueError):
        return None
    return d if d is not None and d.is_finite() else None


class RejectedOrders:
    name = "rejected_orders"
    title = "Large or repeated rejected orders"

    def run(self, ctx: ScanContext) -> list[Alert]:
        cfg = ctx.config.orders
        b = cfg.bucket_seconds
        codes = ",".join(str(int(c)) for c in cfg.rejected_codes) or "0"
        alerts: list[Alert] = []
        # repeated: several rejections with the given codes in one bucket
        reps = ctx.store.query(
            f"SELECT key, CAST(time / ? AS INTEGER) AS bk, COUNT(*) FROM calls WHERE time >= ? AND time < ? "
            f"AND error_code IN ({codes}) AND key != ? GROUP BY key, bk ORDER BY key, bk",
            (b, floor_to(ctx.start, b) - b, ctx.end, NO_KEY))
        by_key: dict[str, list[int]] = {}
        counts = {(k, bk): n for k, bk, n in reps}
        first = int(ctx.start // b)
        for (k, bk), n in counts.items():
            # rejections straddling a bucket boundary count together with the bucket before
            if bk >= first and n + counts.get((k, bk - 1), 0) >= cfg.repeated_min:
                by_key.setdefault(k, []).append(bk)
        for k, buckets in by_key.items():
            for group in runs(sorted(buckets)):
                t0, t1 = (group[0] - 1) * b, (group[-1] + 1) * b
                where, params = f"key = ? AND time >= ? AND time < ? AND error_code IN ({codes})", (k, t0, t1)
                rows = ctx.rows(where, params)
                n = ctx.store.count(where, params)
                ips = count_by(ctx.store, "COALESCE(client_ip, host)", where, params)
                symbols = count_by(ctx.store, "COALESCE(symbol, path)", where, params)
                summary = (f"{n} orders rejected ({top(count_by(ctx.store, 'error_code', where, params))}, "
                           f"e.g. insufficient balance) within {(len(group) + 1) * b / 60:g} min on {top(symbols)} "
                           f"from {top(ips)}: someone may be trying to move more than the balance")
                alerts.append(ctx.alert(self.name, "high", k, summary, rows, (REVOKE, CHECK_SETTINGS, INSPECT_OTHERS),
                                        t0, t1, f"repeated:{int(group[0] * b // 3600)}"))
        # large: a rejected order far above the key's usual notional (accepted orders before it)
        keys = [r[0] for r in ctx.store.query(
            "SELECT DISTINCT key FROM calls WHERE time >= ? AND time < ? AND notional IS NOT NULL "
            "AND error_code IS NOT NULL AND key != ?", (ctx.start, ctx.end, NO_KEY))]
        for k in keys:
            recent: deque[Decimal] = deque(maxlen=_RECENT)
            for rid, t, notional, err in ctx.store.query(
                    "SELECT id, time, notional, error_code FROM calls WHERE key = ? AND time < ? "
                    "AND notional IS NOT NULL ORDER BY time, id", (k, ctx.end)):
                value = _dec(notional)
                if value is None:
                    continue
                if err is None:
                    recent.append(value)
                    continue
                if t < ctx.start or len(recent) < cfg.min_history:
                    continue
                usual = median(recent)
                if value > usual * Decimal(str(cfg.large_factor)):
                    rows = ctx.rows("id = ?", (rid,))
                    r = rows[0]
                    summary = (f"order rejected ({err}) for a notional of {notional} on {r.get('symbol') or r['path']}, "
                               f"{(value / usual).quantize(Decimal('1')) if usual else 'far'}x the key's usual {usual} "
                               f"from {r.get('client_ip') or r.get('host')}")
                    alerts.append(ctx.alert(self.name, "critical", k, summary, rows, ALL_ACTIONS, t, t,
                                            f"large:{int(t // 3600)}"))
        return alerts
