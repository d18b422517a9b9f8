"""The body of `keysafe scan`, free of click: the click command and the no-click fast path of
``keysafe scan --staged`` (see :mod:`keysafe.cli`) both call :func:`run_scan`."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from keysafe.errors import KeysafeError
from keysafe.scan.baseline import DEFAULT_NAME, load_baseline
from keysafe.scan.baseline import write_baseline as save_baseline
from keysafe.scan.engine import MAX_BYTES, Options
from keysafe.scan.errors import ScanError
from keysafe.scan.fingerprints import load_known_fingerprints
from keysafe.scan.report import render_json, render_sarif, render_text
from keysafe.scan.runner import apply_baseline, scan_history, scan_home, scan_paths, scan_staged
from keysafe.scan.sources import repo_root, require_repo

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def _note(message: str) -> None:
    print(message, file=sys.stderr)


@contextlib.contextmanager
def _progress(enabled: bool, what: str):
    """A rich progress bar on stderr for long scans (only on a terminal)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn

    with Progress(TextColumn(f"scanning {what}"), BarColumn(), TextColumn("{task.completed:,.0f} {task.fields[unit]}"),
                  TransferSpeedColumn(), transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(what, total=None, unit="")
        yield lambda done, total=None, unit="bytes": bar.update(task, completed=done, total=total, unit=unit)


def run_scan(paths: tuple[str, ...] | list[str] = (), *, staged: bool = False, history: bool = False,
             all_refs: bool = False, home: bool = False, fmt: str = "text", output: str | None = None,
             show_secrets: bool = False, baseline: str | None = None, write_baseline: bool = False,
             fingerprints: str | None = None, jobs: int | None = None, max_size: float = MAX_BYTES / 1e6,
             verbose: bool = False) -> int:
    """Run one scan and print its report; the exit status (0 clean, 1 findings). Raises ScanError."""
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
        root: Path | None = require_repo()
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
        _note(f"Baseline written to {baseline_path}: {n} fingerprint(s), no secrets. "
              "Later scans report only new findings.")
        return EXIT_CLEAN
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
        _note(f"{len(result.findings)} finding(s) written to {output}.")
    else:
        print(text, flush=True)
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN


def run_scan_guarded(**options) -> int:
    """:func:`run_scan` for the no-click path: errors as the one line `keysafe` prints for them."""
    try:
        return run_scan(**options)
    except KeysafeError as exc:
        _note(f"keysafe: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _note("keysafe: interrupted.")
        return 130
