"""The validation pipeline of spec section 10, free of any web framework.

A :class:`Request` (method, path, raw query and body bytes, API-key header, client IP)
goes through the steps in Binance's order; the first failing step answers with Binance's
code, exact message, HTTP status and headers. A signing gateway can reuse the same steps.

1. IP ban (418)  2. weight and raw requests (429, then 418)  3. parameters (-1100 -1101
-1102 -1103 -1105)  4. API key (-2014, -2015, -1002)  5. recvWindow and timestamp sanity
6. signature over the raw bytes (-1022)  7. timing (-1021)  8. business rules, order
count (-1015), timing again, matching engine (-2010).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from keysafe.signing import KeyType, split_signature
from keysafe.signing.payload import decode_component
from keysafe.spec import ERRORS, Endpoint, Permission

_NAME = re.compile(rb"[A-Za-z][A-Za-z0-9_]*\Z")
INT_RANGE = "^[0-9]{1,20}$"
DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
CLIENT_ID_RANGE = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"
HMAC_SIG_RANGE = "^[A-Fa-f0-9]{64}$"
_INT = re.compile(r"[0-9]{1,20}\Z")
_DEC = re.compile(r"([0-9]{1,20})(\.[0-9]{1,20})?\Z")
_CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}\Z")
_HEX64 = re.compile(r"[A-Fa-f0-9]{64}\Z")
_API_KEY = re.compile(r"[A-Za-z0-9]{64}\Z")
_CLIENT_ID_PARAMS = frozenset({"newClientOrderId", "origClientOrderId"})
#: enums whose bad values are reported by the business step (-1117, -1116, -1115, -1120, -1122, -1139)
_BUSINESS_ENUMS = frozenset({"side", "type", "timeInForce", "interval", "symbolStatus"})
MIN_TIMESTAMP_MS = 1483228800000  # 2017-01-01


class ApiError(Exception):
    """A Binance error answer: ``{"code": code, "msg": msg}`` with an HTTP status and headers."""

    __slots__ = ("code", "msg", "status", "headers")

    def __init__(self, code: int, msg: str, status: int | None = None,
                 headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status if status is not None else ERRORS[code].http_status
        self.headers = headers or []


def err(code: int, index: int = 0, *args: object, status: int | None = None,
        headers: list[tuple[str, str]] | None = None) -> ApiError:
    """The error ``code`` with message number ``index`` of the spec table, placeholders filled."""
    return ApiError(code, ERRORS[code].render(index, *args), status, headers)


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: bytes
    body: bytes
    api_key: str | None
    client_ip: str
    #: the raw X-MBX-TIME-UNIT header, if sent
    time_unit: str | None = None


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    code: int | None = None  # the Binance error code, when an error


# ---------------------------------------------------------------- step 3: parameters


def parse_params(raw: bytes) -> tuple[list[tuple[str, str]], ApiError | None]:
    """Decode ``a=1&b=2`` as received; the first problem is returned, not raised."""
    out: list[tuple[str, str]] = []
    if not raw:
        return out, None
    for seg in raw.split(b"&"):
        if not seg:
            continue
        name_b, sep, value_b = seg.partition(b"=")
        if not _NAME.match(name_b):
            try:
                name = decode_component(name_b)
            except ValueError:
                return out, err(-1100, 0)
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
                return out, err(-1100, 0)
        else:
            name = name_b.decode("ascii")
        if b"%" in value_b or b"+" in value_b:
            try:
                value = decode_component(value_b)
            except ValueError:
                return out, err(-1100, 1, name, "valid UTF-8, percent-encoded")
        else:
            try:
                value = value_b.decode("utf-8")
            except UnicodeDecodeError:
                return out, err(-1100, 1, name, "valid UTF-8, percent-encoded")
        out.append((name, value))
    return out, None


def merge_params(query: list[tuple[str, str]], body: list[tuple[str, str]]) -> tuple[dict[str, str], ApiError | None]:
    """One mapping; a name twice in one place is -1101; in both places the query wins."""
    merged: dict[str, str] = {}
    for pairs in (query, body):
        seen: set[str] = set()
        for name, value in pairs:
            if name in seen:
                return merged, err(-1101, 2)
            seen.add(name)
    for name, value in body:
        merged[name] = value
    for name, value in query:
        merged[name] = value
    return merged, None


def validate_params(ep: Endpoint, params: dict[str, str]) -> None:
    """Unknown, empty, malformed and missing parameters, as Binance reports them."""
    if ep.params is None:
        return
    for name, value in params.items():
        if name == "signature":
            continue
        spec = ep.param(name)
        if spec is None:
            raise err(-1103, 0)
        if value == "":
            if name == "newClientOrderId":
                raise err(-1118)
            if name == "origClientOrderId":
                raise err(-1119)
            raise err(-1105, 1, name)
        kind = spec.kind
        if kind in ("long", "int"):
            if not _INT.match(value):
                raise err(-1100, 1, name, INT_RANGE)
        elif kind == "decimal":
            if not _DEC.match(value):
                raise err(-1100, 1, name, DECIMAL_RANGE)
        elif kind == "bool":
            if value.lower() not in ("true", "false"):
                raise err(-1130, 1, name)
        elif kind == "enum":
            if value not in spec.choices and name not in _BUSINESS_ENUMS:
                if name == "cancelRestrictions":
                    raise err(-1145, 0)
                raise err(-1130, 1, name)
        elif name in _CLIENT_ID_PARAMS:
            if not _CLIENT_ID.match(value):
                raise err(-1100, 1, name, CLIENT_ID_RANGE)
    for spec in ep.params:
        if spec.required and spec.name not in params:
            raise err(-1102, 1, spec.name)


# ---------------------------------------------------------------- step 4: the key


def check_key(ep: Endpoint, api_key: str | None, client_ip: str, keys: Any, now_ms: int):
    """The registered key for a signed call, or -2014 / -2015 / -1002."""
    if not api_key or not _API_KEY.match(api_key):
        raise err(-2014)
    key = keys.get(api_key)
    if key is None or not key.allows_ip(client_ip):
        raise err(-2015)
    perm = ep.permission
    if perm is not None and not key.has(perm, now_ms):
        if perm is Permission.WITHDRAWALS:
            raise err(-1002)
        raise err(-2015)
    if perm is Permission.WITHDRAWALS and not key.ip_restrict:
        raise err(-2015)
    return key


# ---------------------------------------------------------------- steps 5-7: timing and signature


def recv_window_ms(params: dict[str, str]) -> Decimal:
    raw = params.get("recvWindow")
    if raw is None:
        return Decimal(5000)
    whole, _, frac = raw.partition(".")
    if len(frac) > 3:
        raise err(-1111, 0, "recvWindow")
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the regex of step 3 prevents it
        raise err(-1100, 1, "recvWindow", DECIMAL_RANGE) from None
    if value > 60000:
        raise err(-1102, 5, "recvWindow", 60000)
    return value


def timestamp_ms(params: dict[str, str]) -> Decimal:
    """The timestamp in ms (µs accepted: 16 digits); before 2017 is outside any recvWindow."""
    ts = Decimal(params["timestamp"])
    if ts >= 10**14:
        ts = ts / 1000
    if ts < MIN_TIMESTAMP_MS:
        raise err(-1021, 0)
    return ts


def check_signature(req: Request, key: Any) -> None:
    body = req.body if req.method != "GET" else b""
    parts = split_signature(req.query, body)
    problem = parts.problem
    if problem is not None:
        if problem == "duplicate":
            raise err(-1101, 2)
        if problem in ("missing", "empty"):
            raise err(-1102, 1, "signature")
        raise err(-1022)
    sig = parts.signature
    if key.key_type is KeyType.HMAC and not _HEX64.match(sig):
        raise err(-1100, 1, "signature", HMAC_SIG_RANGE)
    if not key.verifier.verify(parts.signed, sig):
        raise err(-1022)


def check_timing(ts: Decimal, recv_window: Decimal, now_ms: int) -> None:
    if ts >= now_ms + 1000:
        raise err(-1021, 1)
    if now_ms - ts > recv_window:
        raise err(-1021, 0)
