"""`keysafe run`: start a program with the key in its environment only, and mask it in its output.

The child gets BINANCE_API_KEY and BINANCE_API_SECRET (or BINANCE_PRIVATE_KEY) in its
environment; nothing is written to disk and nothing goes in argv. KEYSAFE_PASSPHRASE is
removed from the child's environment. The child's stdout and stderr pass through a
filter that replaces the secret (and each line of a PEM key) by ``****`` and the API key
by its masked form, even when a secret is split across two writes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import BinaryIO

from keysafe.errors import KeysafeError
from keysafe.keyformat import mask


class RunError(KeysafeError):
    """The program for `keysafe run` cannot be started."""


def _needles(secrets: Sequence[str], api_keys: Sequence[str]) -> list[tuple[bytes, bytes]]:
    pairs: list[tuple[bytes, bytes]] = []
    for secret in secrets:
        if not secret:
            continue
        pairs.append((secret.encode(), b"****"))
        if "-----BEGIN" in secret:  # a PEM: each base64 line on its own, and the PEM with \n escaped
            pairs.append((secret.strip().replace("\n", "\\n").encode(), b"****"))
            for line in secret.splitlines():
                if len(line) >= 16 and not line.startswith("-----"):
                    pairs.append((line.encode(), b"****"))
    for key in api_keys:
        if key:
            pairs.append((key.encode(), mask(key).encode()))
    pairs.sort(key=lambda p: -len(p[0]))  # the longest first, so a whole PEM wins over its lines
    return pairs


class Masker:
    """A streaming filter: feed bytes, get bytes with every needle replaced."""

    def __init__(self, secrets: Sequence[str], api_keys: Sequence[str] = ()) -> None:
        self._pairs = _needles(secrets, api_keys)
        self._buf = b""

    def _replace(self, data: bytes) -> bytes:
        for needle, repl in self._pairs:
            data = data.replace(needle, repl)
        return data

    def _held_back(self, data: bytes) -> int:
        """Length of the longest suffix of ``data`` that could start a needle."""
        best = 0
        for needle, _ in self._pairs:
            for k in range(min(len(data), len(needle) - 1), best, -1):
                if data.endswith(needle[:k]):
                    best = k
                    break
        return best

    def feed(self, chunk: bytes) -> bytes:
        data = self._replace(self._buf + chunk)
        keep = self._held_back(data)
        self._buf = data[len(data) - keep:] if keep else b""
        return data[: len(data) - keep]

    def flush(self) -> bytes:
        data, self._buf = self._replace(self._buf), b""
        return data


def _pump(src: BinaryIO, dst: BinaryIO, masker: Masker) -> None:
    fd = src.fileno()
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        out = masker.feed(chunk)
        if out:
            dst.write(out)
            dst.flush()
    tail = masker.flush()
    if tail:
        dst.write(tail)
        dst.flush()


def run_with_environment(argv: Sequence[str], extra_env: Mapping[str, str], secrets: Sequence[str],
                         api_keys: Sequence[str] = (), *, stdout: BinaryIO | None = None,
                         stderr: BinaryIO | None = None) -> int:
    """Run ``argv`` with ``extra_env`` added; return its exit status (128+N if killed by signal N)."""
    if not argv:
        raise RunError("No command to run.", "Give it after --, e.g. `keysafe run --key grid-bot -- python bot.py`.")
    if shutil.which(argv[0]) is None and not os.path.exists(argv[0]):
        raise RunError(f"Command not found: {argv[0]}.", "Check the program name or give its full path.")
    env = {k: v for k, v in os.environ.items() if k != "KEYSAFE_PASSPHRASE"}
    env.update(extra_env)
    stdout = stdout or sys.stdout.buffer
    stderr = stderr or sys.stderr.buffer
    try:
        child = subprocess.Popen(list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise RunError(f"Cannot start {argv[0]}: {exc.strerror}.", "Check the command and its permissions.") from None

    def forward(signum, _frame):
        child.send_signal(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, forward)
    try:
        pumps = [threading.Thread(target=_pump, args=(child.stdout, stdout, Masker(secrets, api_keys)), daemon=True),
                 threading.Thread(target=_pump, args=(child.stderr, stderr, Masker(secrets, api_keys)), daemon=True)]
        for t in pumps:
            t.start()
        code = child.wait()
        for t in pumps:
            t.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
