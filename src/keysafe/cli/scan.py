"""`keysafe scan` (files, --staged, --history, --home) and `keysafe hook install`."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from keysafe.scan.baseline import DEFAULT_NAME, load_baseline
from keysafe.scan.baseline import write_baseline as save_baseline
from keysafe.scan.engine import MAX_BYTES, Options
from keysafe.scan.errors import ScanError
from keysafe.scan.fingerprints import load_known_fingerprints
from keysafe.scan.hook import install_hook
from keysafe.scan.report import render_json, render_sarif, render_text
from keysafe.scan.runner import apply_baseline, scan_history, scan_home, scan_paths, scan_staged
from keysafe.scan.sources import repo_root, require_repo

EXIT_FINDINGS = 1


@contextlib.contextmanager
def _progress(enabled: bool, what: str):
    """A rich progress bar on stderr for long scans (only on a terminal)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn

    with Progress(TextColumn(f"scanning {what}"), BarColumn(), TextColumn("{task.completed:,.0f} {task.fields[unit]}"),
                  TransferSpeedColumn(), transient=True,
                  console=__import__("rich.console").console.Console(stderr=True)) as bar:
        task = bar.add_task(what, total=None, unit="")
        yield lambda done, total=None, unit="bytes": bar.update(task, completed=done, total=total, unit=unit)


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
    modes = [m for m, on in (("--staged", staged), ("--history", history), ("--home", home)) if on]
    if len(modes) > 1:
        raise ScanError(f"{' and '.join(modes)} cannot be combined.", "Run one scan at a time.")
    if paths and modes:
        raise ScanError(f"{modes[0]} takes no paths.", f"Run `keysafe scan {modes[0]}` alone.")
    if all_refs and not history:
        raise ScanError("--all-refs only applies to --history.", "Add --history.")
    options = Options(known=load_known_fingerprints(fingerprints), max_bytes=int(max_size * 1e6),
                      keep_secrets=show_secrets)
    tty = sys.stderr.isatty() and fmt == "text" and not output
    what = "files"
    if staged:
        root = require_repo()
        result = scan_staged(root, options)
    elif history:
        root = require_repo()
        what = "history"
        with _progress(tty, "history") as bar:
            result = scan_history(root, options, all_refs=all_refs,
                                  progress=(lambda n: bar(n, None, "commits")) if bar else None)
    elif home:
        root = None
        result = scan_home(Path(os.environ.get("HOME", str(Path.home()))), options)
    else:
        root = repo_root(".")
        with _progress(tty, "files") as bar:
            result = scan_paths(list(paths), options, jobs=jobs, progress=bar)
    baseline_path = Path(baseline) if baseline else (root / DEFAULT_NAME if root else Path(DEFAULT_NAME))
    if write_baseline:
        n = save_baseline(baseline_path, result.findings)
        click.echo(f"Baseline written to {baseline_path}: {n} fingerprint(s), no secrets. "
                   "Later scans report only new findings.", err=True)
        return
    if baseline or baseline_path.is_file():
        apply_baseline(result, load_baseline(baseline_path))
    if fmt == "json":
        text = render_json(result, show_secrets=show_secrets)
    elif fmt == "sarif":
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("keysafe")
        except PackageNotFoundError:
            v = "0"
        text = render_sarif(result, version=v)
    else:
        color = sys.stdout.isatty() and not output and "NO_COLOR" not in os.environ
        text = render_text(result, show_secrets=show_secrets, color=color, verbose=verbose, what=what)
    if output:
        Path(output).write_text(text + "\n")
        click.echo(f"{len(result.findings)} finding(s) written to {output}.", err=True)
    else:
        click.echo(text)
    if result.findings:
        raise SystemExit(EXIT_FINDINGS)


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
    click.echo("Bypass once, knowingly: git commit --no-verify. Allow a false positive: add `keysafe: allow`.")
