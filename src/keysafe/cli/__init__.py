"""The `keysafe` command.

The click application lives in :mod:`keysafe.cli.app` and loads each command's module on
first use. One invocation skips click altogether: ``keysafe scan --staged``, which the
pre-commit hook and the pre-commit framework run before every commit, goes straight to
:func:`keysafe.cli.scan_run.run_scan` (the same function the click command calls), so a
commit waits for the scan and not for the command-line toolkit.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

#: Exact argument lists served without click (each must mean the same as through click).
FAST_PATHS = (["scan", "--staged"],)


def __getattr__(name: str) -> Any:
    if name in ("cli", "LazyGroup"):
        from keysafe.cli import app

        return getattr(app, name)
    raise AttributeError(f"module 'keysafe.cli' has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: one clear line on error, never a traceback."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args in FAST_PATHS:
        from keysafe.cli.scan_run import run_scan_guarded

        sys.exit(run_scan_guarded(staged=True))
    from keysafe.cli._common import run_guarded
    from keysafe.cli.app import cli

    sys.exit(run_guarded(cli, args))
