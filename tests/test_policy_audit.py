"""The audit: offline rules with an injected clock, and live against the sandbox for every profile."""

from __future__ import annotations

import json
import time

import pytest
from helpers import random_key

from keysafe.policy.audit import DAY, audit_record, gating, to_json, to_sarif
from keysafe.policy.live import audit_live
from keysafe.policy.profiles import BUILTIN
from keysafe.sandbox import run_sandbox
from keysafe.signing import generate_key_pair
from keysafe.spec.permissions import Permission
from keysafe.vault import TEST_KDF, Vault

PASS = "correct horse battery staple"
WD, SPOT, FUT, MARGIN = (Permission.WITHDRAWALS, Permission.SPOT_AND_MARGIN_TRADING, Permission.FUTURES,
                         Permission.MARGIN)


@pytest.fixture(scope="module")
def sandbox():
    with run_sandbox() as sb:
        yield sb


@pytest.fixture
def vault(tmp_path, monkeypatch):
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path))
    return Vault.create(PASS, home=tmp_path, kdf=TEST_KDF)


def _store(vault, sandbox, label, profile, *, key_type="ed25519", ips=("127.0.0.1",), env="sandbox",
           perms=None, create_time=None):
    """Create the key on the sandbox exchange (as a user would on Binance) and store it in the vault."""
    p = BUILTIN[profile]
    wanted = {x.value: True for x in p.requires} if perms is None else perms
    kwargs = dict(label=label, key_type=key_type, ip_whitelist=ips, **wanted)
    if create_time is not None:
        kwargs["create_time"] = create_time
    if key_type == "hmac":
        created = sandbox.create_key(**kwargs)
        secret = created.secret_key
    else:
        pair = generate_key_pair(key_type)
        created = sandbox.create_key(public_key_pem=pair.public_pem, **kwargs)
        secret = pair.private_pem.decode()
    vault.add(label, api_key=created.api_key, secret=secret, environment=env, profile=profile,
              ip_whitelist=list(ips))
    return created


def _ids(findings):
    return {f.id for f in findings}


def _sev(findings, id_):
    return {f.severity for f in findings if f.id == id_}


@pytest.mark.parametrize("profile", sorted(BUILTIN))
def test_a_correct_key_for_every_profile_has_no_high_finding(vault, sandbox, profile):
    _store(vault, sandbox, "k", profile)
    findings = audit_live(vault, ["k"], base_url=sandbox.url)
    assert not gating(findings), [f.what for f in findings]
    assert _ids(findings) <= {"KS016"}  # auto-withdrawal: the address whitelist cannot be read through the API
    live = vault.get("k").current.live
    assert live["restrictions"]["ipRestrict"] is True  # what was read is recorded in the vault
    assert vault.get("k").current.key_created_at is not None


@pytest.mark.parametrize("profile", sorted(BUILTIN))
def test_each_misconfiguration_is_found_for_every_profile(vault, sandbox, profile):
    p = BUILTIN[profile]
    base = {x.value: True for x in p.requires}
    cases = {}
    if not p.allows_withdrawals:
        cases["KS001"] = _store(vault, sandbox, "withdrawals", profile, perms={**base, WD.value: True})
    cases["KS002"] = _store(vault, sandbox, "no-ip", profile, ips=(),
                            perms={k: v for k, v in base.items() if k != WD.value})
    forbidden = sorted(p.forbids - {WD})[0]
    cases["KS003"] = _store(vault, sandbox, "forbidden", profile, perms={**base, forbidden.value: True})
    if p.beyond:
        cases["KS004"] = _store(vault, sandbox, "beyond", profile, perms={**base, sorted(p.beyond)[0].value: True})
    needed = sorted(p.requires - {Permission.READING})[0] if p.requires - {Permission.READING} else Permission.READING
    cases["KS005"] = _store(vault, sandbox, "missing", profile, perms={**base, needed.value: False})
    old = int((time.time() - (p.rotation_days + 1) * DAY) * 1000)
    cases["KS006"] = _store(vault, sandbox, "old", profile, create_time=old)
    cases["KS009"] = _store(vault, sandbox, "wrong-env", profile, env="production")
    cases["KS010"] = _store(vault, sandbox, "hmac", profile, key_type="hmac")
    gone = _store(vault, sandbox, "deleted", profile)
    sandbox.delete_key(gone.api_key)
    cases["KS013"] = gone

    findings = audit_live(vault, vault.labels(), base_url=sandbox.url)
    by_label = {label: [f for f in findings if f.label == label] for label in vault.labels()}
    labels = {"KS001": "withdrawals", "KS002": "no-ip", "KS003": "forbidden", "KS004": "beyond", "KS005": "missing",
              "KS006": "old", "KS009": "wrong-env", "KS010": "hmac", "KS013": "deleted"}
    if needed is Permission.READING:  # without Reading the key cannot even read its restrictions
        labels["KS005"], cases["KS013-missing"] = "deleted", cases.pop("KS005")
        assert "KS013" in _ids(by_label["missing"])
    for rule in cases:
        if rule == "KS013-missing":
            continue
        got = by_label[labels[rule]]
        assert rule in _ids(got), (rule, profile, [(f.id, f.what) for f in got])
    if "KS001" in cases:
        assert _sev(by_label["withdrawals"], "KS001") == {"critical"}
    assert _sev(by_label["no-ip"], "KS002") == {"high" if p.ip_whitelist == "mandatory" else "low"}
    assert _sev(by_label["forbidden"], "KS003") == {"high"}
    assert _sev(by_label["missing"], "KS005" if needed is not Permission.READING else "KS013") == {"high"}
    assert _sev(by_label["old"], "KS006") == {"high"}
    assert _sev(by_label["wrong-env"], "KS009") == {"high"}
    assert _sev(by_label["hmac"], "KS010") == {"low"}
    for label in ("withdrawals", "forbidden", "missing", "old", "wrong-env", "deleted"):
        if label in by_label:
            assert gating(by_label[label]), label
    assert not gating(by_label["hmac"])


