"""Signers for Binance's three key types; each one signs and verifies.

* HMAC-SHA256 over the payload with the secret key, hex output (compared case-insensitively);
* Ed25519 (pure, no pre-hash), base64 output;
* RSA PKCS#1 v1.5 with SHA-256, base64 output (PSS is not accepted by Binance).

Private keys are parsed once, when the signer is made; the key type comes from parsing
the key, never from its length. No signer reveals its key in ``repr``, ``str`` or pickling.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from enum import StrEnum
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from keysafe.errors import KeyFormatError
from keysafe.keyformat import validate_secret_key
from keysafe.secret import Secret


class KeyType(StrEnum):
    HMAC = "hmac"
    ED25519 = "ed25519"
    RSA = "rsa"


@runtime_checkable
class Signer(Protocol):
    key_type: KeyType

    def sign(self, payload: bytes) -> str: ...

    def verify(self, payload: bytes, signature: str) -> bool: ...


class _NoPickle:
    __slots__ = ()

    def __reduce__(self):
        raise TypeError(f"{type(self).__name__} holds a secret and cannot be pickled; pass its vault label instead")

    def __str__(self) -> str:
        return repr(self)


class HmacSigner(_NoPickle):
    """HMAC-SHA256 with the secret key; hex signature."""

    __slots__ = ("_mac",)
    key_type = KeyType.HMAC

    def __init__(self, secret: str | Secret) -> None:
        text = secret.reveal() if isinstance(secret, Secret) else secret
        validate_secret_key(text)
        # Keyed once: each signature copies the prepared state instead of re-padding the key.
        self._mac = hmac.new(text.encode("ascii"), digestmod=hashlib.sha256)

    def sign(self, payload: bytes) -> str:
        mac = self._mac.copy()
        mac.update(payload)
        return mac.hexdigest()

    def verify(self, payload: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(payload), signature.lower())

    def __repr__(self) -> str:
        return "HmacSigner(secret=****)"


def _b64(sig: bytes) -> str:
    return base64.b64encode(sig).decode("ascii")


def _unb64(signature: str) -> bytes | None:
    try:
        return base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


class Ed25519Verifier(_NoPickle):
    """Verifies Ed25519 signatures with a public key (what the sandbox and Binance hold)."""

    __slots__ = ("public_key",)
    key_type = KeyType.ED25519

    def __init__(self, public_key: ed25519.Ed25519PublicKey) -> None:
        self.public_key = public_key

    def __reduce__(self):  # a public key is not secret
        return (load_public_key, (public_key_pem(self.public_key),))

    def sign(self, payload: bytes) -> str:
        raise KeyFormatError("This is a public key: it verifies but cannot sign.", "Load the private key to sign.")

    def verify(self, payload: bytes, signature: str) -> bool:
        raw = _unb64(signature)
        if raw is None or len(raw) != 64:
            return False
        try:
            self.public_key.verify(raw, payload)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return "Ed25519Verifier()"


class RsaVerifier(Ed25519Verifier):
    __slots__ = ()
    key_type = KeyType.RSA

    def verify(self, payload: bytes, signature: str) -> bool:
        raw = _unb64(signature)
        if raw is None:
            return False
        try:
            self.public_key.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"RsaVerifier(bits={self.public_key.key_size})"


class Ed25519Signer(_NoPickle):
    """Ed25519 with a private key parsed once; base64 signature."""

    __slots__ = ("_key", "_verifier")
    key_type = KeyType.ED25519

    def __init__(self, private_key: ed25519.Ed25519PrivateKey) -> None:
        self._key = private_key
        self._verifier = Ed25519Verifier(private_key.public_key())

    def sign(self, payload: bytes) -> str:
        return _b64(self._key.sign(payload))

    def verify(self, payload: bytes, signature: str) -> bool:
        return self._verifier.verify(payload, signature)

    @property
    def public_key_pem(self) -> str:
        return public_key_pem(self._key.public_key())

    def __repr__(self) -> str:
        return "Ed25519Signer(private_key=****)"


class RsaSigner(_NoPickle):
    """RSA PKCS#1 v1.5 SHA-256 with a private key parsed once; base64 signature."""

    __slots__ = ("_key", "_verifier")
    key_type = KeyType.RSA

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        if not 2048 <= private_key.key_size <= 4096:
            raise KeyFormatError(
                f"This RSA key has {private_key.key_size} bits; Binance accepts 2048 to 4096.",
                "Generate a new one with `keysafe keygen rsa` (2048 bits).",
            )
        self._key = private_key
        self._verifier = RsaVerifier(private_key.public_key())

    def sign(self, payload: bytes) -> str:
        return _b64(self._key.sign(payload, padding.PKCS1v15(), hashes.SHA256()))

    def verify(self, payload: bytes, signature: str) -> bool:
        return self._verifier.verify(payload, signature)

    @property
    def public_key_pem(self) -> str:
        return public_key_pem(self._key.public_key())

    def __repr__(self) -> str:
        return f"RsaSigner(bits={self._key.key_size}, private_key=****)"


