"""Least-privilege profiles, the key audit and rotation (they use the vault and the client together)."""

from keysafe.policy.audit import Finding, audit_record, gating, to_json, to_sarif
from keysafe.policy.live import audit_live, client_from_vault, fetch_restrictions
from keysafe.policy.profiles import BUILTIN, Profile, ProfileError, all_profiles, get_profile
from keysafe.policy.rotation import RotationError

__all__ = [
    "BUILTIN",
    "Finding",
    "Profile",
    "ProfileError",
    "RotationError",
    "all_profiles",
    "audit_live",
    "audit_record",
    "client_from_vault",
    "fetch_restrictions",
    "gating",
    "get_profile",
    "to_json",
    "to_sarif",
]
