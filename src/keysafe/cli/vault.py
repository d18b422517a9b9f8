"""`keysafe init|add|list|show|remove|run` and `keysafe vault verify-log|passwd`: the key vault.

Secrets are read from a hidden prompt or stdin, never from argv; output shows keys masked.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import click
from rich.table import Table

from keysafe.cli._common import console, err_console
from keysafe.errors import KeyFormatError
from keysafe.spec import Environment
from keysafe.vault import KdfParams, LabelError, Vault, keysafe_home
from keysafe.vault import passphrase as pp
from keysafe.vault.format import DEFAULT_KDF

ENVS = [e.value for e in Environment]


def _date(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d") if ts else "-"


def open_vault() -> Vault:
    return Vault.open()


def check_profile(name: str) -> None:
    from keysafe.policy.profiles import get_profile

    get_profile(name, keysafe_home())


def _strip_line_end(value: str) -> str:
    """Remove the ONE line terminator that reading a line leaves; anything else is the key's own."""
    if value.endswith("\r\n"):
        return value[:-2]
    return value[:-1] if value.endswith("\n") else value


def read_key_material(need_secret: bool = True, private_key_file: str | None = None) -> tuple[str, str | None]:
    """(api_key, secret) from stdin (line 1: API key; rest: secret or PEM) or hidden prompts."""
    secret = None
    if private_key_file:
        from pathlib import Path

        secret = Path(private_key_file).expanduser().read_text()
        need_secret = False
    if not sys.stdin.isatty():
        data = sys.stdin.read()
        if not data.strip():
            raise KeyFormatError("Nothing was read on stdin.", "Pipe the API key on the first line and the secret "
                                 "on the second (or run in a terminal to be asked).")
        first, _, rest = data.partition("\n")
        api_key = first.removesuffix("\r")
        if need_secret:
            if "-----BEGIN" in rest:
                secret = rest
            else:
                lines = rest.split("\n")
                secret = lines[0].removesuffix("\r")
                if any(line.strip() for line in lines[1:]):
                    raise KeyFormatError("More than two lines were read on stdin.",
                                         "Give the API key on line 1 and the secret key on line 2, nothing else.")
        return api_key, secret
    api_key = click.prompt("API key", err=True)
    if need_secret:
        secret = click.prompt("Secret key (hidden)", hide_input=True, err=True)
    return api_key, secret


# ------------------------------------------------------------------ init / add / keygen


@click.command("init")
@click.option("--keyring", "use_keyring", is_flag=True,
              help="Also keep the passphrase in the OS keyring so commands do not ask for it.")
@click.option("--kdf-memory", type=click.IntRange(8, 1024 * 1024), default=DEFAULT_KDF.memory_kib, show_default=True,
              help="Argon2id memory in KiB (lower only for tests).")
@click.option("--kdf-time", type=click.IntRange(1, 16), default=DEFAULT_KDF.time_cost, show_default=True)
@click.option("--kdf-parallelism", type=click.IntRange(1, 16), default=DEFAULT_KDF.parallelism, show_default=True)
def init_command(use_keyring: bool, kdf_memory: int, kdf_time: int, kdf_parallelism: int) -> None:
    """Create an empty vault (under $KEYSAFE_HOME or your user data directory)."""
    home = keysafe_home()
    kdf = KdfParams(kdf_memory, kdf_time, kdf_parallelism)
    try:
        kdf.check()
    except ValueError:
        raise click.BadParameter("--kdf-memory must be at least 8 KiB per lane.") from None
    passphrase = pp.new_passphrase()
    vault = Vault.create(passphrase, home=home, kdf=kdf)
    if use_keyring and pp.store_in_keyring(home, passphrase):
        console.print("Passphrase stored in the OS keyring.")
    console.print(f"[green]Vault created:[/] {vault.path} (mode 0600, {kdf.describe()}).")
    console.print("Next: [bold]keysafe add LABEL --profile spot-bot --env production --ip YOUR.SERVER.IP[/]")


@click.command("add")
@click.argument("label")
@click.option("--profile", default=None, help="Use-case profile (see `keysafe profiles`).")
@click.option("--env", "environment", type=click.Choice(ENVS), default=None, help="Where the key works.")
@click.option("--ip", "ips", multiple=True, metavar="ADDR", help="An IP address on the key's whitelist (repeat).")
@click.option("--private-key-file", type=click.Path(exists=True, dir_okay=False),
              help="For an Ed25519/RSA key made elsewhere: the private key PEM file.")
