"""Endpoints outside the key's profile: a withdrawal attempt on a trading key first of all."""

from __future__ import annotations

from keysafe.monitor.alerts import ALL_ACTIONS, CHECK_SETTINGS, INSPECT_OTHERS, REVOKE, Alert
from keysafe.monitor.detectors.base import ScanContext
from keysafe.monitor.store import NO_KEY
from keysafe.spec import Permission, find_endpoint


class OutsideProfile:
    name = "outside_profile"
    title = "Endpoint outside the key's profile"

    def run(self, ctx: ScanContext) -> list[Alert]:
        alerts: list[Alert] = []
        seen = ctx.store.query(
            "SELECT key, method, path, CAST(time / 86400 AS INTEGER) AS day, MIN(time), MAX(time), COUNT(*) "
            "FROM calls WHERE time >= ? AND time < ? AND key != ? GROUP BY key, method, path, day",
            (ctx.start, ctx.end, NO_KEY))
        for key, method, path, _day, t0, t1, n in seen:
            ep = find_endpoint(method, path)
            info = ctx.info(key)
            profile = info.profile or ctx.config.default_profile
            allowed = ctx.config.profile_permissions(info)
            if ep is None:
                if "withdraw" not in path.lower() and "transfer" not in path.lower():
                    continue
                permission = Permission.WITHDRAWALS.value
            elif ep.permission is None or ep.permission.value in allowed:
                continue
            else:
                permission = ep.permission.value
            withdrawal = permission == Permission.WITHDRAWALS.value
            if withdrawal and permission in allowed:
                continue
            where, params = "key = ? AND method = ? AND path = ? AND time >= ? AND time <= ?", (key, method, path,
                                                                                               t0, t1)
            rows = ctx.rows(where, params)
            ip = rows[0].get("client_ip") or rows[0].get("host") if rows else "?"
            what = "withdrawal attempt" if withdrawal else f"call needing {permission}"
            summary = (f"{what}: {n} x {method} {path} from {ip}, outside the key's profile "
                       f"`{profile}` (allows {', '.join(sorted(allowed))})")
            alerts.append(ctx.alert(self.name, "critical" if withdrawal else "high", key, summary, rows,
                                    ALL_ACTIONS if withdrawal else (REVOKE, CHECK_SETTINGS, INSPECT_OTHERS),
                                    t0, t1, f"{method}:{path}:{int(t0 // 86400)}"))
        return alerts
