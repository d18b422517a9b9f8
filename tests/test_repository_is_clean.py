"""keysafe's own repository holds no credential: its scanner says so (dogfood)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_keysafe_scan_finds_nothing_in_its_own_repository():
    proc = subprocess.run([sys.executable, "-m", "keysafe.cli", "scan", str(ROOT), "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
