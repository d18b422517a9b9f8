"""`keysafe audit`: each key against its profile, its live restrictions and what the vault recorded.

A :class:`Finding` has an id, a severity (critical, high, medium, low, info), what was
found, the evidence and the fix. :func:`audit_record` is pure (no I/O, injectable
``now``); :func:`audit_live` in :mod:`keysafe.policy.live` reads apiRestrictions first.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from keysafe.policy.profiles import Profile, permission_name
from keysafe.signing import KeyType
from keysafe.spec import Environment
from keysafe.spec.permissions import PERMISSIONS, Permission
from keysafe.vault.records import Record

SEVERITIES = ("critical", "high", "medium", "low", "info")
GATING = ("critical", "high")
DAY = 86400.0
TRADING_EXPIRY_DAYS = 30  # spot/margin trading on a key without IP whitelist (Binance rule, 2021-07-08)

RULES: dict[str, tuple[str, str]] = {
    "KS001": ("withdrawals-enabled", "Withdrawals are enabled on a key whose use does not need them"),
    "KS002": ("ip-whitelist-missing", "The key is not restricted to trusted IPs"),
    "KS003": ("forbidden-permission", "A permission the profile says must be off is on"),
    "KS004": ("permission-beyond-profile", "A permission beyond what the profile needs is on"),
    "KS005": ("permission-missing", "A permission the profile needs is off"),
    "KS006": ("rotation-overdue", "The key is older than its rotation cycle"),
    "KS007": ("rotation-due-soon", "The key's rotation is due soon"),
    "KS008": ("trading-expiry", "Spot trading expires because the key has no IP whitelist"),
    "KS009": ("environment-mismatch", "The key works in another environment than the vault records"),
    "KS010": ("hmac-key", "An HMAC key where Ed25519 would do"),
    "KS011": ("restrictions-changed", "The key's restrictions changed on the exchange since last recorded"),
    "KS012": ("not-checked-live", "The key's real restrictions were never read"),
    "KS013": ("key-rejected", "The exchange rejects the key"),
    "KS014": ("api-key-missing", "A generated key pair still waits for its API key"),
    "KS015": ("rotation-in-progress", "A rotation was started and not finished"),
    "KS016": ("withdrawal-address-whitelist", "Withdrawal address whitelist cannot be checked through the API"),
}


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str
    label: str
    what: str
    evidence: str
    fix: str

    @property
    def rule(self) -> str:
        return RULES[self.id][0]

    def to_dict(self) -> dict[str, str]:
        return {**asdict(self), "rule": self.rule}


def gating(findings: list[Finding]) -> bool:
    """True when a finding of high or critical severity is present (audit exits non-zero)."""
    return any(f.severity in GATING for f in findings)


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def trading_expiry(restrictions: dict[str, Any]) -> float | None:
    """When spot trading stops for a key without IP whitelist (epoch s), else None."""
    if restrictions.get("ipRestrict") or not restrictions.get(Permission.SPOT_AND_MARGIN_TRADING.value):
        return None
    if restrictions.get("tradingAuthorityExpirationTime"):
        return restrictions["tradingAuthorityExpirationTime"] / 1000
    if restrictions.get("createTime"):
        return restrictions["createTime"] / 1000 + TRADING_EXPIRY_DAYS * DAY
    return None


def key_created_at(record: Record, restrictions: dict[str, Any] | None = None) -> float:
    """Binance's createTime when known (just read, or recorded), else when the key was stored."""
    if restrictions and restrictions.get("createTime"):
        return restrictions["createTime"] / 1000
    return record.current.created_at if record.current else 0.0


def rotation_due(record: Record, profile: Profile,
                 restrictions: dict[str, Any] | None = None) -> tuple[float | None, str]:
    """The earlier of the profile's cycle and Binance's own trading expiry, with the reason."""
    current = record.current
    if current is None:
        return None, "no current key"
    restrictions = restrictions or (current.live or {}).get("restrictions")
    created = key_created_at(record, restrictions)
    due, why = created + profile.rotation_days * DAY, f"{profile.name} cycle of {profile.rotation_days} days"
    expiry = trading_expiry(restrictions) if restrictions else None
    if expiry is not None and expiry < due:
        due, why = expiry, "spot trading expires (no IP whitelist)"
    return due, why


