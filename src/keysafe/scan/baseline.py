"""Baseline files: the fingerprints of accepted findings (never the secrets), so a scan
reports only what is new. ``keysafe scan --write-baseline`` writes one."""

from __future__ import annotations

import os
from pathlib import Path

from keysafe.scan.findings import Finding

DEFAULT_NAME = ".keysafe-baseline.json"
VERSION = 1


def write_baseline(path: Path | str, findings: list[Finding]) -> int:
    """Write the fingerprints of ``findings``; returns how many were written."""
    import json

    entries = sorted({(f.fingerprint, f.kind, f.path) for f in findings}
                     | {(f.pair_fingerprint, f.kind, f.path) for f in findings if f.pair_fingerprint})
    data = {"version": VERSION, "tool": "keysafe",
            "fingerprints": [{"fingerprint": fp, "kind": kind, "path": p} for fp, kind, p in entries]}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
    return len(entries)


def load_baseline(path: Path | str) -> set[str]:
    import json

    from keysafe.scan.errors import ScanError

    path = Path(path)
    try:
        data = json.loads(path.read_text())
        return {str(e["fingerprint"]) for e in data["fingerprints"]}
    except FileNotFoundError:
        raise ScanError(f"The baseline file {path} does not exist.",
                        "Create it with `keysafe scan --write-baseline`, or drop --baseline.") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScanError(f"The baseline file {path} is not a keysafe baseline ({type(exc).__name__}).",
                        "Regenerate it with `keysafe scan --write-baseline`.") from None
