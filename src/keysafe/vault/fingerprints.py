"""``$KEYSAFE_HOME/fingerprints.json``: salted fingerprints of the vault's secrets for the leak scanner.

The scanner matches the user's own keys without opening the vault. The file holds a
random salt and, per label, a salted one-way fingerprint of each secret (and API key);
it is written atomically with mode 0600 whenever a record is added, rotated or removed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from keysafe.vault.store import FINGERPRINTS_NAME, atomic_write


def fingerprint_secret(secret: str, salt: str) -> str:
    """The scanner's fingerprint function when available; else salted SHA-256 of the secret's text."""
    try:
        from keysafe.scan.fingerprints import fingerprint_secret as scan_fp  # same floor, optional
    except ImportError:
        return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()
    return scan_fp(secret, salt)


def _load_salt(path: Path) -> str:
    try:
        salt = json.loads(path.read_text())["salt"]
        bytes.fromhex(salt)
        return salt
    except (OSError, ValueError, KeyError, TypeError):
        return os.urandom(16).hex()


def write(home: Path, items: Iterable[tuple[str, str]]) -> Path:
    """Rewrite the file from ``(label, secret_text)`` pairs (every live secret of the vault)."""
    path = home / FINGERPRINTS_NAME
    salt = _load_salt(path)
    entries = [{"label": label, "fp": fingerprint_secret(text, salt)} for label, text in items]
    atomic_write(path, json.dumps({"salt": salt, "fingerprints": entries}, indent=1).encode())
    return path
