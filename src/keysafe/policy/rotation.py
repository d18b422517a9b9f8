"""Key rotation as a resumable state machine: start → verify → promote → retire.

Modelled on the create/set/test/finish steps of managed secret stores, adapted to keys a
person creates on Binance's web page:

* ``start``   takes the new key as the *pending* version (never more than one);
* ``verify``  reads the pending key's live restrictions and compares them with the profile
              and with the current key's; it records a pass or the reasons it failed;
* ``promote`` makes the pending key current (only after a passing verify); the old one
              becomes *previous*;
* ``retire``  confirms with a live call that the old key is dead on Binance, then marks it
              *retired*.

Each step is one atomic vault write, so a crash leaves the state of before or after the
step; running the same step again resumes (and is a no-op when it already happened).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass
from typing import Any

from keysafe.errors import AuthenticationError, KeysafeError
from keysafe.policy.audit import Finding, audit_record
from keysafe.policy.live import Fetcher, credential_for, fetch_restrictions
from keysafe.policy.profiles import get_profile, permission_name
from keysafe.secret import Secret
from keysafe.spec.permissions import PERMISSIONS, Permission
from keysafe.vault import Vault
from keysafe.vault.records import Record, VersionState

REASONS = ("scheduled", "leaked", "staff-change", "server-move", "platform-change")
STEPS = ("started", "verified", "promoted", "retired")


class RotationError(KeysafeError):
    """A rotation step that does not fit where the rotation is."""


def step_of(record: Record) -> str | None:
    return (record.rotation or {}).get("step")


def next_command(record: Record) -> str:
    step = step_of(record)
    label = record.label
    if step in (None, "retired"):
        return f"keysafe rotate start {label}"
    if step == "started":
        if record.pending is not None and not record.pending.has_api_key:
            return f"keysafe rotate start {label}  (paste the new API key)"
        return f"keysafe rotate verify {label}"
    if step == "verified":
        return f"keysafe rotate promote {label}"
    return f"keysafe rotate retire {label}"


def instructions(vault: Vault, label: str) -> list[str]:
    """What to create on Binance: the same permissions and IP whitelist as the current key."""
    record = vault.get(label)
    profile = get_profile(record.profile, vault.home)
    live = ((record.current.live or {}).get("restrictions") if record.current else None) or {}
    perms = [p for p in PERMISSIONS if live.get(p.value)] if live else sorted(profile.requires)
    wanted = [p for p in perms if p in profile.requires] or sorted(profile.requires)
    lines = [
        "On Binance → API Management → Create API"
        + (" → Self-generated (paste the public key below)" if record.key_type.value != "hmac" else ""),
        f"  label suggestion: {label}-{time.strftime('%Y%m%d')}",
        "  permissions: " + ", ".join(permission_name(p) for p in wanted) + " (nothing else)",
    ]
    extra = [p for p in perms if p not in profile.requires]
    if extra:
        lines.append("  do NOT copy from the old key: " + ", ".join(permission_name(p) for p in extra))
    lines.append("  IP whitelist: " + (", ".join(record.ip_whitelist) if record.ip_whitelist else
                                       "your server's address(es) (" + profile.ip_whitelist + " for "
                                       + profile.name + ")"))
    return lines


def _require_step(record: Record, allowed: tuple[str | None, ...], doing: str) -> None:
    step = step_of(record)
    if step not in allowed:
        where = f"at step '{step}'" if step else "not started"
        raise RotationError(f"Cannot {doing} {record.label!r}: its rotation is {where}.",
                            f"Next: `{next_command(record)}`.")


def start(vault: Vault, label: str, *, reason: str = "scheduled", api_key: str | None = None,
          secret: str | Secret | None = None) -> Record:
    """Take the new key as the pending version. HMAC: ``api_key`` + ``secret``. Ed25519/RSA:
    call with neither to generate the key pair (public key in ``record.pending.public_key_pem``),
    then again with ``api_key`` once Binance shows it. Re-running with the same key resumes."""
    if reason not in REASONS:
        raise RotationError(f"Unknown reason {reason!r}.", "Use one of: " + ", ".join(REASONS) + ".")
    record = vault.get(label)
    pending = record.pending
    if pending is not None:
        if api_key is not None and not pending.has_api_key and secret is None:
            vault.attach_api_key(label, api_key)
            return vault.get(label)
        from keysafe.credentials import key_fingerprint

        if api_key is not None and pending.api_key_fingerprint == key_fingerprint(api_key):
            return record  # resumed after a crash: the same key is already pending
        raise RotationError(f"{label!r} already has a pending key (version {pending.number}); keysafe keeps at most "
                            "one.", f"Continue with `{next_command(record)}`, or `keysafe rotate cancel {label}`.")
    _require_step(record, (None, "retired"), "start a rotation of")
    if record.current is None:
        raise RotationError(f"{label!r} has no current key to rotate.", f"Add one: `keysafe add {label}`.")
    generated = secret is None and record.key_type.value != "hmac"
    if secret is None and not generated:
        raise RotationError("The new key's secret is needed.", "Paste it when asked (or pipe it on stdin).")

    def mutate(rec: Record, v: Vault) -> dict[str, Any]:
        if rec.pending is not None:
            raise RotationError(f"{label!r} already has a pending key.", f"`{next_command(rec)}`.")
        if generated:
            from keysafe.signing import generate_key_pair

            pair = generate_key_pair(rec.key_type)
            version = v.new_version(rec, VersionState.PENDING, api_key, pair.private_pem.decode(),
                                    public_key_pem=pair.public_pem, reason=reason)
        else:
            version = v.new_version(rec, VersionState.PENDING, api_key, secret, reason=reason)
        rec.rotation = {"id": uuid.uuid4().hex[:12], "step": "started", "reason": reason,
                        "from": rec.current.number, "to": version.number, "started_at": time.time()}
        return {"version": version.number, "reason": reason, "api_key": version.api_key_masked}

    return vault.update_record(label, "rotate.start", mutate)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    problems: tuple[str, ...]
    findings: tuple[Finding, ...]
    restrictions: dict[str, Any] | None


def _enabled(restrictions: dict[str, Any]) -> set[Permission]:
    return {p for p in PERMISSIONS if restrictions.get(p.value)}


def verify(vault: Vault, label: str, *, base_url: str | None = None, fetch: Fetcher = fetch_restrictions,
           now: float | None = None) -> VerifyResult:
    """Call the exchange with the pending key; compare with the profile and the current key."""
    record = vault.get(label)
    _require_step(record, ("started", "verified"), "verify the rotation of")
    pending = record.pending
    if pending is None or not pending.has_api_key:
        raise RotationError(f"The pending key of {label!r} has no API key yet.", f"`{next_command(record)}`.")
    profile = get_profile(record.profile, vault.home)
    problems: list[str] = []
    try:
        live = fetch(credential_for(vault, label, base_url, pending.number), base_url)
    except AuthenticationError as exc:
        live = None
        problems.append(f"the exchange rejects the new key (Binance {exc.code}: {exc.message})")
    findings: tuple[Finding, ...] = ()
    old: dict[str, Any] | None = None
    old_is_live = False
    if live is not None:
        as_current = dataclasses.replace(pending, state=VersionState.CURRENT, live=None,
                                         key_created_at=(live.get("createTime") or 0) / 1000 or None)
        probe = dataclasses.replace(record, versions=[as_current], rotation=None)
        findings = tuple(f for f in audit_record(probe, profile, now=now, live=live,
                                                 live_environment=record.environment)
                         if f.id not in ("KS010", "KS012"))
        problems += [f"{f.id} {f.severity}: {f.what}" for f in findings if f.severity in ("critical", "high")]
        old, old_is_live = _current_restrictions(vault, record, base_url, fetch)
        if old is not None:
            more = _enabled(live) - _enabled(old)
            if more:
                problems.append("the new key has permissions the current one does not: "
                                + ", ".join(permission_name(p) for p in sorted(more)))
            if old.get("ipRestrict") and not live.get("ipRestrict"):
                problems.append("the current key is IP-restricted and the new one is not")
    ok = not problems
    result = VerifyResult(ok, tuple(problems), findings, live)

    def mutate(rec: Record, _v: Vault) -> dict[str, Any]:
        target = rec.pending
        if target is None or target.number != pending.number:
            raise RotationError("The pending key changed while it was being verified.", "Run verify again.")
        target.verified = {"ok": ok, "at": time.time(), "base_url": base_url, "problems": list(problems)}
        if live is not None:
            target.live = {"at": time.time(), "base_url": base_url, "restrictions": live}
            if live.get("createTime"):
                target.key_created_at = live["createTime"] / 1000
        cur = rec.current
        if old_is_live and cur is not None:
            cur.live = {"at": time.time(), "base_url": base_url, "restrictions": old}
        rec.rotation = {**(rec.rotation or {}), "step": "verified" if ok else "started"}
        return {"version": target.number, "ok": ok, "problems": len(problems)}

    vault.update_record(label, "rotate.verify", mutate)
    return result


def _current_restrictions(vault: Vault, record: Record, base_url: str | None,
                          fetch: Fetcher) -> tuple[dict[str, Any] | None, bool]:
    """(the current key's restrictions, whether they were just read live)."""
    current = record.current
    if current is None or not current.has_api_key:
        return None, False
    try:
        return fetch(credential_for(vault, record.label, base_url, current.number), base_url), True
    except AuthenticationError:  # already deleted (e.g. a leaked key): use what was last recorded
        return (current.live or {}).get("restrictions"), False


def promote(vault: Vault, label: str) -> Record:
    """Make the verified pending key current; the old current becomes previous. Idempotent."""
    record = vault.get(label)
    if step_of(record) == "promoted":
        return record
    _require_step(record, ("verified",), "promote the new key of")

    def mutate(rec: Record, _v: Vault) -> dict[str, Any]:
        pending = rec.pending
        if pending is None or not (pending.verified or {}).get("ok"):
            raise RotationError(f"The pending key of {label!r} has not passed `rotate verify`.",
                                f"`keysafe rotate verify {label}`.")
        old = rec.current
        if old is not None:
            old.state = VersionState.PREVIOUS
        pending.state, pending.promoted_at = VersionState.CURRENT, time.time()
        rec.rotation = {**(rec.rotation or {}), "step": "promoted"}
        return {"version": pending.number, "previous": old.number if old else None}

    return vault.update_record(label, "rotate.promote", mutate)


def retire(vault: Vault, label: str, *, base_url: str | None = None, fetch: Fetcher = fetch_restrictions) -> Record:
    """Confirm with a live call that the previous key is dead on Binance, then retire it. Idempotent."""
    record = vault.get(label)
    if step_of(record) == "retired":
        return record
    _require_step(record, ("promoted",), "retire the old key of")
    old = record.previous
    if old is not None and old.has_api_key:
        try:
            fetch(credential_for(vault, label, base_url, old.number), base_url)
        except AuthenticationError:
            pass  # -2014/-2015: the key is gone; exactly what we want to see
        else:
            raise RotationError(
                f"The old key of {label!r} ({old.api_key_masked}) still works on the exchange.",
                f"Delete it on Binance (API Management → Delete), then run `keysafe rotate retire {label}` again.")

    def mutate(rec: Record, _v: Vault) -> dict[str, Any]:
        prev = rec.previous
        if prev is not None:
            prev.state, prev.retired_at = VersionState.RETIRED, time.time()
        rec.rotation = {**(rec.rotation or {}), "step": "retired", "finished_at": time.time()}
        return {"version": prev.number if prev else None, "confirmed_dead": True}

    return vault.update_record(label, "rotate.retire", mutate)


def cancel(vault: Vault, label: str) -> Record:
    """Drop the pending key (before promote); it is kept as retired history."""
    record = vault.get(label)
    _require_step(record, ("started", "verified"), "cancel the rotation of")

    def mutate(rec: Record, _v: Vault) -> dict[str, Any]:
        pending = rec.pending
        if pending is not None:
            pending.state, pending.retired_at = VersionState.RETIRED, time.time()
        rec.rotation = None
        return {"version": pending.number if pending else None}

    return vault.update_record(label, "rotate.cancel", mutate)
