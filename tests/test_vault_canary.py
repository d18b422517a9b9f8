"""A canary secret used through add, show, list, run, audit, rotate and status appears nowhere it should not:
no file but the encrypted vault, no log, no output, no argv of any process."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from vault_fixtures import CHEAP_KDF, KEYSAFE, cli_env, ks

from keysafe.sandbox import run_sandbox


def _all_cmdlines() -> list[bytes]:
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                out.append((proc / "cmdline").read_bytes())
            except OSError:
                pass
    return out


@pytest.fixture(scope="module")
def sandbox():
    with run_sandbox() as sb:
        yield sb


def test_canary_secret_never_leaks(tmp_path, sandbox):
    home = tmp_path / "ks"
    old = sandbox.create_key(label="bot", ip_whitelist=("127.0.0.1",), enableSpotAndMarginTrading=True)
    new = sandbox.create_key(label="bot-v2", ip_whitelist=("127.0.0.1",), enableSpotAndMarginTrading=True)
    canaries = [old.secret_key.encode(), new.secret_key.encode()]
    outputs: list[str] = []
    seen_cmdlines: list[bytes] = []

    def step(*args, input=""):
        r = ks(home, *args, input=input)
        outputs.extend([r.stdout, r.stderr])
        seen_cmdlines.extend(_all_cmdlines())
        return r

    assert step("init", *CHEAP_KDF).returncode == 0
    assert step("add", "bot", "--profile", "spot-bot", "--env", "sandbox", "--ip", "127.0.0.1",
                input=f"{old.api_key}\n{old.secret_key}\n").returncode == 0
    step("list")
    step("show", "bot")
    # run: the child sleeps while we read every process's argv
    child_script = "import os,time; print(os.environ['BINANCE_API_SECRET'][:0] + 'started', flush=True); time.sleep(1.5)"
    proc = subprocess.Popen([KEYSAFE, "run", "--key", "bot", "--", "python3", "-c", child_script],
                            env=cli_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        seen_cmdlines.extend(_all_cmdlines())
        time.sleep(0.05)
    out, err = proc.communicate(timeout=30)
    outputs.extend([out, err])
    assert "started" in out
    r = step("audit", "--live", "--base-url", sandbox.url, "--format", "json")
    assert '"findings"' in r.stdout
    step("audit", "--format", "sarif")
    assert step("rotate", "start", "bot", input=f"{new.api_key}\n{new.secret_key}\n").returncode == 0
    assert step("rotate", "verify", "bot", "--base-url", sandbox.url).returncode == 0
    assert step("rotate", "promote", "bot").returncode == 0
    sandbox.delete_key(old.api_key)
    assert step("rotate", "retire", "bot", "--base-url", sandbox.url).returncode == 0
    step("status")
    step("vault", "verify-log")

    for canary in canaries:
        for text in outputs:
            assert canary.decode() not in text
        for cmdline in seen_cmdlines:
            assert canary not in cmdline
        for path in tmp_path.rglob("*"):
            if path.is_file() and path.name != "vault.ksv":
                assert canary not in path.read_bytes(), path
        assert canary not in (home / "vault.ksv").read_bytes()  # encrypted, so not in clear either
    assert {p.name for p in home.iterdir()} >= {"vault.ksv", "vault.log", "fingerprints.json"}


def test_demo_chapter_prints_and_leaves_no_secret(tmp_path, monkeypatch, capfd):
    import io

    from rich.console import Console

    from keysafe.demo import Tour
    from keysafe.demo.vault import CHAPTER
    from keysafe.sandbox.runner import SandboxHandle
    from keysafe.vault import Vault

    created = []
    real = SandboxHandle.create_key

    def spy(self, *args, **kwargs):
        key = real(self, *args, **kwargs)
        created.append(key)
        return key

    monkeypatch.setattr(SandboxHandle, "create_key", spy)
    buf = io.StringIO()
    CHAPTER.run(Tour(Console(file=buf, width=200), tmp_path))
    out = buf.getvalue() + "".join(capfd.readouterr())
    vault = Vault.open("demo passphrase, not a real one", home=tmp_path / "keysafe-home")
    _, pem_secrets = vault.child_environment("grid-bot")
    secrets = [k.secret_key for k in created if k.secret_key] + [pem_secrets[0]]
    secrets += [line for line in pem_secrets[0].splitlines() if not line.startswith("-----")]
    assert len(secrets) >= 4 and "****" in out and "KS001" in out
    for secret in secrets:
        assert secret not in out
        for path in tmp_path.rglob("*"):
            if path.is_file() and path.name != "vault.ksv":
                assert secret.encode() not in path.read_bytes(), path
