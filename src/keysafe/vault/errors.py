"""The vault's errors. Opening fails with ONE error for a wrong passphrase and a damaged file alike."""

from __future__ import annotations

from keysafe.errors import KeysafeError


class VaultError(KeysafeError):
    """The vault cannot be opened: wrong passphrase, or the file was altered or truncated.

    Deliberately one error with one message: it never says which, so it gives nothing away.
    """

    def __init__(self, message: str = "", remedy: str = "") -> None:
        super().__init__(
            message or "Cannot open the vault: the passphrase is wrong or the file is damaged; nothing was read.",
            remedy or "Check the passphrase (or KEYSAFE_PASSPHRASE); if it is right, restore the vault file "
                      "from a backup.",
        )


class VaultPermissionError(KeysafeError):
    """The vault file is readable by others or belongs to another user."""


class VaultNotFoundError(KeysafeError):
    """There is no vault at the expected place."""


class VaultExistsError(KeysafeError):
    """`keysafe init` on a vault that already exists."""


class LabelError(KeysafeError, ValueError):
    """A label that is missing, already taken, or malformed."""


class RecordStateError(KeysafeError):
    """An operation that does not fit the key's versions (e.g. two pending rotations)."""
