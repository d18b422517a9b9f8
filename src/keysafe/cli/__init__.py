"""The `keysafe` command. Each feature adds its commands in its own module of this package."""

from __future__ import annotations

import sys

import click

from keysafe.cli._common import run_guarded
from keysafe.cli.demo import demo_command
from keysafe.cli.keygen import keygen_command
from keysafe.cli.keyaudit import COMMANDS as KEY_POLICY_COMMANDS
from keysafe.cli.vault import COMMANDS as VAULT_COMMANDS
from keysafe.cli.scan import hook_group, scan_command
from keysafe.cli.sandbox import sandbox_group
from keysafe.cli.monitor import monitor_group, report_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="keysafe")
def cli() -> None:
    """keysafe: the safety layer between your code and the Binance API."""


cli.add_command(keygen_command)
for _command in (*VAULT_COMMANDS, *KEY_POLICY_COMMANDS):
    cli.add_command(_command)
cli.add_command(scan_command)
cli.add_command(hook_group)
cli.add_command(demo_command)
cli.add_command(sandbox_group)
cli.add_command(monitor_group)
cli.add_command(report_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: one clear line on error, never a traceback."""
    sys.exit(run_guarded(cli, argv))
