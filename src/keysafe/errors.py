"""keysafe's exceptions: every one says what happened and what to do, in one line.

Two families:

* :class:`KeysafeError` subclasses raised locally (a malformed key, a payload that cannot
  be encoded, a key sent to the wrong environment, ...);
* :class:`BinanceAPIError` subclasses built from a Binance response by
  :func:`error_from_response`, carrying ``code``, ``http_status``, ``message``, ``remedy``
  and ``retry_after``. A 5xx is :class:`ExecutionStatusUnknown`: the request may have
  executed, so it is *not* a failure.

No exception ever carries a secret: messages are built from names, lengths and
Binance's own text only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: the pre-commit hook imports this module
if TYPE_CHECKING:
    from typing import Any

    from keysafe.spec.errors import ErrorSpec


class KeysafeError(Exception):
    """Base class of every keysafe error. ``str()`` is one line: what happened, then the fix."""

    remedy: str = ""

    def __init__(self, message: str, remedy: str = "") -> None:
        self.message = message
        self.remedy = remedy or type(self).remedy
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.remedy}" if self.remedy else self.message


class KeyFormatError(KeysafeError, ValueError):
    """An API key, secret, private key or passphrase is malformed or does not fit."""


class EncodingError(KeysafeError, ValueError):
    """A request parameter cannot be encoded the way Binance expects."""


class ConfigurationError(KeysafeError, ValueError):
    """A setting given to keysafe is invalid."""


class EnvironmentMismatchError(KeysafeError):
    """A credential was about to be sent to another environment's server."""


class ScopeError(KeysafeError):
    """The request is outside what this client was allowed to do (e.g. withdrawals)."""


# ---------------------------------------------------------------- Binance errors


