"""Key records and their versions (pending, current, previous, retired), as stored in the vault body.

Nothing here is secret: a version's secret is the opaque ``sealed`` string (AES-GCM,
see :mod:`keysafe.vault.format`). The rest is metadata that ``keysafe list`` shows.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from keysafe.signing import KeyType
from keysafe.spec import Environment
from keysafe.vault.errors import LabelError


class VersionState(StrEnum):
    PENDING = "pending"
    CURRENT = "current"
    PREVIOUS = "previous"
    RETIRED = "retired"


_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_label(label: str) -> str:
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise LabelError(
            f"{label!r} is not a usable label.",
            "Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. grid-bot).",
        )
    return label


@dataclass
class Version:
    number: int
    state: VersionState
    added_at: float
    sealed: str = field(repr=False)
    api_key_masked: str | None = None  # None while a generated key pair waits for its Binance API key
    api_key_fingerprint: str | None = None
    public_key_pem: str | None = None
    key_created_at: float | None = None  # Binance's createTime, once seen live
    reason: str | None = None
    #: restrictions as last read live (apiRestrictions), with when and where
    live: dict[str, Any] | None = None
    verified: dict[str, Any] | None = None  # outcome of `rotate verify`
    promoted_at: float | None = None
    retired_at: float | None = None

    @property
    def has_api_key(self) -> bool:
        return self.api_key_masked is not None

    @property
    def created_at(self) -> float:
        """The key's age counts from Binance's createTime when known, else from when it was stored."""
        return self.key_created_at or self.added_at

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["state"] = self.state.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Version:
        d = dict(d)
        d["state"] = VersionState(d["state"])
        return cls(**d)


@dataclass
class Record:
    label: str
    environment: Environment
    key_type: KeyType
    profile: str
    ip_whitelist: list[str] = field(default_factory=list)
    created_at: float = 0.0
    versions: list[Version] = field(default_factory=list)
    #: an ongoing rotation: {"step": started|verified|promoted|retired, "reason": ..., "from": n, "to": n}
    rotation: dict[str, Any] | None = None

    def version(self, state: VersionState) -> Version | None:
        found = [v for v in self.versions if v.state is state]
        return found[-1] if found else None

    @property
    def current(self) -> Version | None:
        return self.version(VersionState.CURRENT)

    @property
    def pending(self) -> Version | None:
        return self.version(VersionState.PENDING)

    @property
    def previous(self) -> Version | None:
        return self.version(VersionState.PREVIOUS)

    def next_number(self) -> int:
        return max((v.number for v in self.versions), default=0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label, "environment": self.environment.value, "key_type": self.key_type.value,
            "profile": self.profile, "ip_whitelist": list(self.ip_whitelist), "created_at": self.created_at,
            "versions": [v.to_dict() for v in self.versions], "rotation": self.rotation,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Record:
        return cls(
            label=d["label"], environment=Environment(d["environment"]), key_type=KeyType(d["key_type"]),
            profile=d["profile"], ip_whitelist=list(d.get("ip_whitelist") or []),
            created_at=d.get("created_at", 0.0), versions=[Version.from_dict(v) for v in d.get("versions", [])],
            rotation=d.get("rotation"),
        )
