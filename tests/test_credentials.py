"""Credentials never reveal their secret; key format errors say exactly what is wrong."""

from __future__ import annotations

import logging
import pickle
import traceback

import pytest

from helpers import random_key
from keysafe import Credential, Environment, KeyFormatError, Secret, validate_api_key
from keysafe.signing import generate_key_pair


def _credentials(secret: str):
    pair = generate_key_pair("ed25519")
    return [
        Credential.from_secret(random_key(), secret, environment="testnet", label="grid"),
        Credential.from_private_key(random_key(), pair.private_pem, environment="sandbox"),
    ]


def test_no_repr_log_format_or_pickle_reveals_the_secret(caplog):
    canary = random_key()
    for cred in _credentials(canary):
        texts = [repr(cred), str(cred), f"{cred}", repr(cred.signer), str(cred.signer), repr([cred])]
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("keysafe.test").info("using %s %r", cred, cred)
        texts.append(caplog.text)
        for text in texts:
            assert canary not in text and "PRIVATE" not in text
        assert cred.api_key not in repr(cred)  # masked: first 4 and last 4
        assert cred.masked_key in repr(cred)
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(cred)
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(cred.signer)


def test_secret_redacts_itself():
    canary = random_key()
    s = Secret(canary)
    assert canary not in repr(s) + str(s) + f"{s}" + f"{s!r:>80}"
    assert s.reveal() == canary
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_errors_about_a_bad_secret_never_contain_it():
    canary = random_key()
    for bad in (canary + "\n", " " + canary, canary[:40] + "-" + canary[41:], canary[:63]):
        with pytest.raises(KeyFormatError) as info:
            Credential.from_secret(random_key(), bad)
        text = "".join(traceback.format_exception(info.value))
        assert canary[:40] not in text and canary[-20:] not in text


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda k: k + "\n", "ends with a newline"),
        (lambda k: k + "\r\n", "ends with a newline"),
        (lambda k: " " + k, "starts with a space"),
        (lambda k: k[:10] + " " + k[11:], "contains a space at position 11"),
        (lambda k: k[:5] + "-" + k[6:], "contains the character '-' at position 6"),
        (lambda k: k[:63], "is 63 characters long"),
        (lambda k: k + "A", "is 65 characters long"),
        (lambda k: "", "is empty"),
    ],
)
def test_api_key_format_errors_are_precise(mutate, fragment):
    with pytest.raises(KeyFormatError) as info:
        validate_api_key(mutate(random_key()))
    assert fragment in str(info.value)
    assert "Fix:" in str(info.value)


def test_from_env_variants(tmp_path):
    key, secret = random_key(), random_key()
    cred = Credential.from_env({"BINANCE_API_KEY": key, "BINANCE_API_SECRET": secret}, environment="testnet")
    assert cred.key_type == "hmac" and cred.environment is Environment.TESTNET
    pair = generate_key_pair("ed25519")
    assert Credential.from_env({"BINANCE_API_KEY": key, "BINANCE_PRIVATE_KEY": pair.private_pem.decode()}).key_type == "ed25519"
    path = tmp_path / "k.pem"
    path.write_bytes(pair.private_pem)
    assert Credential.from_env({"BINANCE_API_KEY": key, "BINANCE_PRIVATE_KEY_PATH": str(path)}).key_type == "ed25519"
    with pytest.raises(KeyFormatError, match="BINANCE_API_KEY is not set"):
        Credential.from_env({})
    with pytest.raises(KeyFormatError, match="no secret is"):
        Credential.from_env({"BINANCE_API_KEY": key})
    with pytest.raises(KeyFormatError, match="cannot be read"):
        Credential.from_env({"BINANCE_API_KEY": key, "BINANCE_PRIVATE_KEY_PATH": str(tmp_path / "missing.pem")})


def test_unknown_environment_is_refused():
    with pytest.raises(KeyFormatError, match="Unknown environment 'mainnet'"):
        Credential.from_secret(random_key(), random_key(), environment="mainnet")
