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

import keysafe.scan.context as context
import keysafe.scan.filters as filters
from keysafe.scan.findings import fingerprint


@dataclass(frozen=True)
class Candidate:
    start: int  # offset in the scanned text (the line is derived from it)
    kind: str
    secret: str = field(repr=False)
    fingerprint: str
    role: context.Role | None = None
    canonical: str = field(default="", repr=False)  # what the vault fingerprints (see fingerprints.py)


# ------------------------------------------------------------------ runs of key characters

_RUN = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{64,}")
_RUN_TABLE = bytes(0x61 if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "+/") else 0x20 for b in range(256))
_A64 = b"a" * 64
_LOWER_TABLE = bytes(range(256)).lower()


class Text:
    """A text being scanned, with what several detectors share, computed once.

    ``runs`` are the maximal runs of ``[A-Za-z0-9+/]`` at least 64 long: a 64-character key,
    a base64-encoded key and a base64 PEM are each exactly one such run. On ASCII text (most
    files) they are found at C speed: translate every byte to ``a`` or space, then ``find``.
    """

    __slots__ = ("text", "path", "_runs", "_spans", "_ascii")

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self._runs: list[tuple[int, int]] | None = None
        self._spans: list[tuple[int, int]] | None = None
        self._ascii: bytes | None = text.encode("ascii") if text.isascii() else None

    @property
    def ascii(self) -> bytes | None:
        """The text as bytes when it is ASCII (then byte offsets are character offsets), else None."""
        return self._ascii

    def lower(self) -> str | bytes:
        """The text in lower case, for substring searches: bytes (offsets unchanged) when it is ASCII,
        where a translate runs several times faster than ``str.lower``."""
        return self.text.lower() if self._ascii is None else self._ascii.translate(_LOWER_TABLE)

    @property
    def runs(self) -> list[tuple[int, int]]:
        if self._runs is None:
            text = self.text
            if self._ascii is not None:
                mask = self._ascii.translate(_RUN_TABLE)
                runs = []
                i = mask.find(_A64)
                while i != -1:
                    end = mask.find(b" ", i + 64)
                    end = len(mask) if end == -1 else end
                    runs.append((i, end))
                    i = mask.find(_A64, end)
                self._runs = runs
            else:
                self._runs = [m.span() for m in _RUN.finditer(text)]
        return self._runs

    def keys64(self) -> Iterator[tuple[int, str]]:
        """(offset, value) of every standalone 64-letters-and-digits token."""
        text = self.text
        for a, b in self.runs:
            if b - a == 64 and text[b:b + 1] != "=":
                value = text[a:b]
                if value.isalnum():
                    yield a, value

    def in_pem_block(self, offset: int) -> bool:
        if self._spans is None:
            self._spans = pem_spans(self.text)
        for a, b in self._spans:
            if a <= offset < b:
                return True
        return False


def _key_candidate(start: int, value: str, text: str, path: str) -> Candidate | None:
    # Cheapest first: the alphabet and digest checks, then the context, then the costlier filters.
    if filters.lacks_key_alphabet(value) or filters.is_hex_digest(value):
        return None
    role = context.score(text, start, path)
    if role is None or filters.not_a_key(value):
        return None
    return _scored(start, value, role)


def _scored(start: int, value: str, role: context.Role) -> Candidate:
    kind = "binance-secret-key" if role is context.Role.SECRET else "binance-api-key"
    return Candidate(start, kind, value, fingerprint(value), role, value)


# ------------------------------------------------------------------ 64-character keys

_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.{0,16000}?-----END [A-Z0-9 ]+-----", re.S)


def pem_spans(text: str) -> list[tuple[int, int]]:
    """Where PEM blocks stand: their 64-character body lines are not API keys."""
    return [m.span() for m in _PEM_BLOCK.finditer(text)] if "-----BEGIN " in text else []


class BinanceKeyDetector:
    """64 letters and digits, mixed case, standing where a key stands (see context.py)."""

    def detect(self, t: Text) -> Iterator[Candidate]:
        text, path = t.text, t.path
        lacks_key_alphabet, is_hex_digest, score = filters.lacks_key_alphabet, filters.is_hex_digest, context.score
        for start, value in t.keys64():  # ~1 in 10 lines of a log is such a token: keep this loop lean
            if lacks_key_alphabet(value) or is_hex_digest(value) or t.in_pem_block(start):
                continue
            role = score(text, start, path)
            if role is not None and not filters.not_a_key(value):
                yield _scored(start, value, role)


