"""`keysafe audit`, `keysafe rotate ...`, `keysafe status`, `keysafe profiles`: keys against their use."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from rich.table import Table

from keysafe.cli._common import console, err_console
from keysafe.cli.vault import open_vault, read_key_material

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _date(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d") if ts else "-"


@click.command("audit")
@click.argument("labels", nargs=-1)
@click.option("--live", is_flag=True, help="Read each key's real restrictions (GET /sapi/v1/account/apiRestrictions).")
@click.option("--base-url", default=None, help="Exchange URL for --live (default: the key's environment).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
def audit_command(labels: tuple[str, ...], live: bool, base_url: str | None, fmt: str) -> None:
    """Check keys against their profile (and, with --live, their real restrictions).

    Exit status 1 when a high or critical finding is present, so audit can gate a deployment.
    """
    from keysafe.policy.audit import SEVERITIES, audit_record, gating, to_json, to_sarif
    from keysafe.policy.live import audit_live
    from keysafe.policy.profiles import get_profile

    vault = open_vault()
    wanted = list(labels) or vault.labels()
    for label in wanted:
        vault.get(label)  # unknown label: one clear error before any call
    if live:
        findings = audit_live(vault, wanted, base_url=base_url)
    else:
        findings = [f for label in wanted for f in audit_record(vault.get(label),
                                                                get_profile(vault.get(label).profile, vault.home))]
    if fmt == "json":
        click.echo(to_json(findings))
    elif fmt == "sarif":
        click.echo(to_sarif(findings, str(vault.path)))
    else:
        for label in wanted:
            mine = [f for f in findings if f.label == label]
            worst = next((s for s in SEVERITIES if any(f.severity == s for f in mine)), None)
            head = f"[bold]{label}[/] ({vault.get(label).profile})"
            console.print(f"{head}: " + (f"[{_STYLE[worst]}]{len(mine)} finding(s)[/]" if mine else "[green]clean[/]"))
            for f in mine:
                console.print(f"  [{_STYLE[f.severity]}]{f.severity.upper():8}[/] {f.id} {f.what}", soft_wrap=True)
                console.print(f"           evidence: {f.evidence}", markup=False, soft_wrap=True)
                console.print(f"           fix: {f.fix}", markup=False, soft_wrap=True)
        summary = ", ".join(f"{n} {s}" for s in SEVERITIES if (n := sum(f.severity == s for f in findings)))
        console.print(f"\n{len(wanted)} key(s), {summary or 'no findings'}" + ("" if live else
                      "  (offline; add --live to read the keys' real restrictions)"))
    if gating(findings):
        raise SystemExit(1)


@click.group("rotate")
def rotate_group() -> None:
    """Replace a key step by step: start → verify → promote → retire (each step resumable)."""


@rotate_group.command("start")
@click.argument("label")
@click.option("--reason", type=click.Choice(["scheduled", "leaked", "staff-change", "server-move", "platform-change"]),
              default="scheduled", show_default=True)
def rotate_start(label: str, reason: str) -> None:
    """Print what to create on Binance, then take the new key (hidden prompt or stdin) as pending."""
    from keysafe.policy import rotation

    vault = open_vault()
    record = vault.get(label)
    if reason == "leaked":
        err_console.print("[bold red]Leaked key:[/] delete it on Binance NOW (API Management → Delete); the bot "
                          "stops until the new key is promoted, which is the safe side.")
    if record.pending is None:
        for line in rotation.instructions(vault, label):
            err_console.print(line, markup=False)
    if record.pending is not None and record.pending.has_api_key:
        raise rotation.RotationError(f"{label!r} already has a pending key (v{record.pending.number}); keysafe "
                                     "keeps at most one.", f"Continue with `{rotation.next_command(record)}`, or "
                                     f"`keysafe rotate cancel {label}`.")
    if record.key_type.value == "hmac":
        api_key, secret = read_key_material()
        record = rotation.start(vault, label, reason=reason, api_key=api_key, secret=secret)
    else:
        if record.pending is None:
            record = rotation.start(vault, label, reason=reason)
        err_console.print("Register this public key (Self-generated), then paste the API key Binance shows:")
        click.echo(record.pending.public_key_pem, nl=False, err=True)
        api_key, _ = read_key_material(need_secret=False)
        record = rotation.start(vault, label, reason=reason, api_key=api_key)
    console.print(f"[green]New key {record.pending.api_key_masked} is pending (v{record.pending.number}).[/] "
                  f"Next: keysafe rotate verify {label}")


@rotate_group.command("verify")
@click.argument("label")
@click.option("--base-url", default=None, help="Exchange URL (default: the key's environment).")
def rotate_verify(label: str, base_url: str | None) -> None:
    """Call the exchange with the pending key; compare with the profile and the current key."""
    from keysafe.policy import rotation

    vault = open_vault()
    result = rotation.verify(vault, label, base_url=base_url)
    if result.ok:
        console.print(f"[green]Verified:[/] the new key matches the {vault.get(label).profile} profile and the current "
                      f"key. Next: deploy nothing yet; run keysafe rotate promote {label}")
        return
    for p in result.problems:
        err_console.print(f"  [red]✗[/] {p}")
    err_console.print(f"keysafe: the new key of {label} did not pass verification. Fix: correct it on Binance and "
                      f"run `keysafe rotate verify {label}` again (or `keysafe rotate cancel {label}`).")
    raise SystemExit(1)


@rotate_group.command("promote")
@click.argument("label")
def rotate_promote(label: str) -> None:
    """Make the verified new key current (`keysafe run` uses it from now on)."""
    from keysafe.policy import rotation

    record = rotation.promote(open_vault(), label)
    console.print(f"[green]{label} now uses {record.current.api_key_masked} (v{record.current.number}).[/] Restart "
                  f"your bot, then delete the old key on Binance and run keysafe rotate retire {label}")


@rotate_group.command("retire")
@click.argument("label")
@click.option("--base-url", default=None, help="Exchange URL (default: the key's environment).")
def rotate_retire(label: str, base_url: str | None) -> None:
    """Confirm with a live call that the old key is deleted on Binance, then retire it."""
    from keysafe.policy import rotation

    vault = open_vault()
    old = vault.get(label).previous
    if old is not None:
        err_console.print(f"Reminder: delete the old key {old.api_key_masked} on Binance → API Management.")
    rotation.retire(vault, label, base_url=base_url)
    console.print(f"[green]Rotation of {label} complete:[/] the old key is dead on the exchange and retired.")


@rotate_group.command("cancel")
@click.argument("label")
def rotate_cancel(label: str) -> None:
    """Drop the pending key (before promote)."""
    from keysafe.policy import rotation

    rotation.cancel(open_vault(), label)
    console.print(f"Rotation of {label} cancelled; delete the unused new key on Binance.")


@click.command("status")
def status_command() -> None:
    """Every key's age, rotation due date (profile cycle or Binance expiry) and open findings."""
    from keysafe.policy.rotation import next_command
    from keysafe.policy.status import key_status

    vault = open_vault()
    rows = key_status(vault)
    table = Table(title="keysafe status", title_justify="left")
    for col in ("label", "profile", "env", "key", "age", "rotation due", "findings", "next"):
        table.add_column(col)
    now = time.time()
    for s in rows:
        due = "-" if s.due_at is None else f"{_date(s.due_at)} ({int((s.due_at - now) // 86400)} d, {s.due_reason})"
        counts = ", ".join(f"[{_STYLE[k]}]{n} {k}[/]" for k, n in s.counts().items()) or "[green]none[/]"
        nxt = next_command(vault.get(s.label)) if s.rotation_step not in (None, "retired") else "-"
        table.add_row(s.label, s.profile, s.environment, f"{s.key_type} {s.api_key or '-'}",
                      f"{s.age_days} d" if s.age_days is not None else "-", due, counts, nxt)
    console.print(table if rows else "The vault is empty.")


@click.command("profiles")
def profiles_command() -> None:
    """The least-privilege profiles (built-in and from $KEYSAFE_HOME/profiles.toml)."""
    from keysafe.policy.profiles import all_profiles, permission_name
    from keysafe.vault import keysafe_home

    table = Table(title="keysafe profiles", title_justify="left")
    for col in ("profile", "needs", "must be off", "IP whitelist", "rotation", "risk"):
        table.add_column(col)
    for p in all_profiles(keysafe_home()).values():
        off = "all others" if not p.beyond else ", ".join(permission_name(x) for x in sorted(p.forbids))
        table.add_row(p.name, p.describe_permissions(), off,
                      p.ip_whitelist, f"{p.rotation_days} d", p.risk)
    console.print(table)


COMMANDS = (audit_command, rotate_group, status_command, profiles_command)
