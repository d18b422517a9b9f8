"""The monitor's settings: detector thresholds, known keys, alert sinks.

Defaults are built in; ``$KEYSAFE_HOME/monitor.toml`` overrides any of them::

    [rate]            # call-rate spike against the key's own rolling baseline
    factor = 3.0
    [keys.grid-bot]   # what the monitor should know about a key (by label or fingerprint)
    profile = "spot-trading"
    ip_whitelist = ["203.0.113.7"]
    retired_at = "2026-05-01T00:00:00Z"
    [sinks]
    jsonl = "alerts.jsonl"
    webhook = "http://127.0.0.1:9000/hook"

An unknown section or field, or a value of the wrong type, is a :class:`ConfigurationError`
naming the file, the field and what it expected.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from keysafe.errors import ConfigurationError
from keysafe.home import keysafe_home
from keysafe.spec.permissions import Permission

CONFIG_NAME = "monitor.toml"
DB_NAME = "activity.sqlite3"




def default_db_path() -> Path:
    return keysafe_home() / DB_NAME


_R = Permission.READING.value
_T = Permission.SPOT_AND_MARGIN_TRADING.value
_W = Permission.WITHDRAWALS.value

#: Use-case profiles of the seed article (step 1): the permissions a key of that kind uses.
DEFAULT_PROFILES: dict[str, tuple[str, ...]] = {
    "read-only": (_R,),
    "spot-trading": (_R, _T),
    "futures-trading": (_R, Permission.FUTURES.value),
    "withdrawal": (_R, _W),
}


@dataclass(frozen=True)
class RateConfig:
    bucket_seconds: int = 60  # calls are counted per bucket
    baseline_hours: float = 24.0  # rolling window the key's busiest bucket is taken from
    factor: float = 3.0  # a bucket above factor x the baseline's busiest bucket is a spike
    min_calls: int = 30  # ...and above this many calls


@dataclass(frozen=True)
class SourceConfig:
    learning_calls: int = 20  # a key needs this many calls before a new source counts as new
    check_hosts: bool = True


@dataclass(frozen=True)
class FailureConfig:
    bucket_seconds: int = 300
    baseline_hours: float = 24.0
    min_failures: int = 10
    min_ratio: float = 0.3  # failure ratio in the bucket
    factor: float = 3.0  # ...and this many times the key's baseline ratio
    probing_codes: tuple[int, ...] = (-2015, -2014, -1022)
    probing_min: int = 3  # this many probing errors in one bucket is a probe


@dataclass(frozen=True)
class OrderConfig:
    bucket_seconds: int = 600
    rejected_codes: tuple[int, ...] = (-2010,)
    repeated_min: int = 3  # rejected orders in one bucket
    large_factor: float = 10.0  # notional above factor x the key's usual (median) notional
    min_history: int = 5  # accepted orders needed to know the usual notional


@dataclass(frozen=True)
class WeightConfig:
    limit: int = 6000  # REQUEST_WEIGHT per minute (DEFAULT_RATE_LIMITS)
    near_fraction: float = 0.8
    bucket_seconds: int = 600


@dataclass(frozen=True)
class HoursConfig:
    learning_days: float = 7.0  # the key's hours are learnt over its first week
    utc_offset_hours: int = 0  # hours are shown and learnt in this offset


@dataclass(frozen=True)
class KeyInfo:
    """What the user tells the monitor about a key (all optional)."""

    profile: str | None = None
    ip_whitelist: tuple[str, ...] = ()
    retired_at: float | None = None
    deleted_at: float | None = None


@dataclass(frozen=True)
class SinkConfig:
    console: bool = True
    jsonl: str | None = None  # relative paths are under KEYSAFE_HOME
    webhook: str | None = None
    webhook_retries: int = 3
    webhook_timeout: float = 5.0


@dataclass(frozen=True)
class MonitorConfig:
    rate: RateConfig = field(default_factory=RateConfig)
    sources: SourceConfig = field(default_factory=SourceConfig)
    failures: FailureConfig = field(default_factory=FailureConfig)
    orders: OrderConfig = field(default_factory=OrderConfig)
    weight: WeightConfig = field(default_factory=WeightConfig)
    hours: HoursConfig = field(default_factory=HoursConfig)
    sinks: SinkConfig = field(default_factory=SinkConfig)
    default_profile: str = "spot-trading"
    profiles: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_PROFILES))
    keys: dict[str, KeyInfo] = field(default_factory=dict)

    def key_info(self, key: str, label: str | None = None) -> KeyInfo:
        return self.keys.get(key) or (self.keys.get(label) if label else None) or KeyInfo()

    def profile_permissions(self, info: KeyInfo) -> frozenset[str]:
        return frozenset(self.profiles.get(info.profile or self.default_profile, (_R, _T)))

    def with_key(self, name: str, **kw: Any) -> MonitorConfig:
        keys = dict(self.keys)
        keys[name] = replace(keys.get(name, KeyInfo()), **kw)
        return replace(self, keys=keys)


_SECTIONS = {
    "rate": RateConfig, "sources": SourceConfig, "failures": FailureConfig, "orders": OrderConfig,
    "weight": WeightConfig, "hours": HoursConfig, "sinks": SinkConfig,
}


def _bad(where: str, name: str, expected: str) -> ConfigurationError:
    return ConfigurationError(f"{where}: `{name}` must be {expected}.",
                              "Correct the value or delete the line to use the built-in default.")


def _coerce(where: str, name: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise _bad(where, name, "true or false")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad(where, name, "a whole number")
        return value
    if isinstance(default, float):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise _bad(where, name, "a non-negative number")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise _bad(where, name, "a list")
        return tuple(value)
    if value is not None and not isinstance(value, str):
        raise _bad(where, name, "a string")
    return value


def _section(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise _bad(where, where.rsplit(" ", 1)[-1], "a table")
    defaults = cls()
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigurationError(f"{where}: unknown setting `{unknown[0]}`.",
                                 f"Use one of: {', '.join(sorted(known))}.")
    return replace(defaults, **{k: _coerce(where, k, v, getattr(defaults, k)) for k, v in data.items()})


def parse_time(value: Any, where: str = "time") -> float:
    """Epoch seconds from a number (seconds, or milliseconds if huge) or an ISO 8601 string."""
    if isinstance(value, bool):
        raise ValueError(f"{where} is not a time")
    if isinstance(value, (int, float)):
        return float(value) / 1000 if value > 1e11 else float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{where} {value!r} is not an ISO 8601 time or epoch number") from None
        return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()
    raise ValueError(f"{where} is not a time")


def _key(name: str, data: Any, where: str) -> KeyInfo:
    kw: dict[str, Any] = {}
    raw = dict(data) if isinstance(data, dict) else None
    if raw is None:
        raise _bad(where, name, "a table")
    for tname in ("retired_at", "deleted_at"):
        if tname in raw:
            try:
                kw[tname] = parse_time(raw.pop(tname), tname)
            except ValueError as exc:
                raise ConfigurationError(f"{where}: {exc}.", "Write a time like 2026-05-01T00:00:00Z.") from None
    info = _section(KeyInfo, raw, where)
    return replace(info, **kw)


def parse_config(data: dict[str, Any], where: str = "monitor config") -> MonitorConfig:
    cfg = MonitorConfig()
    kw: dict[str, Any] = {}
    for name, value in data.items():
        if name in _SECTIONS:
            kw[name] = _section(_SECTIONS[name], value, f"{where} [{name}]")
        elif name == "default_profile":
            kw[name] = _coerce(where, name, value, "")
        elif name == "profiles":
            if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
                raise _bad(where, "profiles", "a table of permission lists")
            kw[name] = {**DEFAULT_PROFILES, **{k: tuple(v) for k, v in value.items()}}
        elif name == "keys":
            if not isinstance(value, dict):
                raise _bad(where, "keys", "a table")
            kw[name] = {k: _key(k, v, f"{where} [keys.{k}]") for k, v in value.items()}
        else:
            raise ConfigurationError(f"{where}: unknown section `{name}`.",
                                     f"Use one of: {', '.join(sorted([*_SECTIONS, 'keys', 'profiles', 'default_profile']))}.")
    cfg = replace(cfg, **kw)
    if cfg.default_profile not in cfg.profiles:
        raise ConfigurationError(f"{where}: default_profile `{cfg.default_profile}` is not a known profile.",
                                 f"Use one of: {', '.join(sorted(cfg.profiles))}.")
    return cfg


def load_config(path: Path | str | None = None) -> MonitorConfig:
    """The configuration at ``path`` (default ``$KEYSAFE_HOME/monitor.toml``); defaults if absent."""
    p = Path(path) if path else keysafe_home() / CONFIG_NAME
    if not p.exists():
        if path:
            raise ConfigurationError(f"monitor config {p} does not exist.", "Check the path, or omit it for defaults.")
        return MonitorConfig()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{p} is not valid TOML ({exc}).", "Fix the line it names.") from None
    return parse_config(data, str(p))
