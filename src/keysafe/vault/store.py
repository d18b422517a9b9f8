"""Where keysafe keeps its files, and how the vault file is read and written.

* ``KEYSAFE_HOME`` (else the user data directory, see :mod:`keysafe.home`) holds ``vault.ksv``,
  ``vault.log``, ``fingerprints.json`` and ``profiles.toml``.
* Writes are atomic and durable: a temporary file in the same directory, fsync, rename
  over the old file, fsync of the directory. A crash leaves the old or the new vault,
  never a mix. Files are created with mode 0600.
* A vault readable by group/others or owned by another user is refused before reading.
* Read-modify-write cycles hold an exclusive ``flock`` on ``vault.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from keysafe.home import keysafe_home
from keysafe.vault.errors import VaultError, VaultNotFoundError, VaultPermissionError

VAULT_NAME = "vault.ksv"
LOG_NAME = "vault.log"
LOCK_NAME = "vault.lock"
FINGERPRINTS_NAME = "fingerprints.json"
PROFILES_NAME = "profiles.toml"
KEYRING_MARKER = "use-keyring"

_MAX_VAULT_BYTES = 64 * 1024 * 1024


def default_vault_path() -> Path:
    return keysafe_home() / VAULT_NAME


def ensure_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def check_file_safety(path: Path, st: os.stat_result | None = None) -> None:
    """Refuse a file readable or writable by others, or owned by another user."""
    st = st or os.stat(path)
    if st.st_uid != os.geteuid():
        raise VaultPermissionError(
            f"{path} belongs to user id {st.st_uid}, not to you ({os.geteuid()}); keysafe will not trust it.",
            "Use a vault you created yourself (`keysafe init`), or have its owner hand you a copy.",
        )
    if st.st_mode & 0o077:
        raise VaultPermissionError(
            f"{path} has mode {stat.S_IMODE(st.st_mode):04o}: other users could read or replace it.",
            f"Run `chmod 600 {path}` and check nobody else copied it; then retry.",
        )


def read_vault_file(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise VaultNotFoundError(f"There is no vault at {path}.",
                                 "Create one with `keysafe init` (or set KEYSAFE_HOME to where yours is).") from None
    except OSError as exc:
        raise VaultPermissionError(f"Cannot open {path}: {exc.strerror}.",
                                   "Check the path and that it is a regular file you own.") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise VaultPermissionError(f"{path} is not a regular file.", "Point keysafe at the vault file itself.")
        check_file_safety(path, st)
        if st.st_size > _MAX_VAULT_BYTES:
            raise VaultError()
        return f.read()


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` atomically and durably, with ``mode``."""
    directory = path.parent
    ensure_dir(directory)
    tmp = directory / f".{path.name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def remove_stale_temps(path: Path) -> None:
    """Delete temporary files left by a writer that was killed (the caller holds the lock)."""
    for name in (VAULT_NAME, FINGERPRINTS_NAME):
        for tmp in path.parent.glob(f".{name}.*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on the keysafe directory for one read-modify-write cycle."""
    ensure_dir(directory)
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
