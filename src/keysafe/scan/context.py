"""Context scoring: is a 64-character string standing where a key stands?

Binance keys have no prefix and no checksum, so the words around a candidate decide.
``near`` is the text just before the candidate on its line (the name it is assigned to,
the header, the flag); ``far`` is the rest of the line and the two lines before it (a
multi-line constructor call, a YAML parent key). The path counts too
(``binance-api.txt``, ``.env``).
"""

from __future__ import annotations

import re
from enum import Enum

NEAR_CHARS = 48
FAR_CHARS = 200

# Words that name a key: api key / secret spelled every way code spells them, Binance's header,
# env variables, CLI flags, and the constructors of the usual client libraries.
KEY_WORDS = re.compile(
    r"(?i)api[\s_\-.]?key|apikey|x-mbx-apikey|secret|binance|private[\s_\-]?key|access[\s_\-]?key|"
    r"passphrase|credential|(?<![a-z])key(?![a-z])|_key\b|"
    r"(?<![a-z])(?:client|spot|umfutures|cmfutures|asyncclient|futures)\s*\(|ccxt"
)
SECRET_WORDS = re.compile(r"(?i)secret|private|passphrase|(?<![a-z])sec(?![a-z])")
_LONG_RUN = re.compile(r"[A-Za-z0-9+/=]{20,}")  # another candidate standing nearby: not words
# Names of things that are random but not keys. They veto a candidate when they are the nearest name.
NOT_KEY_WORDS = re.compile(
    r"(?i)hash|digest|sha\d|md5|checksum|integrity|signature|nonce|uuid|guid|request[_\-]?id|trace|"
    r"session|etag|commit|listen[_\-]?key|salt|(?<![a-z])iv(?![a-z])|fingerprint|(?<![a-z])id\b|_id\b|"
    r"order[_\-]?id|tx[_\-]?id|hashed|cursor|csrf|build"
)
PATH_WORDS = re.compile(r"(?i)binance|api[_\-.]?key|secret|credential|(?:^|/)\.env(?:\.|$)|\.env$|keys?\.txt$")


class Role(Enum):
    KEY = "key"
    SECRET = "secret"
    UNKNOWN = "unknown"


def _last_name(near: str) -> str:
    """The identifier-ish text nearest to the candidate (``api_secret`` in ``api_secret = "``)."""
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_\-]*", near)
    return words[-1] if words else ""


def score(text: str, start: int, path: str) -> Role | None:
    """The role of the candidate at ``text[start:]`` or None when its context says it is no key."""
    line_start = text.rfind("\n", 0, start) + 1
    near = _LONG_RUN.sub(" ", text[max(line_start, start - NEAR_CHARS):start])
    last = _last_name(near)
    if last and NOT_KEY_WORDS.search(last) and not KEY_WORDS.search(last):
        return None
    if KEY_WORDS.search(near):
        return Role.SECRET if SECRET_WORDS.search(near[-32:] if len(near) > 32 else near) else Role.KEY
    if NOT_KEY_WORDS.search(near):
        return None
    far = _LONG_RUN.sub(" ", text[max(0, line_start - FAR_CHARS):start])
    if KEY_WORDS.search(far):
        return Role.SECRET if SECRET_WORDS.search(near) else Role.UNKNOWN
    if PATH_WORDS.search(path):
        return Role.UNKNOWN
    return None
