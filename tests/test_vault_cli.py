"""The vault commands as a user runs them (real `keysafe` processes), bad input included."""

from __future__ import annotations

import json
import os
import stat

import pytest
from helpers import random_key
from vault_fixtures import CHEAP_KDF, PASSPHRASE, cli_env, ks

from keysafe.vault import Vault


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "ks"
    r = ks(home, "init", *CHEAP_KDF)
    assert r.returncode == 0, r.stderr
    return home


def _add(home, label, api, secret, *extra):
    return ks(home, "add", label, "--profile", "spot-bot", "--env", "testnet", *extra, input=f"{api}\n{secret}\n")


def test_add_list_show_remove_mask_the_key(home):
    api, secret = random_key(), random_key()
    r = _add(home, "grid-bot", api, secret, "--ip", "203.0.113.7")
    assert r.returncode == 0, r.stderr
    listing = ks(home, "list")
    shown = ks(home, "show", "grid-bot")
    for out in (r.stdout + r.stderr, listing.stdout, shown.stdout):
        assert api not in out and secret not in out
    masked = f"{api[:4]}…{api[-4:]}"
    assert masked in listing.stdout and masked in shown.stdout and "203.0.113.7" in shown.stdout
    assert "current" in shown.stdout and "testnet" in listing.stdout
    assert ks(home, "remove", "grid-bot", "--yes").returncode == 0
    assert "empty" in ks(home, "list").stdout
    assert stat.S_IMODE(os.stat(home / "vault.ksv").st_mode) == 0o600


def test_bad_input_gets_one_clear_line_and_no_change(home):
    api, secret = random_key(), random_key()
    assert _add(home, "bot", api, secret).returncode == 0
    vault_file = home / "vault.ksv"
    before = vault_file.read_bytes()
    cases = {
        "label exists": (_add(home, "bot", random_key(), random_key()), "already in the vault"),
        "unknown profile": (ks(home, "add", "x", "--profile", "yolo", "--env", "testnet",
                               input=f"{random_key()}\n{random_key()}\n"), "Unknown profile 'yolo'"),
        "trailing space": (_add(home, "x", random_key() + " ", random_key()), "ends with a space"),
        "short secret": (_add(home, "x", random_key(), random_key()[:40]), "40 characters long"),
        "unknown env": (ks(home, "add", "x", "--profile", "spot-bot", "--env", "mainnet", input="a\nb\n"),
                        "mainnet"),
        "wrong passphrase": (ks(home, "list", env=cli_env(home, KEYSAFE_PASSPHRASE="not it at all")),
                             "passphrase is wrong or the file is damaged"),
    }
    for name, (result, expected) in cases.items():
        assert result.returncode != 0, name
        err = result.stderr.strip()
        assert expected in err, (name, err)
        assert "Traceback" not in err, name
        if name != "unknown env":  # click's own usage error keeps its usual "Usage:" preamble
            assert len(err.splitlines()) == 1, (name, err)
    assert vault_file.read_bytes() == before
    # a damaged or truncated file: the same single error, file left as it is
    for damaged in (before[:-5], before[:40], before[:20] + bytes([before[20] ^ 4]) + before[21:]):
        vault_file.write_bytes(damaged)
        r = ks(home, "list")
        assert r.returncode == 2 and "passphrase is wrong or the file is damaged" in r.stderr
        assert vault_file.read_bytes() == damaged
    vault_file.write_bytes(before)
    os.chmod(vault_file, 0o640)
    r = ks(home, "list")
    assert r.returncode == 2 and "chmod 600" in r.stderr


def test_keygen_label_stores_the_private_key_and_prints_only_the_public_key(home, tmp_path):
    r = ks(home, "keygen", "ed25519", "ed-bot", "--env", "testnet")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in r.stdout + r.stderr
    vault = Vault.open(PASSPHRASE, home=home)
    assert vault.awaiting_api_key("ed-bot") is not None
    api = random_key()
    r = ks(home, "add", "ed-bot", input=api + "\n")
    assert r.returncode == 0, r.stderr
    cred = Vault.open(PASSPHRASE, home=home).credential("ed-bot")
    assert cred.api_key == api and cred.key_type.value == "ed25519"
    # the file mode still works (no label)
    out = tmp_path / "k.pem"
    r = ks(home, "keygen", "rsa", "--out", str(out))
    assert r.returncode == 0 and stat.S_IMODE(out.stat().st_mode) == 0o600 and "PUBLIC KEY" in r.stdout
    assert ks(home, "keygen", "ed25519", "x", "--out", str(tmp_path / "y.pem")).returncode != 0


