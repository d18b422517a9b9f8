"""Crash safety: a process saving in a loop is killed with SIGKILL 1,000 times; the vault always opens."""

from __future__ import annotations

import os
import random
import signal
import stat
import time

from helpers import random_key

from keysafe.vault import TEST_KDF, Vault
from keysafe.vault.records import Record

PASS = "correct horse battery staple"
KILLS = 1000


def _saver(home, ready_fd: int) -> None:
    """Child: bump a counter in the vault forever (every save is a full atomic rewrite)."""
    try:
        vault = Vault.open(PASS, home=home)
        os.write(ready_fd, b"!")  # the parent kills only once saving has begun
        while True:
            def bump(record: Record, _v):
                n = _decode(record.ip_whitelist[0]) + 1  # continues from what is on disk
                record.ip_whitelist = [_encode(n)]
                return {"n": n}

            vault.update_record("bot", "bump", bump)
    finally:
        os._exit(0)


def _encode(n: int) -> str:
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def _decode(ip: str) -> int:
    _, a, b, c = (int(x) for x in ip.split("."))
    return a << 16 | b << 8 | c


def _counter(vault: Vault) -> int:
    return _decode(vault.get("bot").ip_whitelist[0])


def test_sigkill_during_saves_never_leaves_a_broken_vault(tmp_path):
    vault = Vault.create(PASS, home=tmp_path, kdf=TEST_KDF)
    api, secret = random_key(), random_key()
    vault.add("bot", api_key=api, secret=secret, environment="testnet", profile="spot-bot", ip_whitelist=["10.0.0.0"])
    rng = random.Random(5)
    seen = []
    changed = mid_write = 0
    last = _counter(vault)
    for _ in range(KILLS):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            _saver(tmp_path, w)
        os.close(w)
        os.read(r, 1)
        os.close(r)
        time.sleep(rng.uniform(0, 0.006))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert stat.S_IMODE(os.stat(vault.path).st_mode) == 0o600
        mid_write += any(p.name.startswith(".vault.ksv.") for p in tmp_path.iterdir())
        reopened = Vault.open(PASS, home=tmp_path)  # old or new content, never a mix or an error
        cred = reopened.credential("bot")
        assert cred.api_key == api
        now = _counter(reopened)
        assert now >= last  # the old content or a newer one, never a lost or torn write
        changed += now != last
        last = now
        seen.append(now)
    assert changed > 0, "the saver should have completed saves between kills"
    assert mid_write > 0, "some kills should have landed in the middle of writing the vault"
    check = Vault.open(PASS, home=tmp_path).verify_log()
    assert check.ok, check.problems
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) <= 2  # at most those of the last killed writer; the next save removes them
