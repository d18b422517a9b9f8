"""Where the vault passphrase comes from: KEYSAFE_PASSPHRASE, the OS keyring, or a hidden prompt.

The keyring is used only if the user opted in (`keysafe init --keyring` stores the
passphrase there and leaves a marker file). On a machine without a keyring service,
keysafe prints one warning and falls back to the prompt; it never crashes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from keysafe.errors import KeysafeError
from keysafe.vault.store import KEYRING_MARKER

ENV_VAR = "KEYSAFE_PASSPHRASE"
KEYRING_SERVICE = "keysafe"
MIN_LENGTH = 8

_warned = False


class PassphraseError(KeysafeError):
    """No passphrase could be obtained, or a new one is too weak."""


def _warn_once(message: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        print(f"keysafe: warning: {message}", file=sys.stderr)


def _prompt(text: str, confirm: bool) -> str:
    import click

    if not sys.stdin.isatty():
        raise PassphraseError(
            "The vault passphrase is needed but there is no terminal to ask it on.",
            f"Set {ENV_VAR} in the environment of this command, or run it in a terminal.",
        )
    return click.prompt(text, hide_input=True, confirmation_prompt=confirm, err=True)


def keyring_account(home: Path) -> str:
    return str(home.resolve())


def from_keyring(home: Path) -> str | None:
    """The passphrase stored in the OS keyring, or None (with one warning) if there is none to ask."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            value = keyring.get_password(KEYRING_SERVICE, keyring_account(home))
        except (KeyringError, RuntimeError) as exc:
            _warn_once(f"the OS keyring is not available ({type(exc).__name__}); asking for the passphrase instead.")
            return None
    except Exception as exc:  # a broken backend must not stop the user from opening their vault
        _warn_once(f"the OS keyring failed ({type(exc).__name__}); asking for the passphrase instead.")
        return None
    if value is None:
        _warn_once("the OS keyring holds no keysafe passphrase for this vault; asking for it instead.")
    return value


def store_in_keyring(home: Path, passphrase: str) -> bool:
    """Store the passphrase in the OS keyring; False (with a warning) when no keyring service exists."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, keyring_account(home), passphrase)
    except Exception as exc:
        _warn_once(f"could not store the passphrase in the OS keyring ({type(exc).__name__}); "
                   "you will be asked for it (or set KEYSAFE_PASSPHRASE).")
        return False
    (home / KEYRING_MARKER).touch(mode=0o600)
    return True


def get_passphrase(home: Path, *, prompt: Callable[[str, bool], str] | None = None,
                   text: str = "Vault passphrase") -> str:
    """The passphrase for an existing vault."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    if (home / KEYRING_MARKER).exists():
        value = from_keyring(home)
        if value:
            return value
    return (prompt or _prompt)(text, False)


def new_passphrase(*, prompt: Callable[[str, bool], str] | None = None, env_var: str = ENV_VAR,
                   text: str = "New vault passphrase") -> str:
    """A passphrase for a new vault (or `vault passwd`): from ``env_var`` or a confirmed prompt."""
    value = os.environ.get(env_var) or (prompt or _prompt)(text, True)
    if len(value) < MIN_LENGTH:
        raise PassphraseError(f"The passphrase is {len(value)} characters; keysafe needs at least {MIN_LENGTH}.",
                              "Choose a longer passphrase (a few random words work well).")
    return value
