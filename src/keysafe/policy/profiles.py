"""Least-privilege profiles: what a key for each use needs, what must be off, IP rule, rotation, risk.

The built-in eight come from the seed articles' tables ("Minimum Required Permissions
by Use Case" and "API Security Configurations by Scenario"); where a table is silent,
the row notes which rule was used. Users add their own in ``$KEYSAFE_HOME/profiles.toml``::

    [profiles.grid-bot]
    description = "My grid bot"
    requires = ["enableReading", "enableSpotAndMarginTrading"]
    forbids = ["enableWithdrawals", "enableFutures"]
    ip_whitelist = "mandatory"          # or "recommended"
    rotation_days = 60
    risk = "medium"                     # low, medium, high, critical
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from keysafe.errors import ConfigurationError
from keysafe.spec.permissions import PERMISSIONS, Permission

R, SPOT, FUT, WD = (Permission.READING, Permission.SPOT_AND_MARGIN_TRADING, Permission.FUTURES,
                    Permission.WITHDRAWALS)
TRANSFERS = (Permission.INTERNAL_TRANSFER, Permission.UNIVERSAL_TRANSFER)
RISKS = ("low", "medium", "high", "critical")
IP_RULES = ("mandatory", "recommended")


class ProfileError(ConfigurationError):
    """An unknown profile, or a malformed profiles.toml."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    requires: frozenset[Permission]
    forbids: frozenset[Permission]
    ip_whitelist: str  # "mandatory" | "recommended"
    rotation_days: int
    risk: str
    source: str = "built-in"
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def allows_withdrawals(self) -> bool:
        return WD in self.requires

    @property
    def beyond(self) -> frozenset[Permission]:
        """Permissions neither required nor explicitly forbidden: still more than the use needs."""
        return frozenset(PERMISSIONS) - self.requires - self.forbids

    def describe_permissions(self) -> str:
        return " + ".join(_NAMES[p] for p in PERMISSIONS if p in self.requires)


_NAMES = {
    Permission.READING: "Read", Permission.SPOT_AND_MARGIN_TRADING: "Spot & Margin Trading",
    Permission.WITHDRAWALS: "Withdrawals", Permission.INTERNAL_TRANSFER: "Internal Transfer",
    Permission.UNIVERSAL_TRANSFER: "Universal Transfer", Permission.MARGIN: "Margin",
    Permission.FUTURES: "Futures", Permission.VANILLA_OPTIONS: "Vanilla Options",
    Permission.PORTFOLIO_MARGIN_TRADING: "Portfolio Margin Trading",
}


def permission_name(p: Permission | str) -> str:
    return _NAMES.get(Permission(p), str(p))


def _all_but(*keep: Permission) -> frozenset[Permission]:
    return frozenset(PERMISSIONS) - set(keep)


