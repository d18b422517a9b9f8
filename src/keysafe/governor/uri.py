"""Choosing a storage by URI: ``memory://``, ``sqlite:///PATH``, ``redis://HOST:PORT/DB``.

``sqlite://`` with no path means the default file, ``governor.sqlite3`` under
``$KEYSAFE_HOME`` or else the user data directory (:mod:`keysafe.home`). A Redis URI accepts
``?fallback_share=0.25`` (the local share used while Redis is unreachable).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


from keysafe.errors import ConfigurationError
from keysafe.governor.model import Storage
from keysafe.home import keysafe_home

DEFAULT_FILE = "governor.sqlite3"
_MEMORY: dict[str, Storage] = {}
_MEMORY_LOCK = threading.Lock()


def data_dir() -> Path:
    """keysafe's data directory: ``$KEYSAFE_HOME`` or the platform's user data directory."""
    return keysafe_home()


def default_uri() -> str:
    return f"sqlite:///{data_dir() / DEFAULT_FILE}"


def storage_from_uri(uri: str | None = None, *, on_notice: Callable[[str], None] | None = None) -> Storage:
    """The storage a URI names (None: the default SQLite file)."""
    uri = uri or default_uri()
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "memory":
        from keysafe.governor.storage_memory import MemoryStorage

        # every governor of this process naming the same memory:// URI shares one budget
        with _MEMORY_LOCK:
            return _MEMORY.setdefault(uri, MemoryStorage(uri))
    if scheme == "sqlite":
        # As in SQLAlchemy: sqlite:///relative/path, sqlite:////absolute/path, sqlite:// = default file.
        path = uri.split("://", 1)[1].split("?", 1)[0]
        path = path[1:] if path.startswith("/") else path
        if not path:
            path = str(data_dir() / DEFAULT_FILE)
        from keysafe.governor.storage_sqlite import SQLiteStorage

        return SQLiteStorage(path, uri)
    if scheme in ("redis", "rediss", "unix"):
        query = parse_qs(parts.query)
        share = 0.25
        if "fallback_share" in query:
            try:
                share = float(query["fallback_share"][0])
                if not 0 < share <= 1:
                    raise ValueError
            except ValueError:
                raise ConfigurationError(
                    f"fallback_share={query['fallback_share'][0]!r} in the governor URI is not a fraction.",
                    "Use a number between 0 and 1, e.g. redis://127.0.0.1:6379/0?fallback_share=0.25.",
                ) from None
        clean = uri.split("?", 1)[0]
        from keysafe.governor.storage_redis import RedisStorage

        return RedisStorage(clean, fallback_share=share, on_notice=on_notice)
    raise ConfigurationError(
        f"Unknown governor storage {uri!r}.",
        "Use memory://, sqlite:///PATH (the default) or redis://HOST:PORT/DB.",
    )