def test_run_hands_the_key_in_the_environment_and_masks_it(home):
    api, secret = random_key(), random_key()
    assert _add(home, "bot", api, secret).returncode == 0
    script = ("import os,sys; s=os.environ['BINANCE_API_SECRET']; k=os.environ['BINANCE_API_KEY'];"
              "print('secret', s); sys.stdout.write('split '+s[:30]); sys.stdout.flush(); print(s[30:]);"
              "print('key', k); print('pass', os.environ.get('KEYSAFE_PASSPHRASE')); "
              "print('env', os.environ['BINANCE_ENVIRONMENT']); sys.exit(7)")
    r = ks(home, "run", "--key", "bot", "--", "python3", "-c", script)
    assert r.returncode == 7
    assert secret not in r.stdout and api not in r.stdout
    assert "secret ****" in r.stdout and "split ****" in r.stdout
    assert f"key {api[:4]}…{api[-4:]}" in r.stdout and "pass None" in r.stdout and "env testnet" in r.stdout
    r = ks(home, "run", "--key", "nope", "--", "true")
    assert r.returncode == 2 and "No key labelled 'nope'" in r.stderr


def test_verify_log_detects_edited_and_deleted_lines(home):
    for i in range(3):
        assert _add(home, f"k{i}", random_key(), random_key()).returncode == 0
    log = home / "vault.log"
    r = ks(home, "vault", "verify-log")
    assert r.returncode == 0 and "intact" in r.stdout
    original = log.read_text()
    lines = original.splitlines(keepends=True)
    edited = json.loads(lines[1])
    edited["label"] = "someone-else"
    log.write_text(lines[0] + json.dumps(edited) + "\n" + "".join(lines[2:]))
    r = ks(home, "vault", "verify-log")
    assert r.returncode == 1 and "was edited" in r.stderr
    log.write_text(lines[0] + "".join(lines[2:]))
    r = ks(home, "vault", "verify-log")
    assert r.returncode == 1 and "deleted" in r.stderr
    log.write_text("".join(lines[:-1]))  # the last line: only the vault's recorded head can tell
    r = ks(home, "vault", "verify-log")
    assert r.returncode == 1 and "deleted at the end" in r.stderr
    log.write_text(original)
    assert ks(home, "vault", "verify-log").returncode == 0


def test_passwd_reencrypts_and_an_interrupted_change_keeps_the_old_vault(home, monkeypatch):
    api, secret = random_key(), random_key()
    assert _add(home, "bot", api, secret).returncode == 0
    from keysafe.vault import store

    vault = Vault.open(PASSPHRASE, home=home)
    before = (home / "vault.ksv").read_bytes()

    class Crash(BaseException):
        pass

    def boom(*_a):
        raise Crash()

    monkeypatch.setattr(store.os, "replace", boom)
    with pytest.raises(Crash):
        vault.change_passphrase("a brand new passphrase", kdf=vault.kdf)
    monkeypatch.undo()
    assert (home / "vault.ksv").read_bytes() == before
    assert Vault.open(PASSPHRASE, home=home).credential("bot").api_key == api
    r = ks(home, "vault", "passwd", *CHEAP_KDF, env=cli_env(home, KEYSAFE_NEW_PASSPHRASE="a brand new passphrase"))
    assert r.returncode == 0, r.stderr
    assert ks(home, "list").returncode == 2
    assert ks(home, "list", env=cli_env(home, KEYSAFE_PASSPHRASE="a brand new passphrase")).returncode == 0
    short = ks(home, "vault", "passwd", env=cli_env(home, KEYSAFE_PASSPHRASE="a brand new passphrase",
                                                   KEYSAFE_NEW_PASSPHRASE="short"))
    assert short.returncode == 2 and "at least 8" in short.stderr


def test_without_a_keyring_service_one_warning_then_the_prompt(home, tmp_path, capsys):
    from keysafe.vault import passphrase as pp

    env = cli_env(home, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env.pop("KEYSAFE_PASSPHRASE")
    (home / "use-keyring").touch()
    r = ks(home, "list", env=env)  # no terminal to prompt on: a clear error, no crash
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("warning") == 1 and "keyring" in r.stderr
    assert "KEYSAFE_PASSPHRASE" in r.stderr
    asked = []
    os.environ.pop("KEYSAFE_PASSPHRASE", None)
    got = pp.get_passphrase(home, prompt=lambda text, confirm: asked.append(text) or PASSPHRASE)
    assert got == PASSPHRASE and asked == ["Vault passphrase"]


def test_the_leak_scanner_knows_the_vault_keys_by_fingerprint(home, tmp_path):
    api, secret = random_key(), random_key()
    assert _add(home, "bot", api, secret).returncode == 0
    fps = json.loads((home / "fingerprints.json").read_text())
    assert stat.S_IMODE(os.stat(home / "fingerprints.json").st_mode) == 0o600
    assert {e["label"] for e in fps["fingerprints"]} == {"bot/secret", "bot/api-key"}
    assert secret not in json.dumps(fps) and api not in json.dumps(fps)
    src = tmp_path / "src"
    src.mkdir()
    (src / "bot.py").write_text(f"SECRET = '{secret}'\n")
    r = ks(home, "scan", str(src))
    assert r.returncode == 1 and "your key 'bot/secret'" in r.stdout and secret not in r.stdout
    assert ks(home, "remove", "bot", "--yes").returncode == 0
    assert json.loads((home / "fingerprints.json").read_text())["fingerprints"] == []
    assert "your key" not in ks(home, "scan", str(src)).stdout
