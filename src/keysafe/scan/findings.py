"""What the scanner reports: a :class:`Finding` that never shows the secret it found.

A finding keeps only a fingerprint (SHA-256 of the secret, 16 hex digits, the same
formula as :func:`keysafe.credentials.key_fingerprint`) and the first four characters.
The secret itself is held in a field that is excluded from ``repr`` and equality and is
dropped before reporting unless the user asked for ``--show-secrets``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

CRITICAL, HIGH, MEDIUM = "critical", "high", "medium"

# kind -> (severity, one-line description). The kinds are the SARIF rule ids too.
KINDS: dict[str, tuple[str, str]] = {
    "binance-key-pair": (CRITICAL, "A Binance API key and its secret key, side by side"),
    "binance-secret-key": (CRITICAL, "A Binance HMAC secret key"),
    "binance-api-key": (HIGH, "A Binance API key (64 letters and digits in a key context)"),
    "ed25519-private-key": (CRITICAL, "An Ed25519 private key (Binance self-generated API key)"),
    "rsa-private-key": (CRITICAL, "An RSA private key"),
    "private-key": (CRITICAL, "A private key (PEM)"),
    "encrypted-private-key": (MEDIUM, "A passphrase-protected private key"),
    "known-key": (CRITICAL, "One of your own keys, recognised by its vault fingerprint"),
    "unignored-secret-file": (MEDIUM, "A .env or key file that .gitignore does not cover"),
}

FIX = ("Revoke the key on Binance first (API Management → Delete), then remove it from the code; "
       "deleting the file or the commit is not enough, it stays in git history and in clones.")
FIX_FILE = "Add this file to .gitignore (and `git rm --cached` it if it was committed)."


def fingerprint(text: str | bytes) -> str:
    """SHA-256 of the secret, 16 hex digits: safe to print, store in baselines, compare."""
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str
    fingerprint: str
    preview: str  # the first 4 characters of the secret, or "" (files, PEM headers are shown by kind)
    commit: str | None = None
    in_head: bool | None = None
    pair_fingerprint: str | None = None  # the API key standing next to a secret (binance-key-pair)
    label: str | None = None  # the vault label of a known key
    secret: str | None = field(default=None, repr=False, compare=False)

    @property
    def severity(self) -> str:
        return KINDS[self.kind][0]

    @property
    def description(self) -> str:
        return KINDS[self.kind][1]

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return (self.fingerprint,) + ((self.pair_fingerprint,) if self.pair_fingerprint else ())

    def redacted(self) -> Finding:
        return replace(self, secret=None)

    def shown(self, show_secrets: bool = False) -> str:
        """The secret as printed: ``abcd…`` by default; in full only with ``show_secrets``."""
        if show_secrets and self.secret:
            return self.secret
        return f"{self.preview}…" if self.preview else ""

    def to_dict(self, show_secrets: bool = False) -> dict:
        out = {"path": self.path, "line": self.line, "kind": self.kind, "fingerprint": self.fingerprint,
               "commit": self.commit, "severity": self.severity, "preview": self.shown(False)}
        if self.in_head is not None:
            out["in_head"] = self.in_head
        if self.pair_fingerprint:
            out["pair_fingerprint"] = self.pair_fingerprint
        if self.label:
            out["label"] = self.label
        if show_secrets and self.secret:
            out["secret"] = self.secret
        return out


@dataclass
class Skipped:
    """A file the scanner did not read (or read with a caveat), with the reason in a few words."""

    path: str
    reason: str


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    suppressed: int = 0  # findings hidden by the baseline
