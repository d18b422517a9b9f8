"""`keysafe scan` and `keysafe hook install` as a user runs them: real git repositories,
real processes, the real pre-commit hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import random_key

from keysafe.scan import fingerprint, write_known_fingerprints

KEYSAFE = str(Path(sys.executable).with_name("keysafe"))
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check,
                          env={**os.environ, **GIT_ENV})


def keysafe(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([KEYSAFE, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})})


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    (r / "README.md").write_text("# bot\n")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "init")
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path / "home"))
    return r


def test_hook_install_blocks_a_commit_with_a_key_and_lets_a_clean_one_through(repo):
    out = keysafe(repo, "hook", "install")
    assert out.returncode == 0, out.stderr
    assert os.access(repo / ".git/hooks/pre-commit", os.X_OK)
    secret = random_key()
    (repo / "bot.py").write_text(f'api_secret = "{secret}"\n')
    git(repo, "add", "bot.py")
    blocked = git(repo, "commit", "-m", "oops", check=False)
    assert blocked.returncode != 0
    assert "bot.py" in blocked.stderr and "binance-secret-key" in blocked.stderr and "Revoke" in blocked.stderr
    assert secret not in blocked.stderr and secret not in blocked.stdout
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    (repo / "bot.py").write_text('api_secret = os.environ["BINANCE_API_SECRET"]\n')
    git(repo, "add", "bot.py")
    assert git(repo, "commit", "-q", "-m", "env", check=False).returncode == 0


def test_hook_install_never_loses_the_users_own_hook(repo):
    hook = repo / ".git/hooks/pre-commit"
    mine = "#!/bin/sh\necho mine\n"
    hook.write_text(mine)
    out = keysafe(repo, "hook", "install")
    assert out.returncode == 2 and "--force" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert hook.read_text() == mine
    forced = keysafe(repo, "hook", "install", "--force")
    assert forced.returncode == 0 and "pre-commit.before-keysafe" in forced.stdout
    assert (repo / ".git/hooks/pre-commit.before-keysafe").read_text() == mine and "keysafe" in hook.read_text()
    assert keysafe(repo, "hook", "install", "--force").returncode == 0  # again: the kept hook stays kept
    assert (repo / ".git/hooks/pre-commit.before-keysafe").read_text() == mine

    removed = keysafe(repo, "hook", "uninstall")
    assert removed.returncode == 0 and "previous hook is back" in removed.stdout
    assert hook.read_text() == mine and not (repo / ".git/hooks/pre-commit.before-keysafe").exists()
    refused = keysafe(repo, "hook", "uninstall")  # not keysafe's: left alone, one line
    assert refused.returncode == 2 and "not keysafe's hook" in refused.stderr and hook.read_text() == mine
    hook.unlink()
    nothing = keysafe(repo, "hook", "uninstall")
    assert nothing.returncode == 2 and "no pre-commit hook" in nothing.stderr


def test_history_finds_a_key_committed_then_removed(repo):
    key, secret = random_key(), random_key()
    (repo / "config.py").write_text(f'API_KEY = "{key}"\nAPI_SECRET = "{secret}"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add")
    introduced = git(repo, "rev-parse", "HEAD").stdout.strip()
    (repo / "config.py").unlink()
    git(repo, "commit", "-q", "-am", "remove")

    assert keysafe(repo, "scan").returncode == 0  # the tree is clean now
    out = keysafe(repo, "scan", "--history", "--format", "json")
    assert out.returncode == 1
    [f] = json.loads(out.stdout)
    assert f["kind"] == "binance-key-pair" and f["commit"] == introduced and f["in_head"] is False
    assert f["fingerprint"] == fingerprint(secret) and f["pair_fingerprint"] == fingerprint(key)
    text = keysafe(repo, "scan", "--history")
    assert "removed from HEAD, still in history" in text.stdout and introduced[:10] in text.stdout


def test_staged_reports_only_what_the_commit_adds(repo):
    old = random_key()
    (repo / "old.py").write_text(f'API_SECRET = "{old}"  # keysafe: allow\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "old")
    assert keysafe(repo, "scan", "--staged").returncode == 0  # nothing staged
    new = random_key()
    with (repo / "old.py").open("a") as fh:
        fh.write(f'BINANCE_KEY = "{new}"\n')
    git(repo, "add", "old.py")
    out = keysafe(repo, "scan", "--staged", "--format", "json")
    assert out.returncode == 1
    assert [(f["path"], f["line"], f["fingerprint"]) for f in json.loads(out.stdout)] == [("old.py", 2, fingerprint(new))]


def test_redaction_show_secrets_and_sarif(repo):
    secret = random_key()
    (repo / ".env").write_text(f"BINANCE_API_SECRET={secret}\n")
    text = keysafe(repo, "scan")
    assert text.returncode == 1
    assert secret not in text.stdout and secret[:4] + "…" in text.stdout and "unignored-secret-file" in text.stdout
    shown = keysafe(repo, "scan", "--show-secrets", "--format", "json")
    assert any(f.get("secret") == secret for f in json.loads(shown.stdout))

    sarif = json.loads(keysafe(repo, "scan", "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0" and "sarif" in sarif["$schema"]
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert set(rule_ids) == {"binance-secret-key", "unignored-secret-file"}
    for res in run["results"]:
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == ".env" and loc["region"]["startLine"] == 1
        assert res["level"] in {"error", "warning"} and secret not in json.dumps(res)


def test_baseline_hides_accepted_findings_and_reports_new_ones(repo):
    first = random_key()
    (repo / "a.py").write_text(f'api_key = "{first}"\n')
    out = keysafe(repo, "scan", "--write-baseline")
    assert out.returncode == 0
    baseline = (repo / ".keysafe-baseline.json").read_text()
    assert first not in baseline and fingerprint(first) in baseline
    assert keysafe(repo, "scan").returncode == 0
    second = random_key()
    (repo / "b.py").write_text(f'api_key = "{second}"\n')
    out = keysafe(repo, "scan", "--format", "json")
    assert out.returncode == 1 and [f["path"] for f in json.loads(out.stdout)] == ["b.py"]
    (repo / "bad.json").write_text("{not json")
    bad = keysafe(repo, "scan", "--baseline", "bad.json")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Fix:" in bad.stderr


def test_known_fingerprints_match_the_users_own_key_without_context(repo, tmp_path):
    mine = random_key()
    write_known_fingerprints(tmp_path / "home" / "fingerprints.json", os.urandom(16), [("grid-bot/secret", mine)])
    (repo / "notes.md").write_text(f"remember {mine} for later\n")  # no key word anywhere: only the vault knows
    out = keysafe(repo, "scan", "--format", "json")
    [f] = json.loads(out.stdout)
    assert f["kind"] == "known-key" and f["label"] == "grid-bot/secret" and f["severity"] == "critical"
    assert mine not in (tmp_path / "home" / "fingerprints.json").read_text()


def test_bad_inputs_are_reported_in_one_line_each_never_a_crash(repo, tmp_path):
    secret = random_key()
    (repo / "blob.bin").write_bytes(b"\0\x01binary " + f"api_secret={secret}".encode())
    (repo / "big.txt").write_text(f"api_secret = {secret}\n" + "x" * 3_000_000)
    (repo / "dangling").symlink_to(repo / "nowhere")
    (repo / "latin.py").write_bytes(f"# caf\xe9\napi_secret = '{secret}'\n".encode("latin-1"))
    out = keysafe(repo, "scan", "--max-size", "1", "--format", "text", "-v")
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("skipped big.txt: too large") for line in lines)
    assert any(line.startswith("skipped dangling: broken symlink") for line in lines)
    assert any(line.startswith("skipped blob.bin: binary") for line in lines)
    assert any(line.startswith("skipped latin.py: not valid UTF-8") for line in lines)
    assert "latin.py" in lines  # scanned anyway: the key is found
    assert "Traceback" not in out.stderr

    missing = keysafe(repo, "scan", "no/such/file.py")
    assert missing.returncode == 0 and "skipped no/such/file.py: no such file or directory" in missing.stdout
    os.mkfifo(repo / "pipe")  # reading it would block forever
    fifo = keysafe(repo, "scan", "pipe")
    assert fifo.returncode == 0 and "skipped pipe: not a regular file or directory" in fifo.stdout

    plain = tmp_path / "not-a-repo"
    plain.mkdir()
    for args in (("scan", "--staged"), ("scan", "--history"), ("hook", "install")):
        err = keysafe(plain, *args)
        assert err.returncode == 2 and "not inside a git repository" in err.stderr
        assert len(err.stderr.strip().splitlines()) == 1 and "Traceback" not in err.stderr


def test_directory_outside_git_respects_its_gitignore(tmp_path):
    d = tmp_path / "project"
    (d / "ignored").mkdir(parents=True)
    (d / ".gitignore").write_text("ignored/\n")
    (d / "ignored" / "k.py").write_text(f'api_key = "{random_key()}"\n')
    (d / "shown.py").write_text(f'api_key = "{random_key()}"\n')
    out = keysafe(tmp_path, "scan", "project", "--format", "json")
    assert [f["path"] for f in json.loads(out.stdout)] == ["project/shown.py"]


def test_home_scan_reads_histories_dotfiles_and_downloads(tmp_path):
    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    a, b, c = random_key(), random_key(), random_key()
    (home / ".bash_history").write_text(f"ls\nexport BINANCE_API_SECRET={a}\n")
    (home / "Downloads" / "binance-api.txt").write_text(f"{b}\n")
    import sqlite3

    (home / ".ipython/profile_default").mkdir(parents=True)
    con = sqlite3.connect(home / ".ipython/profile_default/history.sqlite")
    con.execute("CREATE TABLE history (session integer, line integer, source text, source_raw text)")
    con.execute("INSERT INTO history VALUES (1, 1, ?, ?)", (f"secret = '{c}'", f"secret = '{c}'"))
    con.commit()
    con.close()
    out = keysafe(tmp_path, "scan", "--home", "--format", "json", env={"HOME": str(home)})
    found = {(f["path"], f["fingerprint"]) for f in json.loads(out.stdout)}
    assert found == {("~/.bash_history", fingerprint(a)), ("~/Downloads/binance-api.txt", fingerprint(b)),
                     ("~/.ipython/profile_default/history.sqlite", fingerprint(c))}


def test_a_key_stored_in_the_vault_is_recognised_by_its_fingerprint(repo, tmp_path):
    """The vault writes fingerprints.json; the scanner matches the stored key with no context at all."""
    from keysafe.vault import TEST_KDF, Vault

    api_key, secret = random_key(), random_key()
    vault = Vault.create("correct horse battery staple", home=tmp_path / "home", kdf=TEST_KDF)
    vault.add("grid-bot", api_key=api_key, secret=secret, environment="testnet", profile="spot-trading")
    fp_file = (tmp_path / "home" / "fingerprints.json").read_text()
    assert secret not in fp_file and api_key not in fp_file
    (repo / "scratch.txt").write_text(f"{secret}\n")
    out = keysafe(repo, "scan", "--format", "json")
    [f] = json.loads(out.stdout)
    assert f["kind"] == "known-key" and f["fingerprint"] == fingerprint(secret) and "grid-bot" in f["label"]


def test_scan_staged_without_click_answers_exactly_as_the_full_cli(repo, tmp_path):
    """`keysafe scan --staged` (what the pre-commit framework runs) skips click to start fast;
    it must print, and exit, exactly as the same scan through click does."""
    forced_click = ("scan", "--staged", "--format", "text")  # the same scan, not a fast path
    plain = tmp_path / "not-a-repo"
    plain.mkdir()
    for where in (repo, plain):  # clean; not a repository (one error line, exit 2)
        fast, full = keysafe(where, "scan", "--staged"), keysafe(where, *forced_click)
        assert (fast.returncode, fast.stderr) == (full.returncode, full.stderr)
    (repo / "bot.py").write_text(f'BINANCE_API_SECRET = "{random_key()}"\n')
    (repo / ".env").write_text("X=1\n")
    git(repo, "add", "-A")
    fast, full = keysafe(repo, "scan", "--staged"), keysafe(repo, *forced_click)
    assert fast.returncode == full.returncode == 1
    assert "binance-secret-key" in fast.stdout and ".env" in fast.stdout
    strip_timing = lambda s: s.rsplit(" in ", 1)[0]  # noqa: E731  (the last line ends with the elapsed time)
    assert strip_timing(fast.stdout) == strip_timing(full.stdout) and fast.stderr == full.stderr

    probe = ("import sys\nfrom keysafe.cli import main\ntry:\n    main(['scan', '--staged'])\n"
             "except SystemExit:\n    print('click' in sys.modules, 'cryptography' in sys.modules)\n")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True,
                            env={**os.environ, "NO_COLOR": "1"})
    assert loaded.stdout.splitlines()[-1] == "False False", loaded.stderr


def _certificate_pem() -> str:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca.example.invalid")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_a_certificate_bundle_is_not_a_secret_file_but_a_private_key_pem_is(repo):
    """cacert.pem and friends are public: only a .pem holding a private key is a leaked key file."""
    from keysafe.signing import generate_key_pair

    (repo / "certs").mkdir()
    (repo / "certs/ca-bundle.pem").write_text(_certificate_pem() * 3)
    (repo / "certs/signer.pem").write_bytes(generate_key_pair("ed25519").private_pem)
    for args in (("scan", "--format", "json"), ("scan", "--staged", "--format", "json")):
        git(repo, "add", "-A")
        found = {(f["path"], f["kind"]) for f in json.loads(keysafe(repo, *args).stdout)}
        assert ("certs/signer.pem", "unignored-secret-file") in found
        assert not {f for f in found if f[0] == "certs/ca-bundle.pem"}
