"""Demo chapter: the vault, the audit against the live sandbox, `keysafe run`, and one rotation."""

from __future__ import annotations

import os
import sys

from keysafe.demo import Chapter, Tour
from keysafe.policy import rotation
from keysafe.policy.live import audit_live
from keysafe.sandbox import run_sandbox
from keysafe.vault import Vault
from keysafe.vault.run import run_with_environment

_SEV = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _findings(t: Tour, findings, label: str) -> None:
    mine = [f for f in findings if f.label == label]
    if not any(f.severity in ("critical", "high") for f in mine):
        t.ok(f"{label}: no high or critical finding" + (f" ({len(mine)} minor)" if mine else ""))
    for f in mine:
        if f.severity in ("critical", "high", "medium"):
            t.say(f"[{_SEV[f.severity]}]{f.severity.upper()}[/] {f.id} {f.what}")


def run(t: Tour) -> None:
    home = t.workdir / "keysafe-home"
    saved = {k: os.environ.get(k) for k in ("KEYSAFE_HOME",)}
    os.environ["KEYSAFE_HOME"] = str(home)
    try:
        _tour(t, home)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _tour(t: Tour, home) -> None:
    t.step("keysafe init: one encrypted file (Argon2id 64 MiB, t=3, p=4; AES-256-GCM per record), mode 0600.")
    vault = Vault.create("demo passphrase, not a real one", home=home)
    t.show("vault", f"{vault.path} ({vault.kdf.describe()})")
    with run_sandbox() as sb:
        t.step("keysafe keygen ed25519 grid-bot: the private key goes straight into the vault; "
               "register the public key.")
        public = vault.add_generated("grid-bot", key_type="ed25519", environment="sandbox", profile="spot-bot",
                                     ip_whitelist=["127.0.0.1"])
        t.show("public key to paste on the exchange", public.strip().splitlines()[1])
        good = sb.create_key(label="grid-bot", key_type="ed25519", public_key_pem=public,
                             ip_whitelist=("127.0.0.1",), enableSpotAndMarginTrading=True)
        vault.attach_api_key("grid-bot", good.api_key)
        t.ok(f"API key {vault.get('grid-bot').current.api_key_masked} attached (spot trading, whitelisted 127.0.0.1)")

        t.step("A risky key, the kind tutorials produce: HMAC, withdrawals ON, no IP whitelist.")
        risky = sb.create_key(label="old-bot", ip_whitelist=(), enableSpotAndMarginTrading=True,
                              enableWithdrawals=True)
        vault.add("old-bot", api_key=risky.api_key, secret=risky.secret_key, environment="sandbox",
                  profile="spot-bot")
        t.ok("stored as old-bot (the secret is sealed; nothing was printed)")

        t.step("keysafe audit --live: each key's real apiRestrictions against its profile.")
        findings = audit_live(vault, vault.labels(), base_url=sb.url)
        _findings(t, findings, "grid-bot")
        _findings(t, findings, "old-bot")
        t.say("audit exits with status 1 here, so a deployment pipeline would stop.")

        t.step("keysafe run --key grid-bot -- python bot.py: the key lives only in the child's environment.")
        code = run_with_environment(
            [sys.executable, "-c", "import os; print('bot sees BINANCE_PRIVATE_KEY of', "
                                   "len(os.environ['BINANCE_PRIVATE_KEY']), 'chars; it prints it by mistake:'); "
                                   "print(os.environ['BINANCE_PRIVATE_KEY'].splitlines()[1])"],
            *vault.child_environment("grid-bot"))
        t.ok(f"the bot exited with {code}; its output was masked on the way out")

        t.step("Rotation of old-bot (reason: leaked): start → verify → promote → retire.")
        for line in rotation.instructions(vault, "old-bot"):
            t.say(f"[dim]{line}[/]")
        fresh = sb.create_key(label="old-bot-v2", ip_whitelist=("127.0.0.1",), enableSpotAndMarginTrading=True)
        rotation.start(vault, "old-bot", reason="leaked", api_key=fresh.api_key, secret=fresh.secret_key)
        t.ok("start: the new key is pending")
        result = rotation.verify(vault, "old-bot", base_url=sb.url)
        t.ok(f"verify: live restrictions match the profile ({'pass' if result.ok else result.problems})")
        rotation.promote(vault, "old-bot")
        t.ok(f"promote: old-bot now uses {vault.get('old-bot').current.api_key_masked}")
        try:
            rotation.retire(vault, "old-bot", base_url=sb.url)
        except rotation.RotationError as exc:
            t.warn(f"retire refused: {exc.message}")
        sb.delete_key(risky.api_key)
        t.say("(the user deletes the old key on the exchange)")
        rotation.retire(vault, "old-bot", base_url=sb.url)
        t.ok("retire: a live call confirms the old key is dead; it is kept as retired history")
        findings = audit_live(vault, ["old-bot"], base_url=sb.url)
        _findings(t, findings, "old-bot")

    t.step("keysafe vault verify-log: every operation above is in a hash-chained log (no secrets).")
    check = vault.verify_log()
    t.ok(f"{check.entries} entries, chain intact: {check.ok}")


CHAPTER = Chapter("vault", "Key vault, least-privilege audit, keysafe run and rotation", run)
