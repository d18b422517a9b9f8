"""One small class per detector. Each yields :class:`Candidate` objects from a text; the
engine (:mod:`keysafe.scan.engine`) applies the filters, the context score, the
fingerprints of the user's own keys, inline allows and pairing.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from keysafe.scan import context, filters
from keysafe.scan.findings import fingerprint


@dataclass(frozen=True)
class Candidate:
    start: int  # offset in the scanned text (the line is derived from it)
    kind: str
    secret: str = field(repr=False)
    fingerprint: str
    role: context.Role | None = None
    canonical: str = field(default="", repr=False)  # what the vault fingerprints (see fingerprints.py)


# ------------------------------------------------------------------ 64-character keys

KEY64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9]{64}(?![A-Za-z0-9+/=])")


def _key_candidate(start: int, value: str, text: str, path: str) -> Candidate | None:
    if filters.not_a_key(value):
        return None
    role = context.score(text, start, path)
    if role is None:
        return None
    kind = "binance-secret-key" if role is context.Role.SECRET else "binance-api-key"
    return Candidate(start, kind, value, fingerprint(value), role, value)


class BinanceKeyDetector:
    """64 letters and digits, mixed case, standing where a key stands (see context.py)."""

    def detect(self, text: str, path: str) -> Iterator[Candidate]:
        for m in KEY64.finditer(text):
            cand = _key_candidate(m.start(), m.group(), text, path)
            if cand:
                yield cand


class SplitLiteralDetector:
    """A key cut into adjacent string literals: ``"abc…" "xyz…"``, ``'abc…' + 'xyz…'``, over lines."""

    _LIT = r"\"[A-Za-z0-9]{2,62}\"|'[A-Za-z0-9]{2,62}'"
    CHAIN = re.compile(rf"(?:{_LIT})(?:[ \t]*\+?[ \t]*(?:\\?\r?\n[ \t]*)?\+?[ \t]*(?:{_LIT})){{1,15}}")
    PART = re.compile(r"[\"']([A-Za-z0-9]+)[\"']")

    def detect(self, text: str, path: str) -> Iterator[Candidate]:
        for m in self.CHAIN.finditer(text):
            value = "".join(self.PART.findall(m.group()))
            if len(value) == 64:
                cand = _key_candidate(m.start(), value, text, path)
                if cand:
                    yield cand


# ------------------------------------------------------------------ private keys

PEM = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----(.{0,16000}?)-----END \1-----", re.S)
_ESCAPES = re.compile(r"\\+[nrt]?")
_JOINS = re.compile(r"[\"']\s*\+\s*[\"']")  # "...\n" + "..." in source code
_NOT_B64 = re.compile(r"[^A-Za-z0-9+/=]")
_HEADER = re.compile(r"^[A-Za-z-]+:.*$", re.M)  # Proc-Type: / DEK-Info: in legacy encrypted PEM

_ED25519_OID = b"\x06\x03\x2b\x65\x70"
_RSA_OID = b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"


def pem_der(label: str, body: str) -> bytes | None:
    """The key's bytes from a PEM body however it was escaped or split; None for placeholders."""
    body = _HEADER.sub("", _ESCAPES.sub("\n", _JOINS.sub("", body)))
    b64 = _NOT_B64.sub("", body).rstrip("=")
    if len(b64) < 60:  # Ed25519 PKCS#8 is 64 base64 characters; "..." and "<your key>" are not keys
        return None
    try:
        der = base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if "OPENSSH" in label:
        return der if der.startswith(b"openssh-key-v1\0") else None
    return der if der[:1] == b"\x30" else None


def classify_pem(label: str, der: bytes) -> str:
    if "ENCRYPTED" in label:
        return "encrypted-private-key"
    if _ED25519_OID in der[:32] or b"ssh-ed25519" in der:
        return "ed25519-private-key"
    if label.startswith("RSA") or _RSA_OID in der[:40] or b"ssh-rsa" in der:
        return "rsa-private-key"
    return "private-key"


class PrivateKeyDetector:
    """PEM private keys in files, in string literals, on one line with ``\\n`` escapes, in JSON."""

    def detect(self, text: str, path: str) -> Iterator[Candidate]:
        if "PRIVATE KEY-----" not in text:
            return
        for m in PEM.finditer(text):
            label = m.group(1)
            der = pem_der(label, m.group(2))
            if der is None:
                continue
            canonical = base64.b64encode(der).decode()
            yield Candidate(m.start(), classify_pem(label, der), m.group(), fingerprint(der), None, canonical)


# ------------------------------------------------------------------ base64 (Kubernetes Secrets)

# A 64-byte key (optionally with the newline `echo` adds) is 88 base64 characters; a PEM starts "LS0tLS1CRUdJTi".
B64_KEY = re.compile(r"(?<![A-Za-z0-9+/])(?:[A-Za-z0-9+/]{86}==|[A-Za-z0-9+/]{87}=)(?![A-Za-z0-9+/=])")
B64_PEM = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,}={0,2}")


class Base64Detector:
    """Keys and PEM private keys stored base64-encoded (Kubernetes Secret ``data:``, CI variables)."""

    def __init__(self) -> None:
        self._pem = PrivateKeyDetector()

    def detect(self, text: str, path: str) -> Iterator[Candidate]:
        for m in B64_KEY.finditer(text):
            try:
                raw = base64.b64decode(m.group(), validate=True).decode("ascii").strip()
            except (binascii.Error, ValueError):
                continue
            if len(raw) == 64 and KEY64.fullmatch(raw):
                cand = _key_candidate(m.start(), raw, text, path)
                if cand is None and "kind: Secret" in text and not filters.not_a_key(raw):
                    cand = Candidate(m.start(), "binance-api-key", raw, fingerprint(raw), context.Role.UNKNOWN, raw)
                if cand:
                    yield cand
        if "LS0tLS1CRUdJTi" in text:
            for m in B64_PEM.finditer(text):
                try:
                    decoded = base64.b64decode(m.group() + "=" * (-len(m.group()) % 4)).decode("ascii", "replace")
                except (binascii.Error, ValueError):
                    continue
                for inner in self._pem.detect(decoded, path):
                    yield Candidate(m.start(), inner.kind, inner.secret, inner.fingerprint, None, inner.canonical)


DETECTORS = (BinanceKeyDetector(), SplitLiteralDetector(), PrivateKeyDetector(), Base64Detector())
