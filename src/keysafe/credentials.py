"""A Binance credential: the API key, its signer, the environment it belongs to, a label.

Neither ``repr``, ``str``, logging nor pickling reveals the secret; the API key itself is
shown masked (first 4 and last 4 characters).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from keysafe.errors import KeyFormatError
from keysafe.keyformat import API_KEY_LENGTH, mask, validate_api_key, validate_secret_key
from keysafe.secret import Secret
from keysafe.signing.signers import Ed25519Signer, HmacSigner, KeyType, RsaSigner, Signer, load_private_key
from keysafe.spec.environments import Environment

def key_fingerprint(api_key: str) -> str:
    """A short identifier of an API key for logs and events (SHA-256, 16 hex digits)."""
    return hashlib.sha256(api_key.encode("utf-8", "replace")).hexdigest()[:16]


class Credential:
    """An API key with its signer, environment and label. Immutable; never reveals the secret."""

    __slots__ = ("api_key", "signer", "environment", "label", "fingerprint")

    def __init__(
        self,
        api_key: str,
        signer: Signer,
        environment: Environment | str = Environment.PRODUCTION,
        label: str | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "api_key", validate_api_key(api_key))
        if not isinstance(signer, Signer) or signer.key_type not in KeyType:
            raise TypeError("signer must be an HmacSigner, Ed25519Signer or RsaSigner")
        set_(self, "signer", signer)
        try:
            set_(self, "environment", Environment(environment))
        except ValueError:
            raise KeyFormatError(
                f"Unknown environment {environment!r}.",
                "Use one of: " + ", ".join(e.value for e in Environment) + ".",
            ) from None
        set_(self, "label", label)
        set_(self, "fingerprint", key_fingerprint(api_key))

    def __setattr__(self, name, value):
        raise AttributeError("Credential is immutable")

    @property
    def key_type(self) -> KeyType:
        return self.signer.key_type

    @property
    def masked_key(self) -> str:
        return mask(self.api_key)

    def sign(self, payload: bytes) -> str:
        return self.signer.sign(payload)

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return (
            f"Credential({label}environment={self.environment.value!r}, type={self.key_type.value!r}, "
            f"api_key={self.masked_key!r})"
        )

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("a Credential holds a secret and cannot be pickled; pass its vault label instead")

    # ------------------------------------------------------------ constructors

    @classmethod
    def from_secret(
        cls, api_key: str, secret: str | Secret, *, environment: Environment | str = Environment.PRODUCTION,
        label: str | None = None,
    ) -> Credential:
        """An HMAC credential from the API key and the secret key."""
        return cls(api_key, HmacSigner(secret), environment, label)

    @classmethod
    def from_private_key(
        cls, api_key: str, pem: str | bytes | Secret, *, passphrase: str | Secret | None = None,
        environment: Environment | str = Environment.PRODUCTION, label: str | None = None,
    ) -> Credential:
        """An Ed25519 or RSA credential from the API key and the private key PEM."""
        return cls(api_key, load_private_key(pem, passphrase), environment, label)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, environment: Environment | str | None = None,
        label: str | None = None,
    ) -> Credential:
        """From BINANCE_API_KEY plus BINANCE_API_SECRET, BINANCE_PRIVATE_KEY (a PEM) or
        BINANCE_PRIVATE_KEY_PATH; BINANCE_PRIVATE_KEY_PASSPHRASE and BINANCE_ENVIRONMENT are optional."""
        env = os.environ if environ is None else environ
        api_key = env.get("BINANCE_API_KEY")
        if not api_key:
            raise KeyFormatError(
                "BINANCE_API_KEY is not set.",
                "Set BINANCE_API_KEY and one of BINANCE_API_SECRET, BINANCE_PRIVATE_KEY or BINANCE_PRIVATE_KEY_PATH "
                "(or use `keysafe run --key LABEL -- your-bot`).",
            )
        environment = environment or env.get("BINANCE_ENVIRONMENT") or Environment.PRODUCTION
        passphrase = env.get("BINANCE_PRIVATE_KEY_PASSPHRASE")
        if env.get("BINANCE_API_SECRET"):
            return cls.from_secret(api_key, env["BINANCE_API_SECRET"], environment=environment, label=label)
        if env.get("BINANCE_PRIVATE_KEY"):
            return cls.from_private_key(
                api_key, env["BINANCE_PRIVATE_KEY"], passphrase=passphrase, environment=environment, label=label
            )
        if env.get("BINANCE_PRIVATE_KEY_PATH"):
            path = Path(env["BINANCE_PRIVATE_KEY_PATH"]).expanduser()
            try:
                pem = path.read_bytes()
            except OSError as exc:
                raise KeyFormatError(
                    f"BINANCE_PRIVATE_KEY_PATH points to {path}, which cannot be read ({exc.strerror}).",
                    "Point it at the private key file keysafe keygen wrote.",
                ) from None
            return cls.from_private_key(api_key, pem, passphrase=passphrase, environment=environment, label=label)
        raise KeyFormatError(
            "BINANCE_API_KEY is set but no secret is: none of BINANCE_API_SECRET, BINANCE_PRIVATE_KEY or "
            "BINANCE_PRIVATE_KEY_PATH.",
            "Set the one that matches your key type.",
        )


__all__ = [
    "API_KEY_LENGTH",
    "Credential",
    "Ed25519Signer",
    "HmacSigner",
    "RsaSigner",
    "key_fingerprint",
    "mask",
    "validate_api_key",
    "validate_secret_key",
]