class SplitLiteralDetector:
    """A key cut into adjacent string literals: ``"abc…" "xyz…"``, ``'abc…' + 'xyz…'``, over lines.

    The joined value must stand in a key context like any key, so only the text following a
    key word (or every text of a file whose path names keys) is searched for literal chains.
    """

    _LIT = r"\"[A-Za-z0-9]{2,62}\"|'[A-Za-z0-9]{2,62}'"
    CHAIN = re.compile(rf"(?:{_LIT})(?:[ \t]*\+?[ \t]*(?:\\?\r?\n[ \t]*)?\+?[ \t]*(?:{_LIT})){{1,15}}")
    PART = re.compile(r"[\"']([A-Za-z0-9]+)[\"']")
    WORDS = ("key", "secret", "binance", "client", "spot(", "credential", "passphrase")
    WORDS_ASCII = tuple(w.encode() for w in WORDS)
    REACH = context.FAR_CHARS + 200  # a chain starting this far after a key word can still be scored in context

    def _windows(self, t: Text) -> list[tuple[int, int]]:
        if context.PATH_WORDS.search(t.path):
            return [(0, len(t.text))]
        low = t.lower()
        words = self.WORDS if isinstance(low, str) else self.WORDS_ASCII
        hits = []
        for w in words:
            i = low.find(w)  # type: ignore[arg-type]  # str in str, bytes in bytes
            while i != -1:
                hits.append(i)
                i = low.find(w, i + self.REACH)  # type: ignore[arg-type]
        windows: list[tuple[int, int]] = []
        for h in sorted(hits):
            if windows and h <= windows[-1][1]:
                windows[-1] = (windows[-1][0], h + self.REACH)
            else:
                windows.append((h, h + self.REACH))
        return windows

    def detect(self, t: Text) -> Iterator[Candidate]:
        if "'" not in t.text and '"' not in t.text:
            return
        for a, b in self._windows(t):
            for m in self.CHAIN.finditer(t.text, a, b + 1200):
                if m.start() > b:
                    break
                value = "".join(self.PART.findall(m.group()))
                if len(value) == 64:
                    cand = _key_candidate(m.start(), value, t.text, t.path)
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

    def detect(self, t: Text) -> Iterator[Candidate]:
        if "PRIVATE KEY-----" not in t.text:
            return
        for m in PEM.finditer(t.text):
            label = m.group(1)
            der = pem_der(label, m.group(2))
            if der is None:
                continue
            canonical = base64.b64encode(der).decode()
            yield Candidate(m.start(), classify_pem(label, der), m.group(), fingerprint(der), None, canonical)


# ------------------------------------------------------------------ base64 (Kubernetes Secrets)

# A 64-byte key (optionally with the newline `echo` adds) is 88 base64 characters; a PEM starts "LS0tLS1CRUdJTi".
_B64_CHAR = re.compile(r"[A-Za-z0-9+/=]")


class Base64Detector:
    """Keys and PEM private keys stored base64-encoded (Kubernetes Secret ``data:``, CI variables)."""

    def __init__(self) -> None:
        self._pem = PrivateKeyDetector()

    def detect(self, t: Text) -> Iterator[Candidate]:
        text = t.text
        for a, b in t.runs:
            n = b - a
            pad = 88 - n  # a 64-byte key encodes to 86 characters and "==", with a newline to 87 and "="
            if pad in (1, 2) and text[b:b + pad] == "=" * pad and not _B64_CHAR.match(text, b + pad):
                try:
                    raw = base64.b64decode(text[a:a + 88], validate=True).decode("ascii").strip()
                except (binascii.Error, ValueError):
                    continue
                if len(raw) == 64 and raw.isalnum():
                    cand = _key_candidate(a, raw, text, t.path)
                    if cand is None and "kind: Secret" in text and not filters.not_a_key(raw):
                        cand = Candidate(a, "binance-api-key", raw, fingerprint(raw), context.Role.UNKNOWN, raw)
                    if cand:
                        yield cand
            elif text.startswith("LS0tLS1CRUdJTi", a):
                chunk = text[a:b]
                try:
                    decoded = base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("ascii", "replace")
                except (binascii.Error, ValueError):
                    continue
                for inner in self._pem.detect(Text(decoded, t.path)):
                    yield Candidate(a, inner.kind, inner.secret, inner.fingerprint, None, inner.canonical)


DETECTORS = (BinanceKeyDetector(), SplitLiteralDetector(), PrivateKeyDetector(), Base64Detector())
