"""The encrypted key vault (Argon2id + AES-256-GCM), its versions, log and `keysafe run`.

The vault knows nothing of HTTP: building a client from a vault label lives in
:mod:`keysafe.policy` (``keysafe.policy.client_from_vault``).
"""

from keysafe.vault.errors import (
    LabelError,
    RecordStateError,
    VaultError,
    VaultExistsError,
    VaultNotFoundError,
    VaultPermissionError,
)
from keysafe.vault.format import DEFAULT_KDF, TEST_KDF, KdfParams
from keysafe.vault.records import Record, Version, VersionState
from keysafe.vault.store import default_vault_path, keysafe_home
from keysafe.vault.vault import Vault

__all__ = [
    "DEFAULT_KDF",
    "KdfParams",
    "LabelError",
    "Record",
    "RecordStateError",
    "TEST_KDF",
    "Vault",
    "VaultError",
    "VaultExistsError",
    "VaultNotFoundError",
    "VaultPermissionError",
    "Version",
    "VersionState",
    "default_vault_path",
    "keysafe_home",
]
