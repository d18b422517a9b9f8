"""The `keysafe` command. Each feature adds its commands in its own module of this package."""

from __future__ import annotations

import sys

import click

from keysafe.cli._common import run_guarded
from keysafe.cli.demo import demo_command
from keysafe.cli.keygen import keygen_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="keysafe")
def cli() -> None:
    """keysafe: the safety layer between your code and the Binance API."""


cli.add_command(keygen_command)
cli.add_command(demo_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: one clear line on error, never a traceback."""
    sys.exit(run_guarded(cli, argv))
