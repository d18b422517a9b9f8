"""The live side of policy: a :class:`keysafe.Client` built from a vault label, and apiRestrictions.

The vault knows nothing of HTTP; this module (one floor up) joins it to the client.
Everything that talks to the exchange goes through :data:`Fetcher`, a plain function
``(credential, base_url) -> apiRestrictions dict``, so audit and rotation can be driven
by the real client (default) or by another transport.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from keysafe.credentials import Credential
from keysafe.errors import AuthenticationError
from keysafe.policy.audit import Finding, audit_record
from keysafe.policy.profiles import get_profile
from keysafe.spec import Environment
from keysafe.spec.environments import environment_for_url
from keysafe.vault import Vault

Fetcher = Callable[[Credential, "str | None"], dict[str, Any]]


def client_from_vault(label: str, *, vault: Vault | None = None, version: int | None = None, **client_kwargs: Any):
    """A :class:`keysafe.Client` for the current key of ``label`` (the vault is opened if not given)."""
    from keysafe.client import Client  # floor 4, imported only when a client is wanted

    vault = vault or Vault.open()
    return Client(vault.credential(label, version), **client_kwargs)


def fetch_restrictions(credential: Credential, base_url: str | None = None) -> dict[str, Any]:
    """``GET /sapi/v1/account/apiRestrictions`` with ``credential`` through keysafe's client."""
    from keysafe.client import Client

    with Client(credential, base_url=base_url) as client:
        return dict(client.api_restrictions())


def credential_for(vault: Vault, label: str, base_url: str | None, version: int | None = None) -> Credential:
    """The credential, re-targeted to the environment of ``base_url`` when the user points elsewhere.

    Checking where a key *works* means trying it there; the client would (rightly) refuse to
    send a production credential to another environment, so the check builds one for it.
    """
    cred = vault.credential(label, version)
    target = environment_for_url(base_url) if base_url else None
    if target is None or target == cred.environment:
        return cred
    return Credential(cred.api_key, cred.signer, target, label)


def read_live(vault: Vault, label: str, base_url: str | None, fetch: Fetcher,
              version: int | None = None) -> tuple[dict[str, Any] | None, Environment, str | None]:
    """(restrictions or None, environment tried, rejection text or None)."""
    cred = credential_for(vault, label, base_url, version)
    try:
        return fetch(cred, base_url), cred.environment, None
    except AuthenticationError as exc:
        return None, cred.environment, f"{type(exc).__name__}: Binance {exc.code} {exc.message}"


def audit_live(vault: Vault, labels: Iterable[str], *, base_url: str | None = None,
               fetch: Fetcher = fetch_restrictions, now: float | None = None,
               record_results: bool = True) -> list[Finding]:
    """Audit ``labels`` with their live restrictions; record what was read in the vault."""
    findings: list[Finding] = []
    for label in labels:
        record = vault.get(label)
        profile = get_profile(record.profile, vault.home)
        if record.current is None or not record.current.has_api_key:
            findings += audit_record(record, profile, now=now)
            continue
        live, env, error = read_live(vault, label, base_url, fetch)
        findings += audit_record(record, profile, now=now, live=live, live_environment=env, live_error=error)
        if record_results and live is not None and env == record.environment:
            remember_live(vault, label, record.current.number, live, base_url, "audit-live")
    return findings


def remember_live(vault: Vault, label: str, number: int, live: dict[str, Any], base_url: str | None,
                  op: str) -> None:
    def mutate(record, _vault):
        for v in record.versions:
            if v.number == number:
                v.live = {"at": time.time(), "base_url": base_url, "restrictions": live}
                if live.get("createTime"):
                    v.key_created_at = live["createTime"] / 1000
        return {"version": number, "ipRestrict": bool(live.get("ipRestrict")),
                "permissions": sorted(k for k, val in live.items() if k.startswith(("enable", "permits")) and val)}

    vault.update_record(label, op, mutate)
