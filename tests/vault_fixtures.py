"""Shared fixtures for the vault and policy tests: a temp KEYSAFE_HOME, cheap KDF, a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KEYSAFE = str(Path(sys.executable).with_name("keysafe"))
PASSPHRASE = "correct horse battery staple"
CHEAP_KDF = ["--kdf-memory", "8", "--kdf-time", "1", "--kdf-parallelism", "1"]


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYSAFE_", "BINANCE_"))}
    env.update(KEYSAFE_HOME=str(home), KEYSAFE_PASSPHRASE=PASSPHRASE, COLUMNS="200", NO_COLOR="1")
    env.update(extra)
    return env


def ks(home: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None,
       timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real `keysafe` command (a separate process) with KEYSAFE_HOME=home."""
    return subprocess.run([KEYSAFE, *args], input=input if input is not None else "", capture_output=True,
                          text=True, env=env or cli_env(home), timeout=timeout)
