"""API keys as Binance's API Management page has them, and the store the server checks against.

A key's verifier is built once, when the key is registered, so the request path never
parses a PEM or re-keys an HMAC.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keysafe.credentials import key_fingerprint
from keysafe.errors import ConfigurationError, KeyFormatError
from keysafe.signing import HmacSigner, KeyType, Signer, load_public_key
from keysafe.spec import PERMISSIONS, Permission

MAX_WHITELIST = 30
TRADING_EXPIRY_MS = 30 * 24 * 3600 * 1000  # spot trading expires 30 days after creation without IP restriction
_KEY_RE = re.compile(r"[A-Za-z0-9]{64}\Z")
_ALNUM = string.ascii_letters + string.digits
PERMISSION_NAMES: tuple[str, ...] = tuple(p.value for p in PERMISSIONS)


def new_key_string() -> str:
    """64 random letters and digits, shaped like a Binance API key or HMAC secret."""
    while True:
        key = "".join(secrets.choice(_ALNUM) for _ in range(64))
        if any(c.isupper() for c in key) and any(c.islower() for c in key) and any(c.isdigit() for c in key):
            return key


@dataclass(eq=False, repr=False)
class SandboxKey:
    api_key: str
    label: str
    key_type: KeyType
    verifier: Signer
    permissions: dict[str, bool]
    ip_whitelist: tuple[str, ...]
    account: str
    create_time: int
    public_key_pem: str | None = None
    fingerprint: str = ""

    def __post_init__(self) -> None:
        self.fingerprint = key_fingerprint(self.api_key)
        self._whitelist = frozenset(self.ip_whitelist)

    @property
    def ip_restrict(self) -> bool:
        return bool(self.ip_whitelist)

    @property
    def trading_authority_expiration_time(self) -> int:
        """When spot trading stops for a key without IP restriction (0: never)."""
        if self.ip_restrict or not self.permissions.get(Permission.SPOT_AND_MARGIN_TRADING.value):
            return 0
        return self.create_time + TRADING_EXPIRY_MS

    def allows_ip(self, ip: str) -> bool:
        return not self._whitelist or ip in self._whitelist

    def has(self, permission: Permission | str, now_ms: int) -> bool:
        name = permission.value if isinstance(permission, Permission) else permission
        if not self.permissions.get(name, False):
            return False
        if name == Permission.SPOT_AND_MARGIN_TRADING.value:
            expires = self.trading_authority_expiration_time
            return expires == 0 or now_ms < expires
        return True

    def restrictions(self) -> dict[str, Any]:
        """The body of GET /sapi/v1/account/apiRestrictions."""
        data: dict[str, Any] = {"ipRestrict": self.ip_restrict, "createTime": self.create_time}
        data.update({name: bool(self.permissions.get(name, False)) for name in PERMISSION_NAMES})
        data["enableFixApiTrade"] = False
        data["enableFixReadOnly"] = False
        expires = self.trading_authority_expiration_time
        if expires:
            data["tradingAuthorityExpirationTime"] = expires
        return data

    def info(self) -> dict[str, Any]:
        """What the admin API lists: everything except the secret."""
        return {
            "apiKey": self.api_key, "label": self.label, "type": self.key_type.value, "account": self.account,
            "ipWhitelist": list(self.ip_whitelist), **self.restrictions(),
        }

    def __repr__(self) -> str:
        return f"SandboxKey(label={self.label!r}, type={self.key_type.value}, fingerprint={self.fingerprint})"


@dataclass(frozen=True, repr=False)
class CreatedKey:
    """What creating a key returns: the secret of an HMAC key is shown here once."""

    api_key: str
    secret_key: str | None
    label: str
    key_type: str
    account: str

    def __repr__(self) -> str:
        shown = "****" if self.secret_key else None
        return f"CreatedKey(label={self.label!r}, type={self.key_type}, secret_key={shown})"

    def to_json(self) -> dict[str, Any]:
        return {"apiKey": self.api_key, "secretKey": self.secret_key, "label": self.label, "type": self.key_type,
                "account": self.account}


def _check_whitelist(ips: Any, where: str) -> tuple[str, ...]:
    if ips is None:
        return ()
    if isinstance(ips, str):
        ips = [p for p in re.split(r"[,\s]+", ips) if p]
    if not isinstance(ips, (list, tuple)):
        raise ConfigurationError(f"{where}: ipWhitelist must be a list of IP addresses.", 'Use e.g. ["127.0.0.1"].')
    if len(ips) > MAX_WHITELIST:
        raise ConfigurationError(f"{where}: ipWhitelist has {len(ips)} addresses; Binance allows {MAX_WHITELIST}.",
                                 "Keep at most 30 addresses.")
    out = []
    for ip in ips:
        try:
            out.append(str(ipaddress.ip_address(str(ip).strip())))
        except ValueError:
            raise ConfigurationError(f"{where}: {str(ip)[:60]!r} in ipWhitelist is not an IP address.",
                                     "List plain IPv4 or IPv6 addresses.") from None
    return tuple(dict.fromkeys(out))


class KeyStore:
    """Registered keys by API key. Thread-safe; deletion is seen by the next request."""

    def __init__(self) -> None:
        self._keys: dict[str, SandboxKey] = {}
        #: deleted keys: API key -> (fingerprint, label), so later use is still attributed
        self._deleted: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def get(self, api_key: str) -> SandboxKey | None:
        return self._keys.get(api_key)

    def identity(self, api_key: str | None) -> tuple[str | None, str | None]:
        """(fingerprint, label) to record for an X-MBX-APIKEY header value; never the key itself.

        A registered key gives its fingerprint and label; a deleted one the fingerprint and the
        label it had; any other non-empty value its fingerprint (same function as the client's
        :class:`~keysafe.events.ActivityEvent`) and no label; no header gives ``(None, None)``.
        """
        if not api_key:
            return None, None
        key = self._keys.get(api_key)
        if key is not None:
            return key.fingerprint, key.label
        gone = self._deleted.get(api_key)
        if gone is not None:
            return gone
        return key_fingerprint(api_key), None

    def list(self) -> list[SandboxKey]:
        return sorted(self._keys.values(), key=lambda k: k.create_time)

    def delete(self, api_key: str) -> bool:
        with self._lock:
            key = self._keys.pop(api_key, None)
            if key is None:
                return False
            self._deleted[api_key] = (key.fingerprint, key.label)
            return True

    def __len__(self) -> int:
        return len(self._keys)

    def create(
        self,
        *,
        label: str = "",
        key_type: str | KeyType = "hmac",
        public_key_pem: str | None = None,
        ip_whitelist: Any = (),
        account: str = "default",
        api_key: str | None = None,
        secret_key: str | None = None,
        create_time: int | None = None,
        where: str = "key",
        **permissions: Any,
    ) -> CreatedKey:
        try:
            kt = KeyType(str(key_type).lower())
        except ValueError:
            raise ConfigurationError(f"{where}: type {str(key_type)[:20]!r} is not a key type.",
                                     "Use hmac, ed25519 or rsa.") from None
        unknown = sorted(set(permissions) - set(PERMISSION_NAMES))
        if unknown:
            raise ConfigurationError(f"{where}: {unknown[0]!r} is not a permission.",
                                     f"Use the apiRestrictions names: {', '.join(PERMISSION_NAMES)}.")
        perms = {name: False for name in PERMISSION_NAMES}
        perms[Permission.READING.value] = True
        for name, value in permissions.items():
            if not isinstance(value, bool):
                raise ConfigurationError(f"{where}: permission {name!r} must be true or false.", "Use a JSON boolean.")
            perms[name] = value
        whitelist = _check_whitelist(ip_whitelist, where)
        if api_key is None:
            api_key = new_key_string()
        elif not isinstance(api_key, str) or not _KEY_RE.match(api_key):
            raise ConfigurationError(f"{where}: apiKey must be 64 letters and digits.",
                                     "Leave apiKey out to have one generated.")
        shown: str | None = None
        if kt is KeyType.HMAC:
            if public_key_pem:
                raise ConfigurationError(f"{where}: an HMAC key takes no publicKey.", "Use type ed25519 or rsa.")
            if secret_key is None:
                secret_key = shown = new_key_string()
            try:
                verifier: Signer = HmacSigner(secret_key)
            except KeyFormatError as exc:
                raise ConfigurationError(f"{where}: secretKey is malformed ({exc.message})",
                                         "Leave secretKey out to have one generated.") from None
        else:
            if secret_key is not None:
                raise ConfigurationError(f"{where}: a {kt.value} key takes publicKey, not secretKey.",
                                         "Register the PEM public key.")
            if not public_key_pem:
                raise ConfigurationError(f"{where}: publicKey is missing for a {kt.value} key.",
                                         "Give the PEM public key (-----BEGIN PUBLIC KEY-----).")
            try:
                verifier = load_public_key(public_key_pem)
            except KeyFormatError as exc:
                raise ConfigurationError(f"{where}: publicKey: {exc.message}", exc.remedy) from None
            if verifier.key_type is not kt:
                raise ConfigurationError(f"{where}: publicKey is a {verifier.key_type.value} key, not {kt.value}.",
                                         f"Set type to {verifier.key_type.value}.")
        if not isinstance(label, str) or len(label) > 100:
            raise ConfigurationError(f"{where}: label must be text of at most 100 characters.", "Shorten the label.")
        if not isinstance(account, str) or not account:
            raise ConfigurationError(f"{where}: account must be a non-empty name.", 'Use e.g. "default".')
        key = SandboxKey(
            api_key=api_key, label=label, key_type=kt, verifier=verifier, permissions=perms,
            ip_whitelist=whitelist, account=account,
            create_time=int(time.time() * 1000) if create_time is None else int(create_time),
            public_key_pem=public_key_pem if kt is not KeyType.HMAC else None,
        )
        with self._lock:
            if api_key in self._keys:
                raise ConfigurationError(f"{where}: apiKey is already registered.", "Use another key.")
            self._keys[api_key] = key
            self._deleted.pop(api_key, None)
        return CreatedKey(api_key, shown, label, kt.value, account)

    # ------------------------------------------------------------ --keys files

    def load_file(self, path: str | Path) -> list[CreatedKey]:
        """Seed keys from a JSON list (see docs); names the entry and field that are wrong."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"Cannot read keys file {path}: {exc.strerror}.",
                                     "Check the --keys path.") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"Keys file {path} is not valid JSON ({exc}).",
                                     "Fix the file: it must be a JSON list of key objects.") from None
        return self.load_entries(data, source=str(path))

    def load_entries(self, data: Any, source: str = "keys") -> list[CreatedKey]:
        if not isinstance(data, list):
            raise ConfigurationError(f"{source}: expected a JSON list of key objects, got {type(data).__name__}.",
                                     "Wrap the key objects in [ ... ].")
        known = {"label", "type", "apiKey", "secretKey", "publicKey", "ipRestrict", "ipWhitelist", "account",
                 "createTime", *PERMISSION_NAMES}
        prepared = []
        for i, entry in enumerate(data):
            where = f"{source}: entry {i}"
            if not isinstance(entry, dict):
                raise ConfigurationError(f"{where} is not an object.", "Each entry is a JSON object.")
            label = entry.get("label", "")
            where = f"{source}: entry {i}" + (f" ({label})" if isinstance(label, str) and label else "")
            extra = sorted(set(entry) - known)
            if extra:
                raise ConfigurationError(f"{where}: unknown field {extra[0]!r}.",
                                         f"Known fields: {', '.join(sorted(known))}.")
            if "type" not in entry:
                raise ConfigurationError(f"{where}: field 'type' is missing.", "Use hmac, ed25519 or rsa.")
            whitelist = entry.get("ipWhitelist") or ()
            restrict = entry.get("ipRestrict", bool(whitelist))
            if not isinstance(restrict, bool):
                raise ConfigurationError(f"{where}: field 'ipRestrict' must be true or false.", "Use a JSON boolean.")
            if restrict and not whitelist:
                raise ConfigurationError(f"{where}: ipRestrict is true but ipWhitelist is empty.",
                                         "List the allowed IP addresses in ipWhitelist.")
            if not restrict:
                whitelist = ()
            if entry.get("type") == "hmac" and not entry.get("secretKey"):
                raise ConfigurationError(f"{where}: field 'secretKey' is missing for an hmac key.",
                                         "Give the 64-character secret the bot signs with.")
            if "apiKey" not in entry:
                raise ConfigurationError(f"{where}: field 'apiKey' is missing.", "Give the 64-character API key.")
            prepared.append((where, entry, whitelist))
        created = []
        for where, entry, whitelist in prepared:
            created.append(self.create(
                label=entry.get("label", ""), key_type=entry["type"], public_key_pem=entry.get("publicKey"),
                ip_whitelist=whitelist, account=entry.get("account", "default"), api_key=entry["apiKey"],
                secret_key=entry.get("secretKey"), create_time=entry.get("createTime"), where=where,
                **{p: entry[p] for p in PERMISSION_NAMES if p in entry},
            ))
        return created
