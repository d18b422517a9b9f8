"""`keysafe status`: every key's age, rotation due date and open findings (offline)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from keysafe.policy.audit import DAY, SEVERITIES, Finding, audit_record, rotation_due
from keysafe.policy.profiles import get_profile
from keysafe.policy.rotation import step_of
from keysafe.vault import Vault


@dataclass(frozen=True)
class KeyStatus:
    label: str
    profile: str
    environment: str
    key_type: str
    version: int | None
    api_key: str | None
    age_days: int | None
    due_at: float | None
    due_reason: str
    findings: tuple[Finding, ...]
    rotation_step: str | None

    @property
    def worst(self) -> str | None:
        for s in SEVERITIES:
            if any(f.severity == s for f in self.findings):
                return s
        return None

    def counts(self) -> dict[str, int]:
        return {s: n for s in SEVERITIES if (n := sum(f.severity == s for f in self.findings))}


def key_status(vault: Vault, *, now: float | None = None) -> list[KeyStatus]:
    now = time.time() if now is None else now
    out = []
    for record in vault.records():
        profile = get_profile(record.profile, vault.home)
        current = record.current
        due, why = rotation_due(record, profile)
        out.append(KeyStatus(
            record.label, record.profile, record.environment.value, record.key_type.value,
            current.number if current else None, current.api_key_masked if current else None,
            int((now - current.created_at) // DAY) if current else None, due, why,
            tuple(audit_record(record, profile, now=now)), step_of(record),
        ))
    return out
