"""The eight built-in profiles (from the seed tables) and user profiles from profiles.toml."""

from __future__ import annotations

import pytest
from vault_fixtures import ks

from keysafe.policy.profiles import BUILTIN, ProfileError, all_profiles, get_profile
from keysafe.spec.permissions import PERMISSIONS, Permission

R, SPOT, FUT, WD = (Permission.READING, Permission.SPOT_AND_MARGIN_TRADING, Permission.FUTURES,
                    Permission.WITHDRAWALS)


def test_the_eight_profiles_follow_the_seed_tables():
    assert set(BUILTIN) == {"portfolio-monitor", "tax-software", "spot-bot", "futures-bot", "tradingview-alerts",
                            "market-data", "institutional", "auto-withdrawal"}
    rows = {  # (needs, ip rule, rotation days, risk) from the articles' tables
        "spot-bot": ({R, SPOT}, "mandatory", 90, "medium"),
        "futures-bot": ({R, FUT}, "mandatory", 60, "high"),
        "market-data": ({R}, "recommended", 180, "low"),
        "tax-software": ({R}, "recommended", 365, "low"),
        "institutional": ({R, SPOT}, "mandatory", 30, "high"),
        "auto-withdrawal": ({R, WD}, "mandatory", 30, "critical"),
    }
    for name, (needs, ip, days, risk) in rows.items():
        p = BUILTIN[name]
        assert (set(p.requires), p.ip_whitelist, p.rotation_days, p.risk) == (needs, ip, days, risk), name
    assert BUILTIN["spot-bot"].forbids >= {WD, FUT, Permission.INTERNAL_TRANSFER, Permission.UNIVERSAL_TRANSFER}
    assert BUILTIN["futures-bot"].forbids >= {WD, SPOT}
    assert BUILTIN["tradingview-alerts"].forbids >= {WD, FUT}
    for name in ("portfolio-monitor", "tax-software", "market-data"):
        assert BUILTIN[name].forbids == frozenset(PERMISSIONS) - {R}  # "all others"
    assert [n for n, p in BUILTIN.items() if p.allows_withdrawals] == ["auto-withdrawal"]
    for p in BUILTIN.values():
        assert not (p.requires & p.forbids) and p.notes


def test_user_profiles_from_toml(tmp_path):
    (tmp_path / "profiles.toml").write_text(
        '[profiles.grid]\ndescription = "grid bot"\nrequires = ["enableReading", "enableSpotAndMarginTrading"]\n'
        'forbids = ["enableWithdrawals"]\nip_whitelist = "mandatory"\nrotation_days = 45\nrisk = "medium"\n'
        '[profiles.spot-slow]\nextends = "spot-bot"\nrotation_days = 180\n')
    profiles = all_profiles(tmp_path)
    assert profiles["grid"].rotation_days == 45 and profiles["grid"].source.endswith("profiles.toml")
    assert profiles["spot-slow"].requires == BUILTIN["spot-bot"].requires and profiles["spot-slow"].rotation_days == 180
    assert len(profiles) == 10


@pytest.mark.parametrize("text, expected", [
    ("[profiles.x\n", "not valid TOML"),
    ('[profiles.x]\nrequires = ["enableTeleport"]\n', "unknown permission"),
    ('[profiles.x]\nforbids = []\n', "has no 'requires'"),
    ('[profiles.x]\nrequires = ["enableReading"]\nrisk = "extreme"\n', "risk one of"),
    ('[profiles.x]\nrequires = ["enableReading"]\nrotation_days = "soon"\n', "whole number"),
])
def test_malformed_profiles_toml_is_one_clear_error(tmp_path, text, expected):
    (tmp_path / "profiles.toml").write_text(text)
    with pytest.raises(ProfileError) as exc:
        all_profiles(tmp_path)
    assert expected in str(exc.value) and "\n" not in str(exc.value)


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(ProfileError, match="spot-bot"):
        get_profile("yolo")


def test_profiles_command_lists_them(tmp_path):
    r = ks(tmp_path, "profiles")
    assert r.returncode == 0 and "auto-withdrawal" in r.stdout and "all others" in r.stdout
