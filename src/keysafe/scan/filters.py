"""Plain functions that say "this is not a key": digests, UUIDs, placeholders, lock files,
Binance's published documentation samples. Each takes the candidate (or the path) and
returns True when the candidate must be dropped.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from pathlib import PurePosixPath

# SHA-256 of the sample keys printed in Binance's API documentation (binance/binance-spot-api-docs,
# rest-api.md and the signing guides). They are public, appear in countless tutorials and
# are never findings. Stored as hashes so this repository holds no key-shaped literal.
DOC_SAMPLE_SHA256 = frozenset({
    "5ba1ed8425baaa72d558afddb8aaacdfe29ad0dc1a44dae76640127e83626d29",  # HMAC example apiKey (vmPU…)
    "23e9efa3ced6e70c7f2dbe0d08295f18f94b0cbd5c6026677e3bc51897ee31f2",  # HMAC example secretKey (NhqP…)
    "3b76d52c452446111712fa1a02da33ede27938e6e2ba943f514f3929b837f043",  # RSA example apiKey (CAvI…)
    "88a07940499df805e429410fb07b23408a5375962ad3960210e7c2c7aac67779",  # Ed25519 example apiKey (4yNz…)
})

LOCK_FILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Pipfile.lock",
    "Cargo.lock", "go.sum", "composer.lock", "Gemfile.lock", "uv.lock", "pdm.lock", "bun.lock", "flake.lock",
    "packages.lock.json", "mix.lock", "pubspec.lock", "Podfile.lock",
})

_HEX = re.compile(r"[0-9a-fA-F]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_PLACEHOLDER_WORDS = re.compile(r"(?i)your|example|sample|placeholder|changeme|xxxx|dummy|redacted|insert|replace")
_RUNS = ("abcdefgh", "ABCDEFGH", "01234567", "12345678", "qwerty", "QWERTY")


def is_hex_digest(s: str) -> bool:
    """Hex digests and HMAC signatures (SHA-256, two UUID hex strings, ...) are not keys."""
    return _HEX.fullmatch(s) is not None


def is_uuid(s: str) -> bool:
    return _UUID.fullmatch(s) is not None


def lacks_key_alphabet(s: str) -> bool:
    """Binance keys are random letters and digits: upper case, lower case and digits all appear."""
    return s.lower() == s or s.upper() == s or s.isalpha() or s.isdigit()


def shannon_entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def is_placeholder(s: str) -> bool:
    """``Your_API_Key``, ``xxxx…``, ``AAAA…``, ``abcdefgh…1234``, repeated patterns, low entropy."""
    if _PLACEHOLDER_WORDS.search(s) or any(r in s for r in _RUNS):
        return True
    if len(set(s)) < 16:  # a random 64-character key uses ~40 distinct characters
        return True
    for period in range(1, 17):  # "Ab1Ab1Ab1…"
        if s[:period] * (len(s) // period) == s[: period * (len(s) // period)]:
            return True
    return shannon_entropy(s) < 4.2  # random over 62 symbols: ~5.3 bits per character


def is_doc_sample(s: str) -> bool:
    """One of Binance's published documentation sample keys (matched by SHA-256)."""
    return hashlib.sha256(s.encode()).hexdigest() in DOC_SAMPLE_SHA256


def is_lock_file(path: str) -> bool:
    """Lock files hold integrity hashes, never keys: skip them (known fingerprints still apply)."""
    return PurePosixPath(path).name in LOCK_FILES


def not_a_key(s: str) -> bool:
    """Every filter for a 64-character candidate, cheapest first."""
    return (is_hex_digest(s) or lacks_key_alphabet(s) or is_uuid(s) or is_placeholder(s)
            or is_doc_sample(s))
