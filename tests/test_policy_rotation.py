"""Rotation against the sandbox: start → verify → promote → retire, with a crash injected at each step."""

from __future__ import annotations

import pytest

from keysafe.policy import rotation
from keysafe.policy.rotation import RotationError
from keysafe.sandbox import run_sandbox
from keysafe.signing import generate_key_pair
from keysafe.vault import TEST_KDF, Vault, VersionState
from keysafe.vault import store

PASS = "correct horse battery staple"
SPOT = {"enableSpotAndMarginTrading": True}


class Crash(BaseException):
    """Stands for the process dying at that instant: nothing after it runs."""


@pytest.fixture(scope="module")
def sandbox():
    with run_sandbox() as sb:
        yield sb


@pytest.fixture
def vault(tmp_path, monkeypatch, sandbox):
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path))
    v = Vault.create(PASS, home=tmp_path, kdf=TEST_KDF)
    old = sandbox.create_key(label="bot", ip_whitelist=("127.0.0.1",), **SPOT)
    v.add("bot", api_key=old.api_key, secret=old.secret_key, environment="sandbox", profile="spot-bot",
          ip_whitelist=["127.0.0.1"])
    v.old_api_key = old.api_key
    return v


def reopen(vault) -> Vault:
    v = Vault.open(PASS, home=vault.home)
    v.old_api_key = getattr(vault, "old_api_key", None)
    return v


def states(vault) -> list[tuple[int, str]]:
    return [(v.number, v.state.value) for v in reopen(vault).get("bot").versions]


def test_full_rotation(vault, sandbox):
    new = sandbox.create_key(label="bot-v2", ip_whitelist=("127.0.0.1",), **SPOT)
    lines = rotation.instructions(vault, "bot")
    assert any("Spot & Margin Trading" in line for line in lines) and any("127.0.0.1" in line for line in lines)
    rotation.start(vault, "bot", reason="scheduled", api_key=new.api_key, secret=new.secret_key)
    assert states(vault) == [(1, "current"), (2, "pending")]
    with pytest.raises(RotationError, match="rotate verify"):
        rotation.promote(vault, "bot")  # not before a passing verify
    result = rotation.verify(vault, "bot", base_url=sandbox.url)
    assert result.ok, result.problems
    rotation.promote(vault, "bot")
    assert states(vault) == [(1, "previous"), (2, "current")]
    assert reopen(vault).credential("bot").api_key == new.api_key
    with pytest.raises(RotationError, match="still works"):
        rotation.retire(vault, "bot", base_url=sandbox.url)
    assert states(vault) == [(1, "previous"), (2, "current")]
    sandbox.delete_key(vault.old_api_key)
    rotation.retire(vault, "bot", base_url=sandbox.url)
    assert states(vault) == [(1, "retired"), (2, "current")]
    assert reopen(vault).verify_log().ok
    ops = [line for line in (vault.home / "vault.log").read_text().splitlines() if '"rotate.' in line]
    assert len(ops) >= 4


def test_never_more_than_one_pending(vault, sandbox):
    a = sandbox.create_key(label="a", ip_whitelist=("127.0.0.1",), **SPOT)
    b = sandbox.create_key(label="b", ip_whitelist=("127.0.0.1",), **SPOT)
    rotation.start(vault, "bot", api_key=a.api_key, secret=a.secret_key)
    with pytest.raises(RotationError, match="at most one"):
        rotation.start(vault, "bot", api_key=b.api_key, secret=b.secret_key)
    rotation.start(vault, "bot", api_key=a.api_key, secret=a.secret_key)  # same key again: resumes, no-op
    assert [s for _, s in states(vault)].count("pending") == 1
    rotation.cancel(vault, "bot")
    assert states(vault) == [(1, "current"), (2, "retired")]
    rotation.start(vault, "bot", api_key=b.api_key, secret=b.secret_key)
    assert states(vault) == [(1, "current"), (2, "retired"), (3, "pending")]