def add_command(label: str, profile: str | None, environment: str | None, ips: tuple[str, ...],
                private_key_file: str | None) -> None:
    """Store a key. The API key and secret come from a hidden prompt or stdin (line 1, line 2), never argv.

    For a key pair made with `keysafe keygen ed25519 LABEL`, run `keysafe add LABEL` to attach the API key.
    """
    vault = open_vault()
    if label in vault and vault.awaiting_api_key(label) is not None:
        api_key, _ = read_key_material(need_secret=False)
        version = vault.attach_api_key(label, api_key)
        console.print(f"[green]API key {version.api_key_masked} attached to {label} (version {version.number}).[/]")
        return
    if label in vault:
        raise LabelError(f"A key labelled {label!r} is already in the vault; nothing was changed.",
                         f"Choose another label, `keysafe remove {label}`, or `keysafe rotate start {label}`.")
    if not profile or not environment:
        raise click.UsageError("--profile and --env are required for a new key, e.g. "
                               "`keysafe add grid-bot --profile spot-bot --env production --ip 203.0.113.7`.")
    check_profile(profile)
    api_key, secret = read_key_material(private_key_file=private_key_file)
    record = vault.add(label, api_key=api_key, secret=secret or "", environment=environment, profile=profile,
                       ip_whitelist=list(ips))
    console.print(f"[green]Stored {label}[/] ({record.key_type.value}, {record.environment.value}, profile "
                  f"{profile}): API key {record.current.api_key_masked}.")
    console.print(f"Check it against its profile: [bold]keysafe audit {label} --live[/]")


def keygen_into_vault(key_type: str, label: str, profile: str, environment: str, ips: tuple[str, ...],
                      bits: int) -> None:
    check_profile(profile)
    vault = open_vault()
    public_pem = vault.add_generated(label, key_type=key_type, environment=environment, profile=profile,
                                     ip_whitelist=list(ips), rsa_bits=bits)
    err_console.print(f"[green]Private key stored in the vault as {label}[/] (it never leaves this machine).")
    err_console.print("Paste this public key into Binance → API Management → Create API → Self-generated, then "
                      f"run `keysafe add {label}` and paste the API key Binance shows:\n")
    click.echo(public_pem, nl=False)


# ------------------------------------------------------------------ list / show / remove


@click.command("list")
def list_command() -> None:
    """Every key in the vault, masked, with its profile, environment and age."""
    vault = open_vault()
    table = Table(title=f"keysafe vault ({vault.path})", title_justify="left")
    for col in ("label", "env", "type", "profile", "api key", "version", "added", "rotation"):
        table.add_column(col)
    now = time.time()
    for r in vault.records():
        cur = r.current
        table.add_row(r.label, r.environment.value, r.key_type.value, r.profile,
                      (cur.api_key_masked or "(awaiting API key)") if cur else "-",
                      f"v{cur.number}" if cur else "-",
                      f"{_date(cur.added_at)} ({int((now - cur.created_at) // 86400)} d)" if cur else "-", (r.rotation or {}).get("step", "-") if r.rotation else "-")
    if not vault.labels():
        console.print("The vault is empty. Add a key: keysafe add LABEL --profile P --env production")
        return
    console.print(table)


@click.command("show")
@click.argument("label")
def show_command(label: str) -> None:
    """One key's metadata and its versions (pending, current, previous, retired); keys masked."""
    vault = open_vault()
    r = vault.get(label)
    console.print(f"[bold]{r.label}[/]  {r.key_type.value} key, {r.environment.value}, profile {r.profile}")
    console.print(f"  IP whitelist (recorded): {', '.join(r.ip_whitelist) or 'none'}")
    if r.rotation:
        console.print(f"  rotation: step {r.rotation.get('step')} (reason {r.rotation.get('reason')})")
    for v in r.versions:
        live = (v.live or {}).get("restrictions")
        perms = ", ".join(k for k, val in (live or {}).items() if k.startswith(("enable", "permits")) and val)
        console.print(f"  v{v.number} [bold]{v.state.value:8}[/] {v.api_key_masked or '(awaiting API key)'}  "
                      f"added {_date(v.added_at)}" + (f"  created on Binance {_date(v.key_created_at)}"
                                                       if v.key_created_at else "")
                      + (f"  reason {v.reason}" if v.reason else ""))
        if live is not None:
            console.print(f"      live {_date(v.live['at'])}: ipRestrict={bool(live.get('ipRestrict'))}; "
                          f"{perms or 'no permissions'}")
        if v.public_key_pem and v.state.value in ("current", "pending"):
            console.print("      public key: " + v.public_key_pem.strip().splitlines()[1], markup=False)