def audit_record(record: Record, profile: Profile, *, now: float | None = None,
                 live: dict[str, Any] | None = None, live_environment: Environment | None = None,
                 live_error: str | None = None) -> list[Finding]:
    """Findings for one key. ``live``: apiRestrictions just read at ``live_environment``."""
    now = time.time() if now is None else now
    label = record.label
    out: list[Finding] = []

    def add(id_: str, severity: str, what: str, evidence: str, fix: str) -> None:
        out.append(Finding(id_, severity, label, what, evidence, fix))

    current = record.current
    if current is None:
        return out
    if not current.has_api_key:
        add("KS014", "medium", "The key pair was generated but no API key is attached.",
            f"version {current.number} has a public key and no API key",
            f"Register the public key on Binance (API Management → Create API → Self-generated), then "
            f"`keysafe add {label}` and paste the API key.")
    if record.pending is not None and record.rotation:
        add("KS015", "low", f"A rotation ({record.rotation.get('reason', 'scheduled')}) is at step "
            f"'{record.rotation.get('step')}'.", f"pending version {record.pending.number}",
            f"Finish it: `keysafe rotate verify|promote {label}`, or `keysafe rotate cancel {label}`.")

    previous_live = (current.live or {}).get("restrictions")
    if live_error:
        add("KS013", "high", "The exchange rejected the key.", live_error,
            "Check the key still exists on Binance, that this machine's IP is whitelisted, that 'Enable Reading' is "
            "on, and the environment.")
        restrictions, source = previous_live, "as last read live" if previous_live else None
    elif live is not None:
        restrictions, source = live, f"apiRestrictions read live from {live_environment or record.environment}"
    else:
        restrictions = previous_live
        source = (f"apiRestrictions as last read live on {_date(current.live['at'])}" if previous_live else None)

    if restrictions is None and live is None and not live_error:
        add("KS012", "info", "The key's real permissions and IP restriction were never read from the exchange.",
            "no live check recorded", f"Run `keysafe audit {label} --live`.")

    if live is not None and live_environment is not None and live_environment != record.environment:
        add("KS009", "high", f"The vault records {record.environment.value}, but the key works on "
            f"{live_environment.value}.", source,
            f"Store the key under the right environment: `keysafe remove {label}` then "
            f"`keysafe add {label} --env {live_environment.value}`.")

    if restrictions is not None:
        enabled = {p for p in PERMISSIONS if restrictions.get(p.value)}
        if Permission.WITHDRAWALS in enabled and not profile.allows_withdrawals:
            add("KS001", "critical", f"Withdrawals are enabled; a {profile.name} key never needs them.",
                f"enableWithdrawals=true ({source})",
                "Binance → API Management → Edit restrictions: untick 'Enable Withdrawals' now; if the key may have "
                f"leaked, rotate it (`keysafe rotate start {label} --reason leaked`).")
        for p in sorted(enabled & (profile.forbids - {Permission.WITHDRAWALS})):
            add("KS003", "high", f"'{permission_name(p)}' is on; the {profile.name} profile requires it off.",
                f"{p.value}=true ({source})", f"Untick '{permission_name(p)}' on Binance's API Management page.")
        for p in sorted(enabled & profile.beyond):
            add("KS004", "medium", f"'{permission_name(p)}' is on but a {profile.name} key does not need it.",
                f"{p.value}=true ({source})", f"Untick '{permission_name(p)}' (least privilege).")
        for p in sorted(profile.requires - enabled):
            add("KS005", "high", f"'{permission_name(p)}' is off; a {profile.name} key needs it.",
                f"{p.value}=false ({source})",
                f"Tick '{permission_name(p)}' on Binance's API Management page"
                + (" (keys older than the futures account cannot: create a new key)." if p is Permission.FUTURES
                   else "."))
        if not restrictions.get("ipRestrict"):
            sev = "high" if profile.ip_whitelist == "mandatory" else "low"
            recorded = f"; the vault records {', '.join(record.ip_whitelist)}" if record.ip_whitelist else ""
            add("KS002", sev, f"The key works from any IP address ({profile.ip_whitelist} for {profile.name}).",
                f"ipRestrict=false ({source}){recorded}",
                "Binance → API Management → Edit restrictions → 'Restrict access to trusted IPs only' and enter "
                "your server's address(es).")
        expiry = trading_expiry(restrictions)
        if expiry is not None and Permission.SPOT_AND_MARGIN_TRADING in profile.requires:
            left = expiry - now
            sev = "high" if left <= DAY else "medium" if left <= 7 * DAY else "low"
            what = ("Spot trading has expired" if left <= 0 else f"Spot trading expires on {_date(expiry)} "
                    f"({max(0, int(left // DAY))} days)") + ": the key has no IP whitelist."
            add("KS008", sev, what, f"ipRestrict=false, trading authority until {_date(expiry)} ({source})",
                "Add an IP whitelist to the key (keys with one do not expire), or rotate it.")
        if live is not None and previous_live is not None:
            changed = [p.value for p in PERMISSIONS if bool(live.get(p.value)) != bool(previous_live.get(p.value))]
            if bool(live.get("ipRestrict")) != bool(previous_live.get("ipRestrict")):
                changed.append("ipRestrict")
            if changed:
                add("KS011", "medium", "The key's restrictions changed on the exchange since the vault last "
                    f"recorded them ({_date(current.live['at'])}).", "changed: " + ", ".join(changed),
                    "If you did not change them yourself, treat the account as compromised: rotate the key.")
        if profile.allows_withdrawals and restrictions.get(Permission.WITHDRAWALS.value):
            add("KS016", "info", "Binance's API does not show whether withdrawals are limited to whitelisted "
                "addresses.", "no field in apiRestrictions",
                "Turn on the withdrawal address whitelist in Binance's security settings.")
    elif not record.ip_whitelist and profile.ip_whitelist == "mandatory":
        add("KS002", "high", f"No IP whitelist is recorded for this key (mandatory for {profile.name}).",
            "the vault records no --ip for this key",
            f"Restrict the key to your server's IP on Binance, then record it: `keysafe audit {label} --live`.")

    due, why = rotation_due(record, profile, restrictions)
    if due is not None:
        created = key_created_at(record, restrictions)
        age_days = int((now - created) // DAY)
        left = due - now
        if left <= 0:
            add("KS006", "high", f"The key is {age_days} days old; rotation was due on {_date(due)} ({why}).",
                f"key created {_date(created)}", f"`keysafe rotate start {label} --reason scheduled`.")
        elif left <= 7 * DAY:
            add("KS007", "medium" if left <= DAY else "low",
                f"Rotation is due on {_date(due)} ({why}), in {max(0, int(left // DAY))} days.",
                f"key created {_date(created)}", f"Plan `keysafe rotate start {label}`.")

    if record.key_type is KeyType.HMAC:
        add("KS010", "low", "An HMAC key: Binance sees and stores its secret; with Ed25519 the private key never "
            "leaves this machine.", "key type hmac",
            f"At the next rotation create a self-generated Ed25519 key: `keysafe keygen ed25519 {label}-v2`.")
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda f: (order[f.severity], f.id))


# ------------------------------------------------------------------ output formats


def to_json(findings: list[Finding]) -> str:
    return json.dumps({"findings": [f.to_dict() for f in findings],
                       "summary": {s: sum(f.severity == s for f in findings) for s in SEVERITIES},
                       "gating": gating(findings)}, indent=2)


_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def to_sarif(findings: list[Finding], vault_path: str = "vault.ksv") -> str:
    from keysafe import __version__

    used = sorted({f.id for f in findings})
    rules = [{"id": rid, "name": RULES[rid][0], "shortDescription": {"text": RULES[rid][1]}} for rid in used]
    results = [{
        "ruleId": f.id, "level": _SARIF_LEVEL[f.severity],
        "message": {"text": f"[{f.label}] {f.what} Evidence: {f.evidence}. Fix: {f.fix}"},
        "properties": {"severity": f.severity, "label": f.label},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": vault_path}},
                       "logicalLocations": [{"name": f.label, "kind": "resource"}]}],
    } for f in findings]
    return json.dumps({
        "version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "keysafe audit", "version": __version__, "rules": rules}},
                  "results": results}],
    }, indent=2)
