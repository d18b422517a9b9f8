"""Shared CLI plumbing: turning keysafe errors into one line and an exit status."""

from __future__ import annotations

from typing import Any

import click

from keysafe.errors import KeysafeError


class _LazyConsole:
    """A rich Console made on first use, so commands that print little (the pre-commit hook's
    `keysafe scan --staged`) do not pay for importing rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def get(self) -> Any:
        """The rich Console itself, for rich objects that take one (Live, Progress)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)

    def __enter__(self) -> Any:
        return self.get().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.get().__exit__(*exc)


console: Any = _LazyConsole(highlight=False)
err_console: Any = _LazyConsole(stderr=True, highlight=False)

EXIT_ERROR = 2


def fail(message: str) -> None:
    """Print one error line to stderr and exit with status 2."""
    err_console.print(f"keysafe: {message}", soft_wrap=True, markup=False)
    raise SystemExit(EXIT_ERROR)


def run_guarded(group: click.Group, argv: list[str] | None) -> int:
    try:
        group.main(args=argv, prog_name="keysafe", standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("keysafe: aborted.")
        return 130
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "keysafe"
        err_console.print(f"keysafe: {exc.format_message()} Fix: see `{where} --help`.", soft_wrap=True, markup=False)
        return exc.exit_code
    except click.ClickException as exc:
        err_console.print(f"keysafe: {exc.format_message()}", soft_wrap=True, markup=False)
        return exc.exit_code
    except KeysafeError as exc:
        err_console.print(f"keysafe: {exc}", soft_wrap=True, markup=False)
        return EXIT_ERROR
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        err_console.print("keysafe: interrupted.")
        return 130
    return 0
