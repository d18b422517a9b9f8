"""The user's own keys, recognised exactly without decrypting the vault.

The vault writes ``$KEYSAFE_HOME/fingerprints.json`` (default: under the
user data directory, see :mod:`keysafe.home`) each time it stores or rotates a secret::

    {"salt": "<hex>", "fingerprints": [{"label": "grid-bot/secret", "fp": "<hex>"}]}

``fp`` is :func:`fingerprint_secret` of the secret text with that salt:
``sha256(salt + canonical_secret(secret))`` in hex. The scanner computes the same value for every 64-character
token and every PEM private key it meets and reports a match as a ``known-key`` finding,
whatever the context. The file holds no secret; a missing file means "no known keys".
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from keysafe.home import keysafe_home


FILE_NAME = "fingerprints.json"
_PEM = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----(.*?)-----END \1-----", re.S)


def canonical_secret(secret: str) -> str:
    """What is fingerprinted: the key text stripped, or for a PEM private key the base64 of its
    bytes (so the same key matches however it was escaped, wrapped or quoted)."""
    secret = secret.strip()
    if "PRIVATE KEY-----" in secret:
        from keysafe.scan.detectors import pem_der  # a cheap, lazy import: keeps this module standalone

        m = _PEM.search(secret)
        der = pem_der(m.group(1), m.group(2)) if m else None
        if der is not None:
            import base64

            return base64.b64encode(der).decode()
    return secret


def fingerprint_secret(secret: str, salt: bytes | str) -> str:
    """Salted SHA-256 (hex) of a secret, as stored in fingerprints.json. The vault calls this."""
    salt_bytes = bytes.fromhex(salt) if isinstance(salt, str) else salt
    return hashlib.sha256(salt_bytes + canonical_secret(secret).encode()).hexdigest()


@dataclass(frozen=True)
class KnownFingerprints:
    salt: bytes = b""
    labels: dict[str, str] = field(default_factory=dict)  # fp -> label

    def __bool__(self) -> bool:
        return bool(self.labels)

    def match(self, canonical: str) -> str | None:
        """The label of the user's key whose canonical text this is, or None."""
        if not self.labels:
            return None
        return self.labels.get(hashlib.sha256(self.salt + canonical.encode()).hexdigest())


def write_known_fingerprints(path: Path | str, salt: bytes, entries: list[tuple[str, str]]) -> None:
    """Write fingerprints.json from (label, secret) pairs; for the vault and for tests."""
    import json

    data = {"salt": salt.hex(),
            "fingerprints": [{"label": label, "fp": fingerprint_secret(secret, salt)} for label, secret in entries]}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def load_known_fingerprints(path: Path | str | None = None) -> KnownFingerprints:
    """Read fingerprints.json (default: in keysafe's home). Missing file: no known keys."""
    import json

    path = Path(path) if path else keysafe_home() / FILE_NAME
    if not path.is_file():
        return KnownFingerprints()
    try:
        data = json.loads(path.read_text())
        salt = bytes.fromhex(data["salt"])
        labels = {str(e["fp"]).lower(): str(e.get("label", "")) for e in data["fingerprints"]}
    except FileNotFoundError:
        return KnownFingerprints()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        from keysafe.scan.errors import ScanError

        raise ScanError(f"The fingerprints file {path} is unreadable or malformed ({type(exc).__name__}).",
                        "Let the vault rewrite it (`keysafe vault` re-saves it on every change) or delete it.") from None
    return KnownFingerprints(salt, labels)
