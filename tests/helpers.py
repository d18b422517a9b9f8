"""Test helpers: keys are generated at run time, never committed."""

from __future__ import annotations

import secrets
import socket
import string

_ALNUM = string.ascii_letters + string.digits


def random_key() -> str:
    """A fresh 64-character alphanumeric string shaped like a Binance API or secret key."""
    while True:
        key = "".join(secrets.choice(_ALNUM) for _ in range(64))
        if any(c.isupper() for c in key) and any(c.islower() for c in key) and any(c.isdigit() for c in key):
            return key


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