@click.command("remove")
@click.argument("label")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_command(label: str, yes: bool) -> None:
    """Delete a key (all its versions) from the vault. Delete it on Binance too."""
    vault = open_vault()
    record = vault.get(label)
    if not yes:
        click.confirm(f"Remove {label} ({record.current.api_key_masked if record.current else 'no key'}) "
                      "from the vault?", abort=True, err=True)
    vault.remove(label)
    console.print(f"Removed {label}. If the key is no longer used, delete it on Binance → API Management too.")


# ------------------------------------------------------------------ run


@click.command("run", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--key", "label", required=True, help="Vault label of the key to hand to the command.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run_command(label: str, command: tuple[str, ...]) -> None:
    """Run COMMAND with BINANCE_API_KEY and BINANCE_API_SECRET (or BINANCE_PRIVATE_KEY) in its environment only.

    Nothing is written to disk; the secret is masked if the command prints it.
    Example: keysafe run --key grid-bot -- python bot.py
    """
    from keysafe.vault.run import run_with_environment

    vault = open_vault()
    env, secrets = vault.child_environment(label)
    api_key = env["BINANCE_API_KEY"]
    vault.note("run", label, command=command[0])
    del vault
    code = run_with_environment(command, env, [s for s in secrets if s != api_key], [api_key])
    raise SystemExit(code)


# ------------------------------------------------------------------ vault group


@click.group("vault")
def vault_group() -> None:
    """The vault file itself: its operations log and its passphrase."""


@vault_group.command("verify-log")
def verify_log_command() -> None:
    """Check the hash chain of the operations log (an edited or deleted line is reported)."""
    vault = open_vault()
    check = vault.verify_log()
    if check.ok:
        extra = f" ({check.unconfirmed} after the last vault save: reads or an interrupted command)" \
            if check.unconfirmed else ""
        console.print(f"[green]Log intact:[/] {check.entries} entries, chain and head verified{extra}.")
        return
    for problem in check.problems:
        err_console.print(f"[red]✗[/] {problem}", markup=True)
    err_console.print(f"keysafe: the operations log {vault.log_path} was altered ({len(check.problems)} problem(s)). "
                      "Fix: find out who changed it; the vault itself is intact if it opens.")
    raise SystemExit(1)


@vault_group.command("passwd")
@click.option("--kdf-memory", type=click.IntRange(8, 1024 * 1024), default=DEFAULT_KDF.memory_kib, show_default=True,
              help="Argon2id memory in KiB for the re-encrypted vault (upgrades the parameters in place).")
@click.option("--kdf-time", type=click.IntRange(1, 16), default=DEFAULT_KDF.time_cost, show_default=True)
@click.option("--kdf-parallelism", type=click.IntRange(1, 16), default=DEFAULT_KDF.parallelism, show_default=True)
def passwd_command(kdf_memory: int, kdf_time: int, kdf_parallelism: int) -> None:
    """Re-encrypt everything under a new passphrase (KEYSAFE_NEW_PASSPHRASE or a prompt).

    The old vault stays intact until the new one is complete on disk.
    """
    vault = open_vault()
    new = pp.new_passphrase(env_var="KEYSAFE_NEW_PASSPHRASE")
    kdf = KdfParams(kdf_memory, kdf_time, kdf_parallelism)
    vault.change_passphrase(new, kdf=kdf)
    if (vault.home / "use-keyring").exists():
        pp.store_in_keyring(vault.home, new)
    console.print(f"[green]Vault re-encrypted[/] under the new passphrase ({kdf.describe()}).")


COMMANDS = (init_command, add_command, list_command, show_command, remove_command, run_command, vault_group)
