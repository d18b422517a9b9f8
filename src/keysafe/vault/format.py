"""The vault file format: Argon2id key derivation and AES-256-GCM, twice.

Layout (all integers big-endian)::

    b"KSVAULT1"                     magic, 8 bytes
    u8  format version (1)
    u32 Argon2id memory cost (KiB)  u32 time cost  u32 parallelism
    16 bytes salt
    12 bytes nonce
    AES-256-GCM ciphertext of the body (JSON), associated data = every byte above

The body holds the records; each key version's secret is sealed a second time with its
own nonce and the record's label, environment, key type and version number as
associated data, so a record sealed for testnet can never be read as production, and a
secret moved to another label does not open. Every byte of the file is authenticated:
any change or truncation fails with the single :class:`VaultError`.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keysafe.vault.errors import VaultError

MAGIC = b"KSVAULT1"
FORMAT_VERSION = 1
_HEADER = struct.Struct(">8sBIII16s12s")
HEADER_SIZE = _HEADER.size

# Bounds on parameters read from a file: a damaged header must not make us allocate gigabytes.
_MIN_MEMORY_KIB, _MAX_MEMORY_KIB = 8, 1024 * 1024
_MAX_TIME, _MAX_LANES = 16, 16


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters; stored in the file, upgradable in place (`keysafe vault passwd`)."""

    memory_kib: int = 64 * 1024
    time_cost: int = 3
    parallelism: int = 4

    def check(self) -> KdfParams:
        if not (_MIN_MEMORY_KIB <= self.memory_kib <= _MAX_MEMORY_KIB and 1 <= self.time_cost <= _MAX_TIME
                and 1 <= self.parallelism <= _MAX_LANES and self.memory_kib >= 8 * self.parallelism):
            raise ValueError("Argon2id parameters out of range")
        return self

    def weaker_than(self, other: KdfParams) -> bool:
        return self.memory_kib < other.memory_kib or self.time_cost < other.time_cost

    def describe(self) -> str:
        return f"Argon2id m={self.memory_kib // 1024 if self.memory_kib >= 1024 else self.memory_kib}" \
               f"{'MiB' if self.memory_kib >= 1024 else 'KiB'} t={self.time_cost} p={self.parallelism}"


DEFAULT_KDF = KdfParams()
#: Cheap parameters for tests and the demo only: never for real keys.
TEST_KDF = KdfParams(memory_kib=8, time_cost=1, parallelism=1)


class Keys:
    """The keys derived from the passphrase: one for the body, one for the records."""

    __slots__ = ("body", "record")

    def __init__(self, master: bytes) -> None:
        self.body = AESGCM(_hkdf(master, b"keysafe vault body v1"))
        self.record = AESGCM(_hkdf(master, b"keysafe vault record v1"))

    def __repr__(self) -> str:
        return "Keys(****)"

    def __reduce__(self):
        raise TypeError("vault keys cannot be pickled")


def _hkdf(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def derive_keys(passphrase: str, salt: bytes, params: KdfParams) -> Keys:
    master = hash_secret_raw(
        passphrase.encode("utf-8"), salt, time_cost=params.time_cost, memory_cost=params.memory_kib,
        parallelism=params.parallelism, hash_len=32, type=Type.ID,
    )
    return Keys(master)


@dataclass(frozen=True)
class Header:
    kdf: KdfParams
    salt: bytes


def encode(body: dict[str, Any], keys: Keys, header: Header) -> bytes:
    nonce = os.urandom(12)
    head = _HEADER.pack(MAGIC, FORMAT_VERSION, header.kdf.memory_kib, header.kdf.time_cost,
                        header.kdf.parallelism, header.salt, nonce)
    plaintext = json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return head + keys.body.encrypt(nonce, plaintext, head)


def read_header(data: bytes) -> Header:
    """The header of a vault file; any problem is the single :class:`VaultError`."""
    if len(data) < HEADER_SIZE + 16:
        raise VaultError()
    magic, version, m, t, p, salt, _nonce = _HEADER.unpack_from(data)
    if magic != MAGIC or version != FORMAT_VERSION:
        raise VaultError()
    try:
        kdf = KdfParams(m, t, p).check()
    except ValueError:
        raise VaultError() from None
    return Header(kdf, salt)


def decode(data: bytes, keys: Keys) -> dict[str, Any]:
    head, ciphertext = data[:HEADER_SIZE], data[HEADER_SIZE:]
    nonce = head[-12:]
    try:
        plaintext = keys.body.decrypt(nonce, ciphertext, head)
        body = json.loads(plaintext)
    except (InvalidTag, ValueError):
        raise VaultError() from None
    if not isinstance(body, dict):
        raise VaultError()
    return body


def open_bytes(data: bytes, passphrase: str) -> tuple[Header, Keys, dict[str, Any]]:
    header = read_header(data)
    keys = derive_keys(passphrase, header.salt, header.kdf)
    return header, keys, decode(data, keys)


# ------------------------------------------------------------------ record sealing


def _aad(label: str, environment: str, key_type: str, version: int) -> bytes:
    return json.dumps({"label": label, "environment": environment, "type": key_type, "version": version},
                      sort_keys=True, separators=(",", ":")).encode("utf-8")


def seal(keys: Keys, secret: dict[str, str], *, label: str, environment: str, key_type: str,
         version: int) -> str:
    nonce = os.urandom(12)
    ct = keys.record.encrypt(nonce, json.dumps(secret).encode("utf-8"),
                             _aad(label, environment, key_type, version))
    return base64.b64encode(nonce + ct).decode("ascii")


def unseal(keys: Keys, sealed: str, *, label: str, environment: str, key_type: str,
           version: int) -> dict[str, str]:
    try:
        raw = base64.b64decode(sealed, validate=True)
        plain = keys.record.decrypt(raw[:12], raw[12:], _aad(label, environment, key_type, version))
        value = json.loads(plain)
    except (InvalidTag, ValueError, TypeError):
        raise VaultError(
            f"The secret of {label!r} (version {version}) does not open with its recorded label, environment "
            "and type: it was moved or altered.",
            "Restore the vault from a backup; keysafe will not use a secret whose metadata changed.",
        ) from None
    return value
