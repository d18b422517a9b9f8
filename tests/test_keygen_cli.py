"""`keysafe keygen`: 0600 private key, never overwritten, public key printed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from keysafe.signing import load_private_key, load_public_key

KEYSAFE = [sys.executable, "-m", "keysafe.cli"]


def run(*args, cwd):
    return subprocess.run([*KEYSAFE, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_keygen_writes_a_private_file_and_prints_the_public_key(tmp_path, kind):
    proc = run("keygen", kind, "--out", "bot.pem", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "bot.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    signer = load_private_key(path.read_bytes())
    public = proc.stdout[proc.stdout.index("-----BEGIN PUBLIC KEY-----"):]
    assert load_public_key(public).verify(b"x", signer.sign(b"x"))
    assert "PRIVATE KEY" not in proc.stdout + proc.stderr


def test_keygen_refuses_to_overwrite(tmp_path):
    (tmp_path / "bot.pem").write_text("precious")
    proc = run("keygen", "ed25519", "--out", "bot.pem", cwd=tmp_path)
    assert proc.returncode == 2
    assert "already exists" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "bot.pem").read_text() == "precious"
    assert len(proc.stderr.strip().splitlines()) == 1
