"""`keysafe scan` (files, --staged, --history, --home) and `keysafe hook install`."""

from __future__ import annotations

import click

from keysafe.cli.scan_run import run_scan
from keysafe.scan.baseline import DEFAULT_NAME
from keysafe.scan.engine import MAX_BYTES
from keysafe.scan.hook import backup_of, install_hook, uninstall_hook
from keysafe.scan.sources import require_repo


@click.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--staged", is_flag=True, help="Scan what the next commit would add (git diff --cached).")
@click.option("--history", is_flag=True, help="Scan every commit; report the commit that introduced each key.")
@click.option("--all-refs", is_flag=True, help="With --history: every branch and tag, not only HEAD's ancestry.")
@click.option("--home", "home", is_flag=True,
              help="Opt-in: shell/IPython histories, dotfiles and text files in ~/Downloads, ~/Desktop, ~/Documents.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--show-secrets", is_flag=True, help="Print the secrets in full (default: first 4 characters).")
@click.option("--baseline", type=click.Path(dir_okay=False),
              help=f"Hide findings listed in this baseline (default: {DEFAULT_NAME} at the repository root).")
@click.option("--write-baseline", is_flag=True, help="Record the current findings' fingerprints as the baseline.")
@click.option("--fingerprints", type=click.Path(dir_okay=False),
              help="The vault's fingerprints of your own keys (default: $KEYSAFE_HOME/fingerprints.json).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None, help="Processes (default: all cores).")
@click.option("--max-size", type=click.FloatRange(0.001), default=MAX_BYTES / 1e6, show_default=True,
              help="Skip files larger than this many MB.")
@click.option("-v", "--verbose", is_flag=True, help="Also list skipped binary files.")
def scan_command(paths, staged, history, all_refs, home, fmt, output, show_secrets, baseline, write_baseline,
                 fingerprints, jobs, max_size, verbose) -> None:
    """Find Binance API keys, secret keys and private keys before the bots do.

    Exit status: 0 when clean, 1 when something was found, 2 on a usage error.
    """
    status = run_scan(paths, staged=staged, history=history, all_refs=all_refs, home=home, fmt=fmt, output=output,
                      show_secrets=show_secrets, baseline=baseline, write_baseline=write_baseline,
                      fingerprints=fingerprints, jobs=jobs, max_size=max_size, verbose=verbose)
    if status:
        raise SystemExit(status)


@click.group("hook")
def hook_group() -> None:
    """Git hooks that stop a key before it is committed."""


@hook_group.command("install")
@click.option("--force", is_flag=True, help="Replace an existing pre-commit hook that is not keysafe's.")
def hook_install_command(force: bool) -> None:
    """Install a pre-commit hook running `keysafe scan --staged` in this repository."""
    root = require_repo()
    path = install_hook(root, force=force)
    click.echo(f"Installed {path}: commits that add a Binance key or a private key are now blocked.")
    backup = backup_of(path)
    if backup.exists():
        click.echo(f"Your previous hook is kept as {backup}; keysafe hook uninstall puts it back.")
    click.echo("Bypass once, knowingly: git commit --no-verify. Allow a false positive: add `keysafe: allow`.")


@hook_group.command("uninstall")
def hook_uninstall_command() -> None:
    """Remove keysafe's pre-commit hook (and restore the hook it replaced, if any)."""
    path, restored = uninstall_hook(require_repo())
    click.echo(f"Removed keysafe's hook {path}." + (" Your previous hook is back in place." if restored else ""))