class BinanceAPIError(KeysafeError):
    """An error answer from Binance (or a Binance-compatible server)."""

    def __init__(
        self,
        code: int | None,
        http_status: int,
        message: str,
        remedy: str = "",
        *,
        retry_after: float | None = None,
        name: str | None = None,
        endpoint: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code
        self.http_status = http_status
        self.retry_after = retry_after
        self.name = name
        self.endpoint = endpoint
        self.headers = dict(headers or {})
        super().__init__(message, remedy)

    def __str__(self) -> str:
        where = f" on {self.endpoint}" if self.endpoint else ""
        code = f"{self.code} {self.name}" if self.code is not None else "error"
        retry = f" Retry after {self.retry_after:g} s." if self.retry_after is not None else ""
        fix = f" Fix: {self.remedy}" if self.remedy else ""
        return f"Binance {code} (HTTP {self.http_status}){where}: {self.message}{retry}{fix}"

    def __reduce__(self):  # keep pickling working for multiprocessing
        return (
            _rebuild,
            (type(self), self.code, self.http_status, self.message, self.remedy, self.retry_after,
             self.name, self.endpoint, self.headers),
        )


def _rebuild(cls, code, status, message, remedy, retry_after, name, endpoint, headers):
    return cls(code, status, message, remedy, retry_after=retry_after, name=name, endpoint=endpoint,
               headers=headers)


class ExecutionStatusUnknown(BinanceAPIError):
    """HTTP 5xx: Binance does not know whether the request executed. Not a failure."""


class ServerBusyError(BinanceAPIError):
    """-1008: Binance is overloaded; the request was not executed."""


class WAFRejectedError(BinanceAPIError):
    """HTTP 403: Binance's web application firewall blocked the request."""


class RateLimitError(BinanceAPIError):
    """HTTP 429 -1003: too much request weight or too many raw requests."""


class IPBannedError(RateLimitError):
    """HTTP 418: this IP is banned until ``retry_after`` seconds from now."""


class OrderRateLimitError(RateLimitError):
    """HTTP 429 -1015: the account's unfilled order count is at its limit."""


class AuthenticationError(BinanceAPIError):
    """Key, IP whitelist or permission problems (HTTP 401)."""


class ApiKeyFormatError(AuthenticationError):
    """-2014: the API key is malformed."""


class ApiKeyRejectedError(AuthenticationError):
    """-2015: unknown key, IP not whitelisted, permission missing or wrong environment."""


class UnauthorizedError(AuthenticationError):
    """-1002: the key is not authorized for this request."""


class SignatureError(BinanceAPIError):
    """-1022: the signature does not match the bytes Binance received."""


class TimestampError(BinanceAPIError):
    """-1021: the timestamp is outside the recvWindow or ahead of the server's time."""


class RequestError(BinanceAPIError):
    """-11xx: a parameter is missing, unknown, duplicated or malformed."""


class FilterError(RequestError):
    """-1013: the order breaks a symbol filter (PRICE_FILTER, LOT_SIZE, NOTIONAL, ...)."""


class OrderRejectedError(BinanceAPIError):
    """-2010: the matching engine rejected a new order (balance, duplicate id, market closed...)."""


class CancelRejectedError(BinanceAPIError):
    """-2011: the cancel was rejected."""


class NoSuchOrderError(BinanceAPIError):
    """-2013: the order does not exist."""


_BY_CODE: dict[int, type[BinanceAPIError]] = {
    -1000: ExecutionStatusUnknown,
    -1001: ExecutionStatusUnknown,
    -1006: ExecutionStatusUnknown,
    -1007: ExecutionStatusUnknown,
    -1008: ServerBusyError,
    -1002: UnauthorizedError,
    -1003: RateLimitError,
    -1015: OrderRateLimitError,
    -1013: FilterError,
    -1021: TimestampError,
    -1022: SignatureError,
    -2010: OrderRejectedError,
    -2011: CancelRejectedError,
    -2013: NoSuchOrderError,
    -2014: ApiKeyFormatError,
    -2015: ApiKeyRejectedError,
}


def exception_class_for(code: int | None, http_status: int) -> type[BinanceAPIError]:
    if http_status == 418:
        return IPBannedError
    if http_status >= 500 and code != -1008:
        return ExecutionStatusUnknown
    if code in _BY_CODE:
        return _BY_CODE[code]
    if http_status == 403:
        return WAFRejectedError
    if http_status == 429:
        return RateLimitError
    if code is not None and -1199 <= code <= -1100:
        return RequestError
    if http_status == 401:
        return AuthenticationError
    return BinanceAPIError


def _parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def error_from_response(
    http_status: int,
    body: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str] | None = None,
    *,
    endpoint: str | None = None,
) -> BinanceAPIError:
    """Build the typed exception for a non-2xx Binance answer, with its remedy."""
    from keysafe.spec.errors import ERRORS, HTTP_STATUS_REMEDIES  # the table loads on the first error only

    code: int | None = None
    msg = ""
    data: Any = body
    if isinstance(body, (bytes, str)):
        try:
            data = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            data = None
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            msg = " ".join(text.split())[:200]
    if isinstance(data, Mapping):
        raw_code = data.get("code")
        if isinstance(raw_code, int) or (isinstance(raw_code, str) and raw_code.lstrip("-").isdigit()):
            code = int(raw_code)
        msg = str(data.get("msg", msg))
    spec: ErrorSpec | None = ERRORS.get(code) if code is not None else None
    remedy = spec.remedy if spec else ""
    if not remedy:
        remedy = HTTP_STATUS_REMEDIES.get(http_status, "")
    if not remedy and http_status >= 500:
        remedy = ERRORS[-1007].remedy
    if not msg:
        msg = spec.message if spec else f"HTTP {http_status} with no Binance error body."
    cls = exception_class_for(code, http_status)
    return cls(
        code,
        http_status,
        msg,
        remedy,
        retry_after=_parse_retry_after(headers),
        name=spec.name if spec else None,
        endpoint=endpoint,
        headers=headers,
    )
