"""A string that never shows itself: not in repr, str, f-strings, logs, tracebacks or pickles."""

from __future__ import annotations

import hashlib
import hmac


class Secret:
    """Holds a secret value. ``reveal()`` is the one explicit way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError("Secret takes a str")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        return self._value

    def __setattr__(self, name, value):
        raise AttributeError("Secret is immutable")

    def __repr__(self) -> str:
        return "Secret(****)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self):
        raise TypeError("a Secret cannot be pickled; store it in the keysafe vault instead")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def fingerprint(self, salt: bytes = b"") -> str:
        """A short, one-way identifier (salted SHA-256, 16 hex digits) safe to log."""
        return hashlib.sha256(salt + self._value.encode()).hexdigest()[:16]
