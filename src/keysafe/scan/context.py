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


# The regular expressions above are exact but slow: case-insensitive alternations with
# look-behinds. On ASCII text (nearly all of it) the same patterns run case-sensitively on
# the lower-cased text, several times faster, and only when the text contains a literal
# that every match contains. Non-ASCII text takes the exact patterns: a case-insensitive
# regex also matches a few non-ASCII letters (the Kelvin sign, the long s).
class _Words:
    __slots__ = ("exact", "lower", "hints")

    def __init__(self, exact: re.Pattern[str], hints: tuple[str, ...]) -> None:
        self.exact = exact
        self.lower = re.compile(exact.pattern.replace("(?i)", "", 1))
        self.hints = hints

    def search(self, s: str) -> bool:
        if not s.isascii():
            return self.exact.search(s) is not None
        low = s.lower()
        for h in self.hints:
            if h in low:
                return self.lower.search(low) is not None
        return False


_KEY = _Words(KEY_WORDS, ("key", "secret", "binance", "passphrase", "credential", "client", "spot", "futures", "ccxt"))
_NOT_KEY = _Words(NOT_KEY_WORDS, ("id", "hash", "sha", "iv", "digest", "md5", "checksum", "integrity", "signature",
                                  "nonce", "request", "trace", "session", "etag", "commit", "listen", "salt",
                                  "fingerprint", "cursor", "csrf", "build"))  # most frequent first
_SECRET = _Words(SECRET_WORDS, ("sec", "private", "passphrase"))
has_key_word = _KEY.search
has_not_key_word = _NOT_KEY.search
has_secret_word = _SECRET.search
# The last name in a text, searched in the reversed text: the first run of name characters
# that holds a letter, up to its last letter (a name starts with a letter or "_").
_LAST_NAME_REVERSED = re.compile(r"[A-Za-z0-9_\-]*[A-Za-z_]")


def _last_name(near: str) -> str:
    """The identifier-ish text nearest to the candidate (``api_secret`` in ``api_secret = "``):
    the last match of ``[A-Za-z_][A-Za-z0-9_-]*``, found from the end."""
    m = _LAST_NAME_REVERSED.search(near[::-1])
    return m.group()[::-1] if m else ""


def _without_runs(s: str) -> str:
    """``s`` with other long base64-ish runs (other candidates) blanked: they are not words."""
    return _LONG_RUN.sub(" ", s) if len(s) >= 20 else s


def score(text: str, start: int, path: str) -> Role | None:
    """The role of the candidate at ``text[start:]`` or None when its context says it is no key."""
    line_start = text.rfind("\n", 0, start) + 1
    near = _without_runs(text[max(line_start, start - NEAR_CHARS):start])
    last = _last_name(near)
    if last and has_not_key_word(last) and not has_key_word(last):
        return None
    if has_key_word(near):
        return Role.SECRET if has_secret_word(near[-32:] if len(near) > 32 else near) else Role.KEY
    if has_not_key_word(near):
        return None
    far = _without_runs(text[max(0, line_start - FAR_CHARS):start])
    if has_key_word(far):
        return Role.SECRET if has_secret_word(near) else Role.UNKNOWN
    if PATH_WORDS.search(path):
        return Role.UNKNOWN
    return None
