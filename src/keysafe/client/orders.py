"""Orders that are never placed twice.

The client sets ``newClientOrderId`` itself. When the answer is lost (timeout, reset) or
Binance says the execution status is unknown (5xx), the client does not send again: it
queries the order by that id. Found: that is the outcome. Not found once the request's
``recvWindow`` has passed at the server (Binance re-checks it just before the matching
engine, so the order can no longer appear): it was not placed, and the caller is told so.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from keysafe.errors import ConfigurationError, KeysafeError

_CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}\Z")
#: extra server time to wait beyond timestamp + recvWindow before concluding "not placed"
SETTLE_MARGIN_MS = 1000
#: give up querying an unknown outcome after this long (seconds) and say it is unknown
RESOLVE_TIMEOUT_S = 60.0


class OrderNotPlacedError(KeysafeError):
    """The order's outcome was unknown; a query by its client order id proved it was not placed."""

    def __init__(self, message: str, remedy: str = "", *, client_order_id: str = "") -> None:
        self.client_order_id = client_order_id
        super().__init__(message, remedy)


class OrderStatusUnknownError(KeysafeError):
    """The outcome of an order could not be established (the exchange kept failing)."""

    def __init__(self, message: str, remedy: str = "", *, client_order_id: str = "") -> None:
        self.client_order_id = client_order_id
        super().__init__(message, remedy)


def new_client_order_id(prefix: str = "ks") -> str:
    """A unique id Binance accepts (``^[.A-Z:/a-z0-9_-]{1,36}$``)."""
    return f"{prefix}{uuid.uuid4().hex}"[:36]


def order_params(symbol: str, side: str, type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"symbol": symbol, "side": str(side).upper(), "type": str(type).upper(), **params}
    cid = out.get("newClientOrderId")
    if cid is None:
        out["newClientOrderId"] = new_client_order_id()
    elif not isinstance(cid, str) or not _CLIENT_ID.match(cid):
        raise ConfigurationError(
            f"newClientOrderId {str(cid)[:40]!r} is not accepted by Binance (1-36 of A-Z a-z 0-9 . : / _ -).",
            "Leave it out (keysafe makes a unique one) or use only those characters.",
        )
    return out


def order_ref(order_id: int | None, client_order_id: str | None) -> dict[str, Any]:
    if order_id is None and client_order_id is None:
        raise ConfigurationError("Neither order_id nor client_order_id was given.",
                                 "Pass the orderId Binance returned or the newClientOrderId you placed it with.")
    return {"orderId": order_id, "origClientOrderId": client_order_id}


def not_placed(client_order_id: str, cause: BaseException) -> OrderNotPlacedError:
    return OrderNotPlacedError(
        f"Order {client_order_id} was NOT placed: its outcome was unknown ({type(cause).__name__}) and a query "
        "after its recvWindow expired found no such order.",
        "Nothing executed; place it again if you still want it.",
        client_order_id=client_order_id,
    )


def still_unknown(client_order_id: str, cause: BaseException) -> OrderStatusUnknownError:
    return OrderStatusUnknownError(
        f"Order {client_order_id}: the outcome is still unknown after {RESOLVE_TIMEOUT_S:.0f} s of queries "
        f"({type(cause).__name__}).",
        f"Check it with get_order(symbol, client_order_id={client_order_id!r}) before placing anything else.",
        client_order_id=client_order_id,
    )
