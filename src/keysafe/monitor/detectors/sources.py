"""Unfamiliar source: an IP or host never seen for this key, or an IP outside the key's whitelist."""

from __future__ import annotations

import ipaddress

from keysafe.monitor.alerts import ALL_ACTIONS, CHECK_SETTINGS, INSPECT_OTHERS, REVOKE, Alert
from keysafe.monitor.detectors.base import ScanContext
from keysafe.monitor.store import NO_KEY


def in_whitelist(ip: str, whitelist: tuple[str, ...]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for entry in whitelist:
        try:
            if addr in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


class NewSource:
    name = "new_source"
    title = "Unfamiliar IP or host"

    def run(self, ctx: ScanContext) -> list[Alert]:
        alerts: list[Alert] = []
        columns = [("client_ip", "IP")] + ([("host", "host")] if ctx.config.sources.check_hosts else [])
        for column, noun in columns:
            seen = ctx.store.query(
                f"SELECT key, {column}, MIN(time), MAX(time), COUNT(*) FROM calls WHERE time >= ? AND time < ? "
                f"AND {column} IS NOT NULL AND key != ? GROUP BY key, {column}", (ctx.start, ctx.end, NO_KEY))
            for key, value, t0, t1, n in seen:
                where, params = f"key = ? AND {column} = ? AND time >= ? AND time < ?", (key, value, ctx.start, ctx.end)
                info = ctx.info(key)
                if column == "client_ip" and info.ip_whitelist and not in_whitelist(value, info.ip_whitelist):
                    summary = (f"{n} call(s) from {value}, outside the key's IP whitelist "
                               f"({', '.join(info.ip_whitelist)})")
                    alerts.append(ctx.alert(self.name, "critical", key, summary, ctx.rows(where, params),
                                            ALL_ACTIONS, t0, t1, f"whitelist:{value}:{int(t0 // 86400)}"))
                    continue
                first_ever = ctx.store.query(f"SELECT MIN(time) FROM calls WHERE key = ? AND {column} = ?",
                                             (key, value))[0][0]
                if first_ever < ctx.start - 1e-9 or first_ever > t0:
                    continue  # known before this window
                if ctx.calls_before(key, first_ever) < ctx.config.sources.learning_calls:
                    continue  # still learning this key's usual sources
                usual = [r[0] for r in ctx.store.query(
                    f"SELECT {column} FROM calls WHERE key = ? AND time < ? AND {column} IS NOT NULL "
                    f"GROUP BY {column} ORDER BY COUNT(*) DESC LIMIT 3", (key, first_ever))]
                summary = (f"{n} call(s) from {noun} {value}, never seen for this key before "
                           f"(usual: {', '.join(map(str, usual)) or 'none recorded'})")
                alerts.append(ctx.alert(self.name, "high", key, summary, ctx.rows(where, params),
                                        (REVOKE, CHECK_SETTINGS, INSPECT_OTHERS), first_ever, t1,
                                        f"{column}:{value}"))
        return alerts
