"""`keysafe sandbox serve | key create | key list | key delete`, and seeding from a --keys file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from sandbox_support import Caller

from keysafe.cli import cli
from keysafe.cli._common import run_guarded
from keysafe.errors import ConfigurationError
from keysafe.sandbox import Exchange, run_sandbox
from keysafe.sandbox.keys import KeyStore, new_key_string
from keysafe.signing import generate_key_pair


def keysafe(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "keysafe.cli", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_seed_from_keys_file(tmp_path):
    pair = generate_key_pair("ed25519")
    hmac_key, secret, ed_key = new_key_string(), new_key_string(), new_key_string()
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([
        {"label": "grid", "type": "hmac", "apiKey": hmac_key, "secretKey": secret, "enableSpotAndMarginTrading": True},
        {"label": "ed", "type": "ed25519", "apiKey": ed_key, "publicKey": pair.public_pem,
         "ipRestrict": True, "ipWhitelist": ["127.0.0.1"]},
    ]))
    with run_sandbox(keys=str(path)) as sb:
        grid = sb.exchange.keys.get(hmac_key)
        assert grid.permissions["enableReading"] is True and grid.permissions["enableWithdrawals"] is False
        assert grid.permissions["enableSpotAndMarginTrading"] is True
        c = Caller.private(sb.url, type("K", (), {"api_key": ed_key})(), pair.private_pem)
        data = c.signed("GET", "/sapi/v1/account/apiRestrictions").json()
        assert data["ipRestrict"] is True and data["enableSpotAndMarginTrading"] is False


@pytest.mark.parametrize("entries,fragment", [
    ({"label": "x"}, "expected a JSON list"),
    ([{"label": "a", "type": "hmac", "apiKey": "A" * 64}], "entry 0 (a): field 'secretKey' is missing"),
    ([{"label": "b", "type": "dsa", "apiKey": "A" * 64}], "entry 0 (b): type 'dsa' is not a key type"),
    ([{"type": "hmac", "apiKey": "short", "secretKey": "B" * 64}], "entry 0: apiKey must be 64"),
    ([{"type": "ed25519", "apiKey": "C" * 64, "publicKey": "nope"}], "entry 0: publicKey: The text is not a PEM"),
    ([{"type": "hmac", "apiKey": "D" * 64, "secretKey": "E" * 64, "enableTrading": True}],
     "entry 0: unknown field 'enableTrading'"),
    ([{"type": "hmac", "apiKey": "D" * 64, "secretKey": "E" * 64, "ipWhitelist": ["1.2.3.x"]}],
     "entry 0: '1.2.3.x' in ipWhitelist is not an IP address"),
    ([{"type": "hmac", "apiKey": "D" * 64, "secretKey": "E" * 64, "ipWhitelist": [f"10.0.0.{i}" for i in range(31)]}],
     "Binance allows 30"),
])
def test_malformed_keys_file_names_entry_and_field(tmp_path, entries, fragment):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(entries))
    with pytest.raises(ConfigurationError) as info:
        Exchange(keys=str(path))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_serve_rejects_bad_keys_file_in_one_line(tmp_path, capsys):
    path = tmp_path / "keys.json"
    path.write_text("[{\"type\": \"hmac\",")
    assert run_guarded(cli, ["sandbox", "serve", "--port", "0", "--keys", str(path)]) == 2
    err = capsys.readouterr().err
    assert "is not valid JSON" in err and "Traceback" not in err


def test_key_create_adds_to_keys_file(tmp_path):
    path = tmp_path / "keys.json"
    assert run_guarded(cli, ["sandbox", "key", "create", "--label", "bot", "--trade", "--ip", "127.0.0.1",
                             "--file", str(path)]) == 0
    entries = json.loads(path.read_text())
    assert entries[0]["label"] == "bot" and entries[0]["enableSpotAndMarginTrading"] is True
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(KeyStore().load_file(path)) == 1


def test_serve_and_manage_keys_from_the_cli(tmp_path):
    env = dict(os.environ, KEYSAFE_HOME=str(tmp_path))
    server = subprocess.Popen([sys.executable, "-m", "keysafe.cli", "sandbox", "serve", "--port", "0",
                               "--scale", "10"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        state = tmp_path / "sandbox.json"
        deadline = time.time() + 20
        while not state.exists() and time.time() < deadline:
            time.sleep(0.05)
        url = json.loads(state.read_text())["url"]
        while time.time() < deadline:
            try:
                httpx.get(url + "/api/v3/ping")
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        created = keysafe("sandbox", "key", "create", "--label", "cli-bot", "--trade", env=env)
        assert created.returncode == 0, created.stderr
        api_key = next(line.split()[-1] for line in created.stdout.splitlines() if "API key" in line)
        secret = next(line.split()[-1] for line in created.stdout.splitlines() if "Secret key" in line)
        c = Caller.hmac(url, type("K", (), {"api_key": api_key, "secret_key": secret})())
        assert c.signed("GET", "/api/v3/account").status_code == 200
        listed = keysafe("sandbox", "key", "list", env=dict(env, COLUMNS="200"))
        assert "cli-bot" in listed.stdout and secret not in listed.stdout
        assert keysafe("sandbox", "key", "delete", api_key, env=env).returncode == 0
        assert c.signed("GET", "/api/v3/account").json()["code"] == -2015
        info = httpx.get(url + "/api/v3/exchangeInfo").json()
        assert info["rateLimits"][0]["windowMs"] == 6000 and info["rateLimits"][0]["limit"] == 600
        missing = keysafe("sandbox", "key", "delete", "X" * 64, env=env)
        assert missing.returncode == 2 and "No such API key" in missing.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_key_commands_without_a_server_say_what_to_do(tmp_path):
    r = keysafe("sandbox", "key", "list", env=dict(os.environ, KEYSAFE_HOME=str(tmp_path)))
    assert r.returncode == 2
    assert "No running sandbox found" in r.stderr and "keysafe sandbox serve" in r.stderr


def test_key_create_takes_keygen_output_as_public_key(tmp_path):
    pair = generate_key_pair("ed25519")
    pub = tmp_path / "bot.pub.txt"
    pub.write_text("Paste this public key into Binance:\n\n" + pair.public_pem)
    path = tmp_path / "keys.json"
    assert run_guarded(cli, ["sandbox", "key", "create", "--type", "ed25519", "--public-key", str(pub),
                             "--file", str(path)]) == 0
    entry = json.loads(path.read_text())[0]
    assert entry["publicKey"].startswith("-----BEGIN PUBLIC KEY-----") and "secretKey" not in entry
