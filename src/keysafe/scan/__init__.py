"""Leak scanner: Binance API keys, HMAC secrets and private keys in files, staged changes,
git history and the home directory, before the bots find them.

    from keysafe.scan import scan_paths, scan_staged, scan_history, Options
    result = scan_paths(["."], Options())
    for finding in result.findings:   # redacted: a fingerprint and the first 4 characters
        print(finding.path, finding.line, finding.kind, finding.fingerprint)

Layout: ``detectors`` (one class per detector), ``context`` (key-context scoring),
``filters`` (not-a-key rules), ``engine`` (text -> findings), ``sources`` (git, files,
home), ``runner`` (the four scans), ``report``, ``baseline``, ``fingerprints`` (the
user's own keys, written by the vault), ``hook`` (pre-commit).
"""

from keysafe.scan.baseline import load_baseline, write_baseline
from keysafe.scan.engine import Options, scan_text
from keysafe.scan.findings import Finding, ScanResult, fingerprint
from keysafe.scan.fingerprints import (
    KnownFingerprints,
    fingerprint_secret,
    load_known_fingerprints,
    write_known_fingerprints,
)
from keysafe.scan.runner import apply_baseline, scan_history, scan_home, scan_paths, scan_staged



def __getattr__(name: str):
    if name == "ScanError":  # loaded on use: keeps keysafe.errors off the pre-commit hook's path
        from keysafe.scan.errors import ScanError

        return ScanError
    raise AttributeError(f"module 'keysafe.scan' has no attribute {name!r}")


__all__ = [
    "Finding",
    "KnownFingerprints",
    "Options",
    "ScanError",
    "ScanResult",
    "apply_baseline",
    "fingerprint",
    "fingerprint_secret",
    "load_baseline",
    "load_known_fingerprints",
    "scan_history",
    "scan_home",
    "scan_paths",
    "scan_staged",
    "scan_text",
    "write_baseline",
    "write_known_fingerprints",
]