def test_spot_trading_expiry_without_ip_whitelist_warns_7_and_1_days_ahead(vault, sandbox):
    for label, age_days in (("in-6-days", 24), ("in-12-hours", 29.5), ("expired", 31)):
        _store(vault, sandbox, label, "market-data", ips=(), perms={"enableSpotAndMarginTrading": True},
               create_time=int((time.time() - age_days * DAY) * 1000))
    # a spot profile with a recommended-IP custom rule, to see the expiry on its own
    (vault.home / "profiles.toml").write_text(
        '[profiles.spot-roaming]\nextends = "spot-bot"\nip_whitelist = "recommended"\nrotation_days = 365\n')
    for label in ("in-6-days", "in-12-hours", "expired"):
        vault._body["records"][label]["profile"] = "spot-roaming"
    vault.path.write_bytes(__import__("keysafe.vault.format", fromlist=["x"]).encode(vault._body, vault._keys,
                                                                                    vault._header))
    findings = audit_live(vault, vault.labels(), base_url=sandbox.url)
    sev = {f.label: f.severity for f in findings if f.id == "KS008"}
    assert sev == {"in-6-days": "medium", "in-12-hours": "high", "expired": "high"}
    # status's due date is the earlier of the cycle (365 days) and the trading expiry
    from keysafe.policy.status import key_status

    rows = {s.label: s for s in key_status(Vault.open(PASS, home=vault.home))}
    assert "spot trading expires" in rows["in-6-days"].due_reason


def test_rotation_warnings_7_days_and_1_day_ahead_offline(vault):
    vault.add("k", api_key=random_key(), secret=generate_key_pair("ed25519").private_pem.decode(),
              environment="production", profile="spot-bot", ip_whitelist=["203.0.113.7"])
    record = vault.get("k")
    profile = BUILTIN["spot-bot"]
    created = record.current.created_at
    at = lambda days_left: created + (90 - days_left) * DAY  # noqa: E731
    assert "KS007" not in _ids(audit_record(record, profile, now=at(10)))
    assert _sev(audit_record(record, profile, now=at(6)), "KS007") == {"low"}
    assert _sev(audit_record(record, profile, now=at(0.5)), "KS007") == {"medium"}
    assert _sev(audit_record(record, profile, now=at(-1)), "KS006") == {"high"}


def test_restrictions_changed_since_last_recorded(vault, sandbox):
    created = _store(vault, sandbox, "k", "spot-bot")
    audit_live(vault, ["k"], base_url=sandbox.url)
    key = sandbox.exchange.keys.get(created.api_key)
    key.permissions[FUT.value] = True  # someone edited the key on the exchange
    findings = audit_live(vault, ["k"], base_url=sandbox.url)
    assert {"KS003", "KS011"} <= _ids(findings)


def test_offline_audit_uses_what_was_last_read_live(vault, sandbox):
    _store(vault, sandbox, "k", "spot-bot", perms={"enableSpotAndMarginTrading": True, "enableWithdrawals": True})
    record = vault.get("k")
    assert "KS012" in _ids(audit_record(record, BUILTIN["spot-bot"]))
    audit_live(vault, ["k"], base_url=sandbox.url)
    offline = audit_record(vault.get("k"), BUILTIN["spot-bot"])
    assert "KS001" in _ids(offline) and "as last read live" in next(f for f in offline if f.id == "KS001").evidence


def test_json_and_sarif_outputs(vault):
    vault.add("k", api_key=random_key(), secret=random_key(), environment="production", profile="spot-bot")
    findings = audit_record(vault.get("k"), BUILTIN["spot-bot"])
    data = json.loads(to_json(findings))
    assert data["gating"] is True and data["summary"]["high"] == 1
    assert {"id", "severity", "what", "evidence", "fix", "label", "rule"} <= set(data["findings"][0])
    sarif = json.loads(to_sarif(findings, "vault.ksv"))
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {f.id for f in findings}
    assert {r["level"] for r in results} <= {"error", "warning", "note"}
    rule_ids = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rule_ids == {f.id for f in findings}


def test_client_from_vault_label(vault, sandbox):
    from keysafe.policy import client_from_vault

    created = _store(vault, sandbox, "k", "spot-bot", key_type="hmac")
    with client_from_vault("k", vault=vault, base_url=sandbox.url) as client:
        assert client.api_restrictions()["enableSpotAndMarginTrading"] is True
        assert "balances" in client.account().data
    assert created.secret_key not in repr(client)