BUILTIN: dict[str, Profile] = {p.name: p for p in (
    Profile("portfolio-monitor", "Balance and portfolio tracking (dashboards, trackers)",
            frozenset({R}), _all_but(R), "recommended", 90, "low",
            notes="Use-case table: Read Only, all others disabled. No scenario row: the general 90-day "
                  "rotation and the read-only rows' 'recommended' IP rule apply."),
    Profile("tax-software", "Tax and accounting software",
            frozenset({R}), _all_but(R), "recommended", 365, "low",
            notes="Use-case table: Read Only, all others disabled. Scenario 'Tax Software': recommended, "
                  "365 days, low."),
    Profile("spot-bot", "A spot trading bot",
            frozenset({R, SPOT}), frozenset({WD, FUT, *TRANSFERS}), "mandatory", 90, "medium",
            notes="Use-case table: Read + Spot; Withdrawals, Futures, Transfers disabled. Scenario 'Personal "
                  "Spot Trading': mandatory, 90 days, medium."),
    Profile("futures-bot", "A futures trading bot",
            frozenset({R, FUT}), frozenset({WD, SPOT, *TRANSFERS}), "mandatory", 60, "high",
            notes="Use-case table: Read + Futures; Withdrawals, Spot, Transfers disabled. Scenario 'Personal "
                  "Futures Trading': mandatory, 60 days, high."),
    Profile("tradingview-alerts", "Executing TradingView alerts (webhook → spot orders)",
            frozenset({R, SPOT}), frozenset({WD, FUT}), "mandatory", 90, "medium",
            notes="Use-case table: Read + Spot; Withdrawals, Futures disabled. No scenario row: it trades spot, "
                  "so the 'Personal Spot Trading' rule applies (mandatory, 90 days, medium)."),
    Profile("market-data", "A market data aggregator",
            frozenset({R}), _all_but(R), "recommended", 180, "low",
            notes="Scenario 'Market Data Aggregator': Read Only, recommended, 180 days, low."),
    Profile("institutional", "Institutional operations (sub-account isolation)",
            frozenset({R, SPOT}), frozenset({WD, FUT}), "mandatory", 30, "high",
            notes="Scenario 'Institutional Operations': Read + Spot + sub-account isolation, mandatory, 30 days, "
                  "high. Withdrawals off per the articles' rule for every key but the withdrawal one."),
    Profile("auto-withdrawal", "Automated withdrawal to a cold wallet (not recommended)",
            frozenset({R, WD}), frozenset({SPOT, FUT, Permission.MARGIN, *TRANSFERS}), "mandatory", 30, "critical",
            notes="Use-case table: Read + Withdrawal, 'manual is safer'. Scenario 'Automated Bridge': mandatory IP "
                  "plus a withdrawal address whitelist, 30 days, critical."),
)}


def _perms(value, where: str) -> frozenset[Permission]:
    try:
        return frozenset(Permission(v) for v in value)
    except (ValueError, TypeError):
        raise ProfileError(f"{where}: unknown permission in {value!r}.",
                           "Use the apiRestrictions names: " + ", ".join(p.value for p in PERMISSIONS) + ".") from None


def load_user_profiles(path: Path) -> dict[str, Profile]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path} is not valid TOML ({exc}).", "Fix the file; see `keysafe profiles --help`.") \
            from None
    out: dict[str, Profile] = {}
    for name, spec in (data.get("profiles") or {}).items():
        where = f"{path} [profiles.{name}]"
        if not isinstance(spec, dict):
            raise ProfileError(f"{where} is not a table.", "Write it as [profiles.NAME] with keys below it.")
        base = BUILTIN.get(spec.get("extends", ""))
        try:
            requires = _perms(spec["requires"], where) if "requires" in spec else (base.requires if base else None)
            if requires is None:
                raise KeyError("requires")
            forbids = _perms(spec.get("forbids", []), where) if "forbids" in spec or not base else base.forbids
            ip_rule = spec.get("ip_whitelist", base.ip_whitelist if base else "mandatory")
            days = int(spec.get("rotation_days", base.rotation_days if base else 90))
            risk = spec.get("risk", base.risk if base else "medium")
        except ProfileError:
            raise
        except KeyError as exc:
            raise ProfileError(f"{where} has no {exc.args[0]!r}.", "Add it, or `extends = \"spot-bot\"`.") from None
        except (TypeError, ValueError):
            raise ProfileError(f"{where}: rotation_days must be a whole number of days.", "e.g. rotation_days = 90")\
                from None
        if ip_rule not in IP_RULES or risk not in RISKS or days <= 0 or requires & forbids:
            raise ProfileError(f"{where}: ip_whitelist must be one of {IP_RULES}, risk one of {RISKS}, rotation_days "
                               "positive, and no permission both required and forbidden.", "Fix the profile.")
        out[name] = Profile(name, str(spec.get("description", f"user profile {name}")), requires, forbids,
                            ip_rule, days, risk, source=str(path))
    return out


def all_profiles(home: Path | None = None) -> dict[str, Profile]:
    profiles = dict(BUILTIN)
    if home is not None:
        from keysafe.vault.store import PROFILES_NAME

        profiles.update(load_user_profiles(home / PROFILES_NAME))
    return profiles


def get_profile(name: str, home: Path | None = None) -> Profile:
    profiles = all_profiles(home)
    try:
        return profiles[name]
    except KeyError:
        raise ProfileError(f"Unknown profile {name!r}.",
                           "Use one of: " + ", ".join(sorted(profiles)) + " (or define it in profiles.toml).") from None
