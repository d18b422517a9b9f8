"""The `keysafe` command.

Each feature keeps its commands in its own module of this package. Commands are loaded
only when used, so `keysafe scan --staged` (run by the pre-commit hook) does not pay
for importing the client, the sandbox or matplotlib.
"""

from __future__ import annotations

import importlib
import sys

import click

from keysafe.cli._common import run_guarded

#: command name -> "module:attribute", in the order `keysafe --help` lists them.
COMMANDS: dict[str, str] = {
    "demo": "keysafe.cli.demo:demo_command",
    "init": "keysafe.cli.vault:init_command",
    "add": "keysafe.cli.vault:add_command",
    "keygen": "keysafe.cli.keygen:keygen_command",
    "list": "keysafe.cli.vault:list_command",
    "show": "keysafe.cli.vault:show_command",
    "remove": "keysafe.cli.vault:remove_command",
    "run": "keysafe.cli.vault:run_command",
    "vault": "keysafe.cli.vault:vault_group",
    "audit": "keysafe.cli.keyaudit:audit_command",
    "rotate": "keysafe.cli.keyaudit:rotate_group",
    "status": "keysafe.cli.keyaudit:status_command",
    "profiles": "keysafe.cli.keyaudit:profiles_command",
    "scan": "keysafe.cli.scan:scan_command",
    "hook": "keysafe.cli.scan:hook_group",
    "sandbox": "keysafe.cli.sandbox:sandbox_group",
    "monitor": "keysafe.cli.monitor:monitor_group",
    "report": "keysafe.cli.monitor:report_command",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="keysafe")
def cli() -> None:
    """keysafe: the safety layer between your code and the Binance API."""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: one clear line on error, never a traceback."""
    sys.exit(run_guarded(cli, argv))
