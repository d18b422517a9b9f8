"""The :class:`Vault`: one encrypted file of API keys, with versions, a log and fingerprints.

    >>> vault = Vault.create(passphrase="correct horse battery")      # doctest: +SKIP
    >>> vault.add("grid-bot", api_key=..., secret=..., environment="production", profile="spot-bot")
    >>> vault.credential("grid-bot")        # a keysafe Credential, ready for keysafe.Client

Every change is one locked read-modify-write: re-read the file, apply, log, save
atomically. Two keysafe commands at once never lose each other's changes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from keysafe.credentials import Credential, key_fingerprint
from keysafe.errors import KeyFormatError
from keysafe.keyformat import mask, validate_api_key, validate_secret_key
from keysafe.secret import Secret
from keysafe.signing import KeyType, generate_key_pair, load_private_key
from keysafe.spec import Environment
from keysafe.vault import fingerprints, format, log, passphrase as pp
from keysafe.vault.errors import LabelError, RecordStateError, VaultError, VaultExistsError
from keysafe.vault.format import DEFAULT_KDF, Header, KdfParams, Keys
from keysafe.vault.records import Record, Version, VersionState, check_label
from keysafe.vault.store import (
    LOG_NAME, VAULT_NAME, atomic_write, ensure_dir, keysafe_home, locked, read_vault_file, remove_stale_temps,
)

BODY_VERSION = 1


def _environment(value: Environment | str) -> Environment:
    try:
        return Environment(value)
    except ValueError:
        raise KeyFormatError(f"Unknown environment {value!r}.",
                             "Use one of: " + ", ".join(e.value for e in Environment) + ".") from None


def classify_secret(secret: str | Secret) -> tuple[KeyType, str]:
    """The key type of a secret (HMAC secret key, or an Ed25519/RSA private key PEM), checked."""
    text = secret.reveal() if isinstance(secret, Secret) else secret
    if "-----BEGIN" in text:
        signer = load_private_key(text)
        return signer.key_type, text.strip() + "\n"
    validate_secret_key(text)
    return KeyType.HMAC, text


class Vault:
    """An unlocked vault. Build with :meth:`create` or :meth:`open`."""

    def __init__(self, home: Path, header: Header, keys: Keys, body: dict[str, Any]) -> None:
        self.home = home
        self.path = home / VAULT_NAME
        self.log_path = home / LOG_NAME
        self._header = header
        self._keys = keys
        self._body = body

    def __repr__(self) -> str:
        return f"Vault(path={str(self.path)!r}, records={len(self._body['records'])})"

    def __reduce__(self):
        raise TypeError("an unlocked Vault cannot be pickled")

    # ------------------------------------------------------------------ open / create

    @classmethod
    def create(cls, passphrase: str, *, home: str | os.PathLike[str] | None = None,
               kdf: KdfParams = DEFAULT_KDF) -> Vault:
        home = Path(home) if home else keysafe_home()
        ensure_dir(home)
        with locked(home):
            if (home / VAULT_NAME).exists():
                raise VaultExistsError(f"A vault already exists at {home / VAULT_NAME}.",
                                       "Use it (keysafe list), or set KEYSAFE_HOME to another directory.")
            header = Header(kdf.check(), os.urandom(16))
            keys = format.derive_keys(passphrase, header.salt, header.kdf)
            vault = cls(home, header, keys, {"version": BODY_VERSION, "records": {}, "created_at": time.time()})
            vault._commit("init", None, kdf=kdf.describe())
        return vault

    @classmethod
    def open(cls, passphrase: str | None = None, *, home: str | os.PathLike[str] | None = None) -> Vault:
        home = Path(home) if home else keysafe_home()
        data = read_vault_file(home / VAULT_NAME)  # existence and permission checks come first
        if passphrase is None:
            passphrase = pp.get_passphrase(home)
        header, keys, body = format.open_bytes(data, passphrase)
        if not isinstance(body.get("records"), dict):
            raise VaultError()
        return cls(home, header, keys, body)

    def _reload(self) -> None:
        data = read_vault_file(self.path)
        header = format.read_header(data)
        if header != self._header:
            raise VaultError("The vault was re-encrypted by another keysafe command since it was opened.",
                             "Run the command again.")
        self._body = format.decode(data, self._keys)

    def _commit(self, op: str, label: str | None, **details: Any) -> None:
        """Log the operation, then save the body (with the log head) atomically. Caller holds the lock."""
        remove_stale_temps(self.path)
        log.append(self.log_path, op, label, **details)
        self._body["log_head"] = log.head_of(self.log_path)
        atomic_write(self.path, format.encode(self._body, self._keys, self._header))
        self._write_fingerprints()

    def transact(self, op: str, label: str | None, change: Callable[[dict[str, Any]], dict[str, Any] | None],
                 **details: Any) -> None:
        """Locked: reload, ``change(body)`` (may return extra log details), log, save."""
        with locked(self.home):
            self._reload()
            extra = change(self._body) or {}
            self._commit(op, label, **details, **extra)

    # ------------------------------------------------------------------ records

    @property
    def kdf(self) -> KdfParams:
        return self._header.kdf

    @property
    def log_head(self) -> dict[str, Any] | None:
        return self._body.get("log_head")

    def labels(self) -> list[str]:
        return sorted(self._body["records"])

    def records(self) -> list[Record]:
        return [self.get(label) for label in self.labels()]

    def __contains__(self, label: str) -> bool:
        return label in self._body["records"]

    def get(self, label: str) -> Record:
        try:
            return Record.from_dict(self._body["records"][label])
        except KeyError:
            known = ", ".join(self.labels()) or "none yet"
            raise LabelError(f"No key labelled {label!r} in the vault (labels: {known}).",
                             "Check the label with `keysafe list`.") from None

    @staticmethod
    def _put(body: dict[str, Any], record: Record) -> None:
        body["records"][record.label] = record.to_dict()

    def _seal(self, record: Record, number: int, api_key: str | None, secret: str) -> str:
        return format.seal(self._keys, {"api_key": api_key, "secret": secret}, label=record.label,
                           environment=record.environment.value, key_type=record.key_type.value, version=number)

    def _unseal(self, record: Record, version: Version) -> dict[str, str]:
        return format.unseal(self._keys, version.sealed, label=record.label, environment=record.environment.value,
                             key_type=record.key_type.value, version=version.number)

    def _new_version(self, record: Record, state: VersionState, api_key: str | None, secret: str,
                     **fields: Any) -> Version:
        number = record.next_number()
        return Version(number=number, state=state, added_at=time.time(),
                       sealed=self._seal(record, number, api_key, secret),
                       api_key_masked=mask(api_key) if api_key else None,
                       api_key_fingerprint=key_fingerprint(api_key) if api_key else None, **fields)

    def add(self, label: str, *, api_key: str, secret: str | Secret, environment: Environment | str,
            profile: str, ip_whitelist: list[str] | tuple[str, ...] = ()) -> Record:
        """Store a new key. The label must be free; nothing changes if any check fails."""
        check_label(label)
        validate_api_key(api_key)
        key_type, text = classify_secret(secret)
        env = _environment(environment)

        def change(body: dict[str, Any]) -> dict[str, Any]:
            if label in body["records"]:
                raise LabelError(f"A key labelled {label!r} is already in the vault; nothing was changed.",
                                 "Choose another label, or `keysafe remove` the old one, or use `keysafe rotate "
                                 f"start {label}` to replace its key.")
            record = Record(label, env, key_type, profile, list(ip_whitelist), time.time())
            record.versions.append(self._new_version(record, VersionState.CURRENT, api_key, text))
            self._put(body, record)
            return {"version": 1, "api_key": mask(api_key), "type": key_type.value, "environment": env.value,
                    "profile": profile}

        self.transact("add", label, change)
        return self.get(label)

    def add_generated(self, label: str, *, key_type: KeyType | str, environment: Environment | str,
                      profile: str, ip_whitelist: list[str] | tuple[str, ...] = (), rsa_bits: int = 2048) -> str:
        """Generate an Ed25519/RSA key pair, keep the private key in the vault, return the public PEM.

        The record waits for its API key (Binance shows it after the public key is registered):
        :meth:`attach_api_key`, or `keysafe add LABEL` again.
        """
        check_label(label)
        key_type = KeyType(key_type)
        env = _environment(environment)
        pair = generate_key_pair(key_type, rsa_bits=rsa_bits)

        def change(body: dict[str, Any]) -> dict[str, Any]:
            if label in body["records"]:
                raise LabelError(f"A key labelled {label!r} is already in the vault; nothing was changed.",
                                 "Choose another label.")
            record = Record(label, env, key_type, profile, list(ip_whitelist), time.time())
            record.versions.append(self._new_version(record, VersionState.CURRENT, None, pair.private_pem.decode(),
                                                     public_key_pem=pair.public_pem))
            self._put(body, record)
            return {"version": 1, "type": key_type.value, "environment": env.value, "profile": profile}

        self.transact("keygen", label, change)
        return pair.public_pem

    def awaiting_api_key(self, label: str) -> Version | None:
        """The version (current or pending) whose key pair waits for its Binance API key, if any."""
        record = self.get(label)
        for v in (record.pending, record.current):
            if v is not None and not v.has_api_key:
                return v
        return None

    def attach_api_key(self, label: str, api_key: str) -> Version:
        validate_api_key(api_key)

        def change(body: dict[str, Any]) -> dict[str, Any]:
            record = Record.from_dict(body["records"][label]) if label in body["records"] else self.get(label)
            target = next((v for v in (record.pending, record.current) if v is not None and not v.has_api_key),
                          None)
            if target is None:
                raise LabelError(f"{label!r} already has its API key; nothing was changed.",
                                 "To replace a key, use `keysafe rotate start`.")
            secret = self._unseal(record, target)["secret"]
            target.sealed = self._seal(record, target.number, api_key, secret)
            target.api_key_masked, target.api_key_fingerprint = mask(api_key), key_fingerprint(api_key)
            self._put(body, record)
            return {"version": target.number, "api_key": mask(api_key)}

        self.transact("attach-api-key", label, change)
        return next(v for v in self.get(label).versions if v.api_key_masked == mask(api_key))

    def remove(self, label: str) -> None:
        self.get(label)

        def change(body: dict[str, Any]) -> None:
            if body["records"].pop(label, None) is None:
                raise LabelError(f"No key labelled {label!r} in the vault.", "Check the label with `keysafe list`.")

        self.transact("remove", label, change)

    def update_record(self, label: str, op: str, mutate: Callable[[Record, Vault], dict[str, Any] | None],
                      **details: Any) -> Record:
        """Apply ``mutate(record, vault)`` under the lock (used by rotation and audits), log ``op``, save."""

        def change(body: dict[str, Any]) -> dict[str, Any] | None:
            if label not in body["records"]:
                self.get("\0" + label)  # raises the friendly LabelError
            record = Record.from_dict(body["records"][label])
            extra = mutate(record, self)
            self._put(body, record)
            return extra

        self.transact(op, label, change, **details)
        return self.get(label)

    def new_version(self, record: Record, state: VersionState, api_key: str | None, secret: str | Secret,
                    **fields: Any) -> Version:
        """A version of ``record`` (for rotation); the secret's type must match the record's."""
        if api_key is not None:
            validate_api_key(api_key)
        key_type, text = classify_secret(secret)
        if key_type is not record.key_type:
            raise KeyFormatError(f"{record.label!r} holds {record.key_type.value} keys; this is a {key_type.value} "
                                 "key.", "Rotate to a key of the same type, or add it under a new label.")
        version = self._new_version(record, state, api_key, text, **fields)
        record.versions.append(version)
        return version

    # ------------------------------------------------------------------ secrets

    def _version(self, record: Record, version: Version | int | None) -> Version:
        if isinstance(version, Version):
            return version
        if version is None:
            found = record.current
        else:
            found = next((v for v in record.versions if v.number == version), None)
        if found is None:
            raise RecordStateError(f"{record.label!r} has no {'current' if version is None else f'version {version}'}"
                                   " key.", "See `keysafe show " + record.label + "`.")
        return found

    def credential(self, label: str, version: Version | int | None = None) -> Credential:
        """A :class:`~keysafe.Credential` for the current (or given) version of ``label``."""
        record = self.get(label)
        v = self._version(record, version)
        opened = self._unseal(record, v)
        if not opened.get("api_key"):
            raise RecordStateError(f"{label!r} has a key pair but no API key yet.",
                                   f"Register its public key on Binance, then run `keysafe add {label}` "
                                   "and paste the API key Binance shows.")
        if record.key_type is KeyType.HMAC:
            return Credential.from_secret(opened["api_key"], Secret(opened["secret"]),
                                          environment=record.environment, label=label)
        return Credential.from_private_key(opened["api_key"], Secret(opened["secret"]),
                                           environment=record.environment, label=label)

    def child_environment(self, label: str) -> tuple[dict[str, str], list[str]]:
        """Environment variables for `keysafe run`, and the values to mask in the child's output."""
        record = self.get(label)
        opened = self._unseal(record, self._version(record, None))
        if not opened.get("api_key"):
            self.credential(label)  # raises the explanation
        env = {"BINANCE_API_KEY": opened["api_key"], "BINANCE_ENVIRONMENT": record.environment.value}
        if record.key_type is KeyType.HMAC:
            env["BINANCE_API_SECRET"] = opened["secret"]
        else:
            env["BINANCE_PRIVATE_KEY"] = opened["secret"]
        return env, [opened["secret"], opened["api_key"]]

    def _live_secrets(self) -> Iterator[tuple[str, str]]:
        for record in self.records():
            for v in record.versions:
                if v.state is VersionState.RETIRED:
                    continue
                opened = self._unseal(record, v)
                yield f"{record.label}/secret", opened["secret"]
                if opened.get("api_key"):
                    yield f"{record.label}/api-key", opened["api_key"]

    def _write_fingerprints(self) -> None:
        fingerprints.write(self.home, list(self._live_secrets()))

    # ------------------------------------------------------------------ passphrase / log

    def change_passphrase(self, new_passphrase: str, *, kdf: KdfParams = DEFAULT_KDF) -> None:
        """Re-encrypt everything under a new passphrase (and KDF parameters) in one atomic rename.

        Each secret is opened with the old keys and sealed with the new ones in memory; the
        old file stays untouched until the new one is complete and synced.
        """
        with locked(self.home):
            self._reload()
            header = Header(kdf.check(), os.urandom(16))
            keys = format.derive_keys(new_passphrase, header.salt, header.kdf)
            records = [Record.from_dict(r) for r in self._body["records"].values()]
            opened = {(r.label, v.number): self._unseal(r, v) for r in records for v in r.versions}
            old_keys, old_header = self._keys, self._header
            self._keys, self._header = keys, header
            try:
                for r in records:
                    for v in r.versions:
                        o = opened[(r.label, v.number)]
                        v.sealed = self._seal(r, v.number, o.get("api_key"), o["secret"])
                    self._put(self._body, r)
                self._commit("passwd", None, kdf=kdf.describe())
            except BaseException:
                self._keys, self._header = old_keys, old_header
                raise

    def verify_log(self) -> log.LogCheck:
        return log.verify(self.log_path, self.log_head)

    def note(self, op: str, label: str | None, **details: Any) -> None:
        """Log a read-only operation (e.g. `keysafe run`); the vault file is not rewritten."""
        with locked(self.home):
            log.append(self.log_path, op, label, **details)
