"""The scanning core: text in, findings out. No I/O beyond reading one file.

The order of work keeps the common case cheap: a file without any 64-character run, PEM
marker or base64 key is rejected by the detectors' own regular expressions before any
context is looked at.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field

from keysafe.scan.context import Role
from keysafe.scan.detectors import DETECTORS, Candidate, Text
from keysafe.scan.filters import is_lock_file
from keysafe.scan.findings import Finding, Skipped, fingerprint
from keysafe.scan.fingerprints import KnownFingerprints

ALLOW_MARK = "keysafe: allow"
MAX_BYTES = 10_000_000
PAIR_DISTANCE = 3  # lines between an API key and its secret to report them as one pair


@dataclass(frozen=True)
class Options:
    known: KnownFingerprints = field(default_factory=KnownFingerprints)
    max_bytes: int = MAX_BYTES
    keep_secrets: bool = False  # keep the secret text on findings (for --show-secrets and HEAD checks)


class _Lines:
    """Line numbers of offsets, counted only for the few candidates that survive."""

    def __init__(self, text: str) -> None:
        self.text = text

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def allowed(self, offset: int) -> bool:
        """An inline ``keysafe: allow`` on the candidate's line."""
        if ALLOW_MARK not in self.text:
            return False
        begin = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return ALLOW_MARK in self.text[begin:end if end != -1 else len(self.text)]


def _known_candidates(t: Text, known: KnownFingerprints) -> Iterable[Candidate]:
    """Every 64-character token, whatever its context, checked against the user's own keys."""
    for start, value in t.keys64():
        if known.match(value):
            yield Candidate(start, "known-key", value, fingerprint(value), None, value)


def scan_text(text: str, path: str, options: Options = Options(), commit: str | None = None) -> list[Finding]:
    """All findings in ``text`` (the content of ``path``), in line order."""
    candidates: list[Candidate] = []
    t = Text(text, path)
    if not is_lock_file(path):
        for detector in DETECTORS:
            candidates.extend(detector.detect(t))
    if options.known:
        seen = {c.start for c in candidates}
        candidates.extend(c for c in _known_candidates(t, options.known) if c.start not in seen)
    if not candidates:
        return []
    lines = _Lines(text)
    findings: list[tuple[Finding, Role | None]] = []
    seen_fp: set[tuple[str, int]] = set()
    for cand in sorted(candidates, key=lambda c: c.start):
        line = lines.line_of(cand.start)
        if (cand.fingerprint, line) in seen_fp or lines.allowed(cand.start):
            continue
        seen_fp.add((cand.fingerprint, line))
        label = options.known.match(cand.canonical) if options.known and cand.canonical else None
        kind = "known-key" if label is not None else cand.kind
        preview = "" if "-----" in cand.secret[:5] else cand.secret[:4]
        findings.append((Finding(path, line, kind, cand.fingerprint, preview, commit=commit, label=label,
                                 secret=cand.secret if options.keep_secrets else None), cand.role))
    return _pair(findings)


def _pair(items: list[tuple[Finding, Role | None]]) -> list[Finding]:
    """An API key and a secret within a few lines of each other become one binance-key-pair."""
    out: list[Finding] = []
    i = 0
    keyish = ("binance-api-key", "binance-secret-key")
    while i < len(items):
        f, role = items[i]
        if i + 1 < len(items) and f.kind in keyish:
            g, role2 = items[i + 1]
            if (g.kind in keyish and g.path == f.path and g.line - f.line <= PAIR_DISTANCE
                    and not (role is Role.SECRET and role2 is Role.SECRET)
                    and not (role is Role.KEY and role2 is Role.KEY) and g.fingerprint != f.fingerprint):
                key, secret = (g, f) if role is Role.SECRET else (f, g)
                out.append(Finding(f.path, f.line, "binance-key-pair", secret.fingerprint, secret.preview,
                                   commit=f.commit, pair_fingerprint=key.fingerprint, secret=secret.secret))
                i += 2
                continue
        out.append(f)
        i += 1
    return out


def decode(data: bytes) -> tuple[str, bool]:
    """Text and whether it was valid UTF-8 (invalid bytes are read as Latin-1 and still scanned)."""
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("latin-1"), False


def is_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def scan_file(abspath: str, relpath: str, options: Options) -> tuple[list[Finding], Skipped | None, int]:
    """Findings of one file on disk, the reason it was skipped (or scanned with a caveat), its size."""
    try:
        st = os.lstat(abspath)
        if stat.S_ISLNK(st.st_mode):
            if not os.path.exists(abspath):
                return [], Skipped(relpath, "broken symlink"), 0
            return [], None, 0  # the target is scanned under its own name
        if not stat.S_ISREG(st.st_mode):
            return [], Skipped(relpath, "not a regular file"), 0
        if st.st_size > options.max_bytes:
            return [], Skipped(relpath, f"too large ({st.st_size / 1e6:.1f} MB > "
                                        f"{options.max_bytes / 1e6:.0f} MB; see --max-size)"), 0
        with open(abspath, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return [], None, 0  # deleted since it was listed
    except OSError as exc:
        return [], Skipped(relpath, f"unreadable ({exc.strerror or type(exc).__name__})"), 0
    if is_binary(data):
        return [], Skipped(relpath, "binary"), 0  # reported as a count: binaries are common and expected
    text, valid = decode(data)
    findings = scan_text(text, relpath, options)
    return findings, (None if valid else Skipped(relpath, "not valid UTF-8: scanned as Latin-1")), len(data)


def scan_files(batch: list[tuple[str, str]], options: Options) -> tuple[list[Finding], list[Skipped], int, int]:
    """Scan a batch of (abspath, relpath): the unit of work of the process pool."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    files = size = 0
    for abspath, relpath in batch:
        f, s, n = scan_file(abspath, relpath, options)
        findings.extend(f)
        if s:
            skipped.append(s)
        if n:
            files += 1
            size += n
    return findings, skipped, files, size
