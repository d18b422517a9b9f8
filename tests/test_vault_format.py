"""The vault file: round trip, one error for a wrong passphrase and any damage, metadata bound to secrets."""

from __future__ import annotations

import json
import os
import stat

import pytest
from helpers import random_key

from keysafe.signing import generate_key_pair
from keysafe.vault import TEST_KDF, KdfParams, LabelError, Vault, VaultError, VaultPermissionError
from keysafe.vault import format as fmt
from keysafe.vault.errors import VaultExistsError, VaultNotFoundError

PASS = "correct horse battery staple"


def _save_raw(vault):
    """Re-encrypt the body as it is (an attacker who knows the passphrase, or a bug), bypassing checks."""
    vault.path.write_bytes(fmt.encode(vault._body, vault._keys, vault._header))


@pytest.fixture
def vault(tmp_path):
    v = Vault.create(PASS, home=tmp_path, kdf=TEST_KDF)
    v.add("bot", api_key=random_key(), secret=random_key(), environment="testnet", profile="spot-bot",
          ip_whitelist=["203.0.113.7"])
    return v


def test_round_trip_hmac_and_private_keys(tmp_path):
    v = Vault.create(PASS, home=tmp_path, kdf=TEST_KDF)
    api, secret = random_key(), random_key()
    v.add("hmac", api_key=api, secret=secret, environment="production", profile="spot-bot")
    pair = generate_key_pair("ed25519")
    v.add("ed", api_key=random_key(), secret=pair.private_pem.decode(), environment="testnet", profile="market-data")
    again = Vault.open(PASS, home=tmp_path)
    assert again.labels() == ["ed", "hmac"]
    cred = again.credential("hmac")
    assert cred.api_key == api and cred.environment.value == "production"
    assert cred.sign(b"x") == __import__("keysafe").HmacSigner(secret).sign(b"x")
    assert again.credential("ed").key_type.value == "ed25519"
    assert secret not in repr(again.records()) and secret not in repr(again)
    assert stat.S_IMODE(os.stat(v.path).st_mode) == 0o600


def test_kdf_parameters_are_stored_in_the_file_and_upgradable(vault):
    header = fmt.read_header(vault.path.read_bytes())
    assert header.kdf == TEST_KDF
    stronger = KdfParams(memory_kib=64, time_cost=2, parallelism=1)
    vault.change_passphrase("a new passphrase", kdf=stronger)
    assert fmt.read_header(vault.path.read_bytes()).kdf == stronger
    assert Vault.open("a new passphrase", home=vault.home).labels() == ["bot"]
    with pytest.raises(VaultError):
        Vault.open(PASS, home=vault.home)
    assert fmt.DEFAULT_KDF == KdfParams(64 * 1024, 3, 4)


def test_wrong_passphrase_and_damage_give_the_same_single_error(vault):
    with pytest.raises(VaultError) as wrong:
        Vault.open("not the passphrase", home=vault.home)
    data = vault.path.read_bytes()
    vault.path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(VaultError) as damaged:
        Vault.open(PASS, home=vault.home)
    assert str(wrong.value) == str(damaged.value)
    assert "\n" not in str(wrong.value) and "Fix:" in str(wrong.value)


def test_flipping_any_byte_or_truncating_anywhere_fails_with_the_vault_error(vault):
    data = vault.path.read_bytes()
    assert len(data) > 300
    results = set()
    for i in range(len(data)):
        for mask in (0x01, 0x80):
            vault.path.write_bytes(data[:i] + bytes([data[i] ^ mask]) + data[i + 1:])
            try:
                Vault.open(PASS, home=vault.home)
            except VaultError:
                results.add("vault-error")
            else:
                pytest.fail(f"flipping bit {mask:#x} of byte {i} was not detected")
    for n in range(len(data)):
        vault.path.write_bytes(data[:n])
        with pytest.raises(VaultError):
            Vault.open(PASS, home=vault.home)
    assert results == {"vault-error"}
    vault.path.write_bytes(data)
    assert Vault.open(PASS, home=vault.home).labels() == ["bot"]


def test_a_record_sealed_for_testnet_cannot_be_read_as_production(vault):
    # Rewrite the (authentic, re-encrypted) body with the environment changed but the sealed secret kept.
    vault._body["records"]["bot"]["environment"] = "production"
    _save_raw(vault)
    tampered = Vault.open(PASS, home=vault.home)
    with pytest.raises(VaultError, match="moved or altered"):
        tampered.credential("bot")


def test_a_secret_moved_to_another_label_does_not_open(vault):
    vault.add("other", api_key=random_key(), secret=random_key(), environment="testnet", profile="spot-bot")
    vault._body["records"]["other"]["versions"][0]["sealed"] = vault._body["records"]["bot"]["versions"][0]["sealed"]
    _save_raw(vault)
    with pytest.raises(VaultError):
        Vault.open(PASS, home=vault.home).credential("other")


def test_a_damaged_header_cannot_make_the_kdf_allocate_gigabytes(vault):
    data = bytearray(vault.path.read_bytes())
    data[9:13] = (4 * 1024 * 1024).to_bytes(4, "big")  # 4 GiB of Argon2 memory
    vault.path.write_bytes(bytes(data))
    with pytest.raises(VaultError):
        Vault.open(PASS, home=vault.home)


def test_looser_permissions_and_foreign_owner_are_refused(vault):
    os.chmod(vault.path, 0o644)
    with pytest.raises(VaultPermissionError, match="chmod 600"):
        Vault.open(PASS, home=vault.home)
    os.chmod(vault.path, 0o600)
    if os.geteuid() == 0:
        os.chown(vault.path, 54321, -1)
        with pytest.raises(VaultPermissionError, match="belongs to user id 54321"):
            Vault.open(PASS, home=vault.home)
        os.chown(vault.path, 0, -1)
    assert Vault.open(PASS, home=vault.home).labels() == ["bot"]


def test_missing_and_existing_vaults(tmp_path, vault):
    with pytest.raises(VaultNotFoundError, match="keysafe init"):
        Vault.open(PASS, home=tmp_path / "nowhere")
    with pytest.raises(VaultExistsError):
        Vault.create(PASS, home=vault.home, kdf=TEST_KDF)


def test_bad_input_changes_nothing(vault):
    before = vault.path.read_bytes()
    cases = [
        dict(label="bot", api_key=random_key(), secret=random_key(), environment="testnet", profile="spot-bot"),
        dict(label="new", api_key=random_key() + "\n", secret=random_key(), environment="testnet", profile="x"),
        dict(label="new", api_key=random_key(), secret=random_key() + "\n", environment="testnet", profile="x"),
        dict(label="new", api_key=random_key(), secret=random_key(), environment="mainnet", profile="x"),
        dict(label="bad label!", api_key=random_key(), secret=random_key(), environment="testnet", profile="x"),
    ]
    messages = []
    for case in cases:
        label = case.pop("label")
        with pytest.raises((LabelError, ValueError)) as exc:
            vault.add(label, **case)
        messages.append(str(exc.value))
    assert "already in the vault" in messages[0]
    assert "ends with a newline" in messages[1] and "ends with a newline" in messages[2]
    assert all("\n" not in m for m in messages)
    assert vault.path.read_bytes() == before


def test_versions_keep_their_history(vault):
    record = vault.get("bot")
    assert [(v.number, v.state.value) for v in record.versions] == [(1, "current")]
    body = json.dumps(vault._body)
    assert "203.0.113.7" in body  # metadata is in the (encrypted) body, secrets only sealed
