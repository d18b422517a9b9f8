"""The one payload builder: parameters to the exact bytes that go on the wire, and back.

Binance (since 2026-01-15) verifies the signature over the percent-encoded query string
concatenated with the body, exactly as received. So keysafe builds the wire string once,
signs that string, and sends that same string: the bytes signed are the bytes sent.

Encoding rules:

* every byte outside RFC 3986's unreserved set (``A-Z a-z 0-9 - . _ ~``) becomes ``%XX``
  with uppercase hex, UTF-8 first; a space is ``%20``;
* ``Decimal`` and ``float`` are written in plain positional notation, never ``1e-05``;
* ``True``/``False`` become ``true``/``false``;
* lists and tuples become compact JSON (``["BTCUSDT","ETHUSDT"]``), then are encoded;
* ``None`` values are left out;
* ``signature`` is always appended last.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, NamedTuple
from urllib.parse import quote, unquote_to_bytes

from keysafe.errors import EncodingError

_SAFE = re.compile(r"[A-Za-z0-9._~-]*\Z")
_SAFE_QUERY = re.compile(r"[A-Za-z0-9._~=&-]*\Z")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

Params = Mapping[str, Any] | Iterable[tuple[str, Any]]


def format_value(name: str, value: Any) -> str:
    """The text Binance expects for one parameter value (before percent-encoding)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(name, value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EncodingError(
                f"Parameter '{name}' is {value!r}, which Binance cannot accept.",
                "Send a finite number, preferably as a Decimal or a string.",
            )
        return _decimal_text(name, Decimal(repr(value)))
    if isinstance(value, Enum):
        return format_value(name, value.value)
    if isinstance(value, (list, tuple)):
        try:
            items = [v if isinstance(v, str) else format_value(name, v) for v in value]
        except EncodingError:
            raise
        return json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    raise EncodingError(
        f"Parameter '{name}' has type {type(value).__name__}, which keysafe cannot encode.",
        "Pass a str, int, Decimal, bool or a list of those.",
    )


def _decimal_text(name: str, value: Decimal) -> str:
    if not value.is_finite():
        raise EncodingError(
            f"Parameter '{name}' is {value}, which Binance cannot accept.", "Send a finite decimal number."
        )
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") or (value == 0 and text.startswith("-")) else text


def encode_component(text: str) -> str:
    """Percent-encode one name or value (UTF-8, uppercase hex, only unreserved characters kept)."""
    if _SAFE.match(text):
        return text
    try:
        return quote(text, safe="", encoding="utf-8", errors="strict")
    except UnicodeEncodeError:
        raise EncodingError(
            "A parameter contains a lone surrogate or a character that is not valid Unicode.",
            "Send text that encodes as UTF-8.",
        ) from None


_CHECKED_NAMES: set[str] = set()
_B64 = re.compile(r"[A-Za-z0-9+/=]*\Z")


def _check_name(name: object) -> None:
    if name in _CHECKED_NAMES:
        return
    if not isinstance(name, str) or not _NAME.match(name):
        raise EncodingError(
            f"Parameter name {name!r} is not a Binance parameter name.",
            "Use the camelCase names from Binance's documentation (letters, digits, underscore).",
        )
    if name == "signature":
        raise EncodingError(
            "A 'signature' parameter was passed in.", "Leave it out: keysafe signs and appends it last."
        )
    if len(_CHECKED_NAMES) < 4096:
        _CHECKED_NAMES.add(name)


def encode_params(params: Params | None) -> str:
    """``name=value&...`` exactly as it will be sent; None values are left out.

    Raises :class:`EncodingError` naming the parameter that cannot be encoded, including a
    ``signature`` passed in by hand (keysafe adds it itself, last).
    """
    if not params:
        return ""
    parts: list[str] = []
    if isinstance(params, Mapping):
        items: Iterable[tuple[str, Any]] = params.items()
    else:
        items = list(params)
        names = [name for name, value in items if value is not None]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise EncodingError(
                f"Parameter '{dup}' is given twice (Binance answers -1101).", "Send each parameter once."
            )
    # Fast path: format every value, join, and check the whole string once. Names are checked
    # (no '&' or '='), so if the joined text is all unreserved characters plus exactly one '=' per
    # parameter and one '&' between them, no value needed escaping.
    texts: list[str] = []
    for name, value in items:
        if value is None:
            continue
        if name not in _CHECKED_NAMES:
            _check_name(name)
        kind = type(value)
        texts.append(name + "=" + (value if kind is str else str(value) if kind is int else format_value(name, value)))
    joined = "&".join(texts)
    if _SAFE_QUERY.match(joined) and joined.count("=") == len(texts) and joined.count("&") == len(texts) - 1:
        return joined
    # Some value needs escaping: encode value by value (a checked name holds no '=').
    for pair in texts:
        name, _, text = pair.partition("=")
        parts.append(name + "=" + (text if _SAFE.match(text) else encode_component(text)))
    return "&".join(parts)


class Payload(NamedTuple):
    """A request's query string and form body, each already percent-encoded."""

    query: str = ""
    body: str = ""

    @property
    def signed_bytes(self) -> bytes:
        """What Binance signs: the query concatenated, with no separator, with the body."""
        return (self.query + self.body).encode("ascii")

    def with_signature(self, signature: str) -> Payload:
        """The same payload with ``signature`` appended as the very last parameter."""
        # Hex (HMAC) and base64 (Ed25519, RSA) only need '+', '/' and '=' escaped.
        if _B64.match(signature):
            value = signature.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
        else:
            value = encode_component(signature)
        pair = "signature=" + value
        if self.body:
            return Payload(self.query, f"{self.body}&{pair}")
        return Payload(f"{self.query}&{pair}" if self.query else pair, self.body)


def build_payload(params: Params | None = None, *, body_params: Params | None = None) -> Payload:
    """A :class:`Payload` from query parameters and (optionally) form-body parameters."""
    query = encode_params(params)
    body = encode_params(body_params)
    if query and body:
        names_q = {p.split("=", 1)[0] for p in query.split("&")}
        dup = sorted(names_q & {p.split("=", 1)[0] for p in body.split("&")})
        if dup:
            raise EncodingError(
                f"Parameter '{dup[0]}' is in both the query and the body (Binance would use the query's).",
                "Send each parameter in one place only.",
            )
    return Payload(query, body)


# ---------------------------------------------------------------- the receiving side


@dataclass(frozen=True, slots=True)
class SignedParts:
    """What a server verifies: the signed bytes and the signature sent with them."""

    signed: bytes
    signature: str | None
    problem: str | None = None  # "missing", "not-last", "duplicate", "empty"


def split_signature(raw_query: bytes | str, raw_body: bytes | str = b"") -> SignedParts:
    """Split a request as received into the bytes that were signed and the signature.

    The signature must be the last parameter of the query string or of the body; the bytes
    signed are everything else, the query followed by the body, byte for byte as received.
    """
    q = raw_query.encode("latin-1") if isinstance(raw_query, str) else bytes(raw_query)
    b = raw_body.encode("latin-1") if isinstance(raw_body, str) else bytes(raw_body)
    pairs_q = q.split(b"&") if q else []
    pairs_b = b.split(b"&") if b else []
    positions = [
        (where, i)
        for where, pairs in (("q", pairs_q), ("b", pairs_b))
        for i, pair in enumerate(pairs)
        if pair.split(b"=", 1)[0] == b"signature"
    ]
    if not positions:
        return SignedParts(q + b, None, "missing")
    if len(positions) > 1:
        return SignedParts(q + b, None, "duplicate")
    where, index = positions[0]
    pairs = pairs_q if where == "q" else pairs_b
    if index != len(pairs) - 1:
        return SignedParts(q + b, None, "not-last")
    raw_sig = pairs[index].split(b"=", 1)[1] if b"=" in pairs[index] else b""
    if not raw_sig:
        return SignedParts(q + b, None, "empty")
    rest = b"&".join(pairs[:index])
    signed = rest + b if where == "q" else q + rest
    try:
        signature = unquote_to_bytes(raw_sig).decode("ascii")
    except UnicodeDecodeError:
        return SignedParts(signed, None, "not-ascii")
    return SignedParts(signed, signature)


def decode_component(raw: bytes | str) -> str:
    """Percent-decode a received name or value (``+`` is a space, as in form encoding)."""
    data = raw.encode("latin-1") if isinstance(raw, str) else raw
    try:
        return unquote_to_bytes(data.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("not valid UTF-8 after percent-decoding") from exc


def parse_decimal(text: str) -> Decimal | None:
    """A plain decimal string as Decimal; None when it is not one."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None