# ---------------------------------------------------------------- loading keys


def _pem_bytes(pem: str | bytes | Secret) -> bytes:
    if isinstance(pem, Secret):
        pem = pem.reveal()
    data = pem.encode("utf-8") if isinstance(pem, str) else bytes(pem)
    # Accept CRLF files and PEMs flattened onto one line with literal "\n" escapes.
    data = data.replace(b"\r\n", b"\n").replace(b"\\n", b"\n").strip() + b"\n"
    return data


def load_private_key(
    pem: str | bytes | Secret, passphrase: str | bytes | Secret | None = None
) -> Ed25519Signer | RsaSigner:
    """A signer from a PEM private key (PKCS#8 or traditional), encrypted or not."""
    data = _pem_bytes(pem)
    if b"PRIVATE KEY-----" not in data:
        kind = "a public key" if b"PUBLIC KEY-----" in data else "not a PEM private key"
        raise KeyFormatError(
            f"The key given is {kind}.",
            "Give the private key PEM (-----BEGIN PRIVATE KEY-----); the public key is what you register on Binance.",
        )
    if isinstance(passphrase, Secret):
        passphrase = passphrase.reveal()
    password = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        key = serialization.load_pem_private_key(data, password=password or None)
    except TypeError:
        if password:
            raise KeyFormatError(
                "A passphrase was given but this private key is not encrypted.", "Load it without a passphrase."
            ) from None
        raise KeyFormatError(
            "This private key is encrypted and no passphrase was given.", "Supply the key's passphrase."
        ) from None
    except ValueError:
        if password and b"ENCRYPTED" in data:
            raise KeyFormatError(
                "The private key could not be decrypted: the passphrase is wrong.", "Try the passphrase again."
            ) from None
        raise KeyFormatError(
            "The PEM could not be parsed as a private key (damaged or truncated).",
            "Copy the whole file, from -----BEGIN to -----END, or generate a new key with `keysafe keygen`.",
        ) from None
    except UnsupportedAlgorithm:
        raise KeyFormatError(
            "This private key uses an algorithm Binance does not support.", "Use an Ed25519 or RSA key."
        ) from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return RsaSigner(key)
    raise KeyFormatError(
        f"This is a {type(key).__name__.removesuffix('PrivateKey').lstrip('_')} key; Binance accepts Ed25519 and RSA.",
        "Generate an Ed25519 key with `keysafe keygen ed25519`.",
    )


def load_public_key(pem: str | bytes) -> Ed25519Verifier | RsaVerifier:
    """A verifier from a PEM public key (SubjectPublicKeyInfo, as registered on Binance)."""
    data = _pem_bytes(pem)
    if b"PRIVATE KEY-----" in data:
        raise KeyFormatError(
            "A private key was given where the public key is expected.",
            "Register only the public key (-----BEGIN PUBLIC KEY-----); keep the private key to yourself.",
        )
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFormatError(
            "The text is not a PEM public key.", "Paste the whole -----BEGIN PUBLIC KEY----- block."
        ) from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return Ed25519Verifier(key)
    if isinstance(key, rsa.RSAPublicKey):
        if not 2048 <= key.key_size <= 4096:
            raise KeyFormatError(
                f"This RSA key has {key.key_size} bits; Binance accepts 2048 to 4096.",
                "Generate a 2048-bit key with `keysafe keygen rsa`.",
            )
        return RsaVerifier(key)
    raise KeyFormatError("Binance accepts Ed25519 and RSA public keys only.", "Use an Ed25519 or RSA key.")


def public_key_pem(key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
