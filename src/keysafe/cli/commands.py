"""The `keysafe` subcommands: name -> "module:attribute", in the order `keysafe --help` lists them.

Each feature keeps its commands in its own module of this package; a command's module is
imported only when that command runs.
"""

from __future__ import annotations

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
