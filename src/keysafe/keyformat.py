"""Format checks for API keys and HMAC secrets that say precisely what is wrong."""

from __future__ import annotations

import re

from keysafe.errors import KeyFormatError

API_KEY_LENGTH = 64
_ALNUM = re.compile(r"[A-Za-z0-9]")

_CHAR_NAMES = {" ": "a space", "\n": "a newline", "\r": "a carriage return", "\t": "a tab"}


def _describe(ch: str) -> str:
    return _CHAR_NAMES.get(ch, f"the character {ch!r}" if ch.isprintable() else f"a control character (U+{ord(ch):04X})")


def _check_64(value: str, what: str, fix_where: str) -> None:
    if not isinstance(value, str):
        raise KeyFormatError(f"The {what} must be text, not {type(value).__name__}.", fix_where)
    if not value:
        raise KeyFormatError(f"The {what} is empty.", fix_where)
    if value != value.strip():
        edge = "ends" if value[-1:].isspace() else "starts"
        ch = value[-1] if edge == "ends" else value[0]
        raise KeyFormatError(
            f"The {what} {edge} with {_describe(ch)} (copied along with it; Binance answers -2014).",
            "Remove the surrounding whitespace and paste the key alone.",
        )
    for i, ch in enumerate(value):
        if not _ALNUM.match(ch):
            raise KeyFormatError(
                f"The {what} contains {_describe(ch)} at position {i + 1}; keys are letters and digits only.",
                "Copy the key again from Binance's API Management page.",
            )
    if len(value) != API_KEY_LENGTH:
        raise KeyFormatError(
            f"The {what} is {len(value)} characters long; Binance keys are exactly {API_KEY_LENGTH}.",
            "Copy the whole key again from Binance's API Management page.",
        )


def validate_api_key(api_key: str) -> str:
    """Return the key unchanged if it is 64 letters and digits; else say precisely what is wrong."""
    _check_64(api_key, "API key", "Copy the API key again from Binance's API Management page.")
    return api_key


def validate_secret_key(secret: str) -> str:
    """Same check for an HMAC secret key; the message never contains the secret."""
    _check_64(secret, "secret key", "Copy the secret key again; Binance shows it only once at creation.")
    return secret


def mask(value: str) -> str:
    """``abcd…wxyz``: the first 4 and last 4 characters of a key."""
    return f"{value[:4]}…{value[-4:]}" if len(value) > 8 else "****"
