"""Private keys: parsed once, by content, with or without passphrase; clear errors."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from keysafe import KeyFormatError
from keysafe.signing import (
    Ed25519Signer,
    KeyType,
    RsaSigner,
    generate_key_pair,
    load_private_key,
    load_public_key,
)

PAYLOAD = b"symbol=BTCUSDT&timestamp=1"


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\\n"])
def test_keys_load_with_any_line_ending(kind, newline):
    pair = generate_key_pair(kind)
    pem = pair.private_pem.decode().replace("\n", newline)
    signer = load_private_key(pem)
    assert signer.key_type == KeyType(kind)
    assert load_public_key(pair.public_pem).verify(PAYLOAD, signer.sign(PAYLOAD))


def test_key_type_comes_from_parsing_not_length():
    # An encrypted Ed25519 PEM is longer than 120 characters: a length check would call it RSA.
    pair = generate_key_pair("ed25519", passphrase="correct horse")
    assert len(pair.private_pem) > 120
    assert isinstance(load_private_key(pair.private_pem, "correct horse"), Ed25519Signer)
    assert isinstance(load_private_key(generate_key_pair("rsa").private_pem), RsaSigner)


def test_passphrase_errors_are_distinct_and_clear():
    pair = generate_key_pair("ed25519", passphrase="right")
    with pytest.raises(KeyFormatError, match="passphrase is wrong"):
        load_private_key(pair.private_pem, "wrong")
    with pytest.raises(KeyFormatError, match="encrypted and no passphrase"):
        load_private_key(pair.private_pem)
    plain = generate_key_pair("ed25519")
    with pytest.raises(KeyFormatError, match="not encrypted"):
        load_private_key(plain.private_pem, "anything")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("hello", "not a PEM private key"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "could not be parsed"),
    ],
)
def test_garbage_is_refused_with_a_fix(text, fragment):
    with pytest.raises(KeyFormatError, match=fragment) as info:
        load_private_key(text)
    assert "Fix:" in str(info.value)


def test_public_key_given_as_private_and_vice_versa():
    pair = generate_key_pair("ed25519")
    with pytest.raises(KeyFormatError, match="public key"):
        load_private_key(pair.public_pem)
    with pytest.raises(KeyFormatError, match="private key was given"):
        load_public_key(pair.private_pem)


def test_unsupported_algorithms_and_sizes():
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(KeyFormatError, match="Ed25519 and RSA"):
        load_private_key(ec_pem)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(KeyFormatError, match="1024 bits"):
        load_private_key(small)


def test_signatures_are_verified_not_just_produced():
    signer = load_private_key(generate_key_pair("rsa").private_pem)
    sig = signer.sign(PAYLOAD)
    assert signer.verify(PAYLOAD, sig)
    assert not signer.verify(PAYLOAD + b"x", sig)
    assert not signer.verify(PAYLOAD, "not base64!")