def test_verify_fails_on_a_worse_key_and_promote_refuses(vault, sandbox):
    bad = sandbox.create_key(label="bad", ip_whitelist=(), enableWithdrawals=False, enableFutures=True, **SPOT)
    rotation.start(vault, "bot", reason="leaked", api_key=bad.api_key, secret=bad.secret_key)
    result = rotation.verify(vault, "bot", base_url=sandbox.url)
    assert not result.ok
    text = " ".join(result.problems)
    assert "KS003" in text and "KS002" in text and "Futures" in text and "IP-restricted" in text
    with pytest.raises(RotationError):
        rotation.promote(vault, "bot")
    assert states(vault) == [(1, "current"), (2, "pending")]


def test_ed25519_rotation_generates_the_pair_and_waits_for_the_api_key(tmp_path, monkeypatch, sandbox):
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path))
    v = Vault.create(PASS, home=tmp_path, kdf=TEST_KDF)
    pair = generate_key_pair("ed25519")
    old = sandbox.create_key(label="ed", key_type="ed25519", public_key_pem=pair.public_pem,
                             ip_whitelist=("127.0.0.1",), **SPOT)
    v.add("ed", api_key=old.api_key, secret=pair.private_pem.decode(), environment="sandbox", profile="spot-bot",
          ip_whitelist=["127.0.0.1"])
    record = rotation.start(v, "ed")
    public = record.pending.public_key_pem
    assert public and not record.pending.has_api_key
    new = sandbox.create_key(label="ed2", key_type="ed25519", public_key_pem=public, ip_whitelist=("127.0.0.1",),
                             **SPOT)
    rotation.start(v, "ed", api_key=new.api_key)
    assert rotation.verify(v, "ed", base_url=sandbox.url).ok
    rotation.promote(v, "ed")
    sandbox.delete_key(old.api_key)
    rotation.retire(v, "ed", base_url=sandbox.url)
    assert [x.state.value for x in Vault.open(PASS, home=tmp_path).get("ed").versions] == ["retired", "current"]


def _crash_before_rename(monkeypatch):
    def boom(*_a, **_k):
        raise Crash()
    monkeypatch.setattr(store.os, "replace", boom)


def _crash_after_rename(monkeypatch):
    real = store.fsync_dir

    def boom(directory):
        real(directory)
        raise Crash()
    monkeypatch.setattr(store, "fsync_dir", boom)


STEPS = ["start", "verify", "promote", "retire"]


@pytest.mark.parametrize("when", ["before-write", "after-write"])
@pytest.mark.parametrize("crash_step", STEPS)
def test_a_crash_at_each_step_resumes(vault, sandbox, monkeypatch, crash_step, when):
    new = sandbox.create_key(label="v2", ip_whitelist=("127.0.0.1",), **SPOT)
    run = {
        "start": lambda v: rotation.start(v, "bot", api_key=new.api_key, secret=new.secret_key),
        "verify": lambda v: rotation.verify(v, "bot", base_url=sandbox.url),
        "promote": lambda v: rotation.promote(v, "bot"),
        "retire": lambda v: rotation.retire(v, "bot", base_url=sandbox.url),
    }
    expected_after = {"start": "started", "verify": "verified", "promote": "promoted", "retire": "retired"}
    sandbox_deleted = False
    for step in STEPS:
        if step == "retire" and not sandbox_deleted:
            sandbox.delete_key(vault.old_api_key)
            sandbox_deleted = True
        if step == crash_step:
            before = rotation.step_of(reopen(vault).get("bot"))
            with monkeypatch.context() as m:
                (_crash_before_rename if when == "before-write" else _crash_after_rename)(m)
                with pytest.raises(Crash):
                    run[step](vault)
            on_disk = reopen(vault)  # the process "died": start again from the file
            got = rotation.step_of(on_disk.get("bot"))
            assert got == (before if when == "before-write" else expected_after[step])
            assert [s for _, s in states(vault)].count("pending") <= 1
            vault = on_disk
            run[step](vault)  # resume: the same command again
            vault = reopen(vault)
        else:
            run[step](vault)
        assert rotation.step_of(reopen(vault).get("bot")) == expected_after[step]
    final = reopen(vault)
    assert [(v.number, v.state) for v in final.get("bot").versions] == [(1, VersionState.RETIRED),
                                                                         (2, VersionState.CURRENT)]
    assert final.credential("bot").api_key == new.api_key
    assert final.verify_log().ok
