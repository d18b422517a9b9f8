"""Every spot REST endpoint of the spec digest (section 6) and the SAPI endpoints of section 7.

An :class:`Endpoint` says how Binance treats a call: its security type (does it need a
key and a signature), its weight as a function of the parameters, the key permission it
needs, its effect on the unfilled-order count, the scope the weight is charged to, and
the parameters it accepts. The client reserves budget from it, the sandbox validates
with it, and the audit compares profiles against it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from keysafe.spec.permissions import Permission


class Security(StrEnum):
    NONE = "NONE"
    TRADE = "TRADE"
    USER_DATA = "USER_DATA"
    USER_STREAM = "USER_STREAM"

    @property
    def signed(self) -> bool:
        return self in (Security.TRADE, Security.USER_DATA)

    @property
    def needs_key(self) -> bool:
        return self is not Security.NONE


class WeightScope(StrEnum):
    IP = "IP"
    UID = "UID"


class Lane(IntEnum):
    """Priority lanes for the governor: lower value goes first."""

    CANCEL = 0
    ORDER = 1
    ACCOUNT = 2
    MARKET = 3


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter an endpoint accepts.

    ``kind`` is one of: string, symbol, symbols (JSON list), long, int, decimal, bool, enum.
    """

    name: str
    kind: str = "string"
    required: bool = False
    choices: tuple[str, ...] = ()


WeightRule = Callable[[Mapping[str, Any]], int]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    security: Security
    weight_rule: WeightRule
    permission: Permission | None
    lane: Lane
    order_count: int = 0
    zero_weight_on_success: bool = False
    scope: WeightScope = WeightScope.IP
    weight_interval: str = "1M"
    params: tuple[Param, ...] | None = ()  # None: not validated parameter by parameter
    doc: str = ""
    _param_index: dict[str, Param] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.params is not None:
            full = self.params + (_SIGNED_PARAMS if self.security.signed else ())
            object.__setattr__(self, "params", full)
            self._param_index.update({p.name: p for p in full})

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def is_sapi(self) -> bool:
        return self.path.startswith("/sapi/")

    @property
    def is_withdrawal(self) -> bool:
        return self.permission is Permission.WITHDRAWALS

    @property
    def places_orders(self) -> bool:
        return self.order_count > 0

    def weight(self, params: Mapping[str, Any] | None = None) -> int:
        """The weight Binance charges before it knows the outcome."""
        return self.weight_rule(params or {})

    def settled_weight(self, params: Mapping[str, Any] | None, succeeded: bool) -> int:
        """The weight actually charged: 0 for successful order and cancel calls (2026-04-02)."""
        if succeeded and self.zero_weight_on_success:
            return 0
        return self.weight(params)

    def param(self, name: str) -> Param | None:
        return self._param_index.get(name)


# ---------------------------------------------------------------- weight rules


def fixed(n: int) -> WeightRule:
    def rule(_params: Mapping[str, Any]) -> int:
        return n

    rule.__doc__ = f"weight {n}"
    return rule


def _int(params: Mapping[str, Any], name: str, default: int) -> int:
    try:
        return int(str(params.get(name, default)))
    except (TypeError, ValueError):
        return default


def _symbol_count(params: Mapping[str, Any]) -> int | None:
    """None when neither symbol nor symbols is given; else how many symbols."""
    if params.get("symbol") not in (None, ""):
        return 1
    symbols = params.get("symbols")
    if symbols in (None, ""):
        return None
    if isinstance(symbols, (list, tuple)):
        return len(symbols)
    text = str(symbols).strip().strip("[]")
    return len([s for s in text.split(",") if s.strip()]) if text else 0


def depth_weight(params: Mapping[str, Any]) -> int:
    limit = _int(params, "limit", 100)
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    if limit <= 1000:
        return 50
    return 250


def ticker_24hr_weight(params: Mapping[str, Any]) -> int:
    n = _symbol_count(params)
    if n is None:
        return 80
    if n <= 20:
        return 2
    if n <= 100:
        return 40
    return 80


def single_or_all_weight(params: Mapping[str, Any]) -> int:
    """ticker/price and ticker/bookTicker: 2 for one symbol, 4 for several or all."""
    return 2 if params.get("symbol") not in (None, "") else 4


def rolling_ticker_weight(params: Mapping[str, Any]) -> int:
    n = _symbol_count(params) or 1
    return min(4 * n, 200)


def open_orders_weight(params: Mapping[str, Any]) -> int:
    return 6 if params.get("symbol") not in (None, "") else 80


def my_trades_weight(params: Mapping[str, Any]) -> int:
    return 5 if params.get("orderId") not in (None, "") else 20


def order_test_weight(params: Mapping[str, Any]) -> int:
    flag = str(params.get("computeCommissionRates", "")).lower()
    return 20 if flag == "true" else 1


# ---------------------------------------------------------------- parameters

_SIGNED_PARAMS = (Param("recvWindow", "decimal"), Param("timestamp", "long", required=True))
_SIDE = Param("side", "enum", required=True, choices=("BUY", "SELL"))
_ORDER_TYPES = (
    "LIMIT",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
    "LIMIT_MAKER",
)
_TIF = Param("timeInForce", "enum", choices=("GTC", "IOC", "FOK"))
_RESP = Param("newOrderRespType", "enum", choices=("ACK", "RESULT", "FULL"))
_STP = Param(
    "selfTradePreventionMode",
    "enum",
    choices=("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER"),
)
_SYMBOL = Param("symbol", "symbol", required=True)
_OPT_SYMBOL = Param("symbol", "symbol")
_SYMBOLS = Param("symbols", "symbols")
_INTERVAL = Param(
    "interval",
    "enum",
    required=True,
    choices=("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"),
)
_NEW_ORDER_PARAMS = (
    _SYMBOL,
    _SIDE,
    Param("type", "enum", required=True, choices=_ORDER_TYPES),
    _TIF,
    Param("quantity", "decimal"),
    Param("quoteOrderQty", "decimal"),
    Param("price", "decimal"),
    Param("newClientOrderId", "string"),
    Param("strategyId", "long"),
    Param("strategyType", "int"),
    Param("stopPrice", "decimal"),
    Param("trailingDelta", "long"),
    Param("icebergQty", "decimal"),
    _RESP,
    _STP,
    Param("pegPriceType", "enum", choices=("PRIMARY_PEG", "MARKET_PEG")),
    Param("pegOffsetValue", "int"),
    Param("pegOffsetType", "enum", choices=("PRICE_LEVEL",)),
)
_ORDER_REF = (
    _SYMBOL,
    Param("orderId", "long"),
    Param("origClientOrderId", "string"),
)
_TIME_RANGE = (Param("startTime", "long"), Param("endTime", "long"), Param("limit", "int"))

# ---------------------------------------------------------------- the catalogue

_R = Permission.READING
_T = Permission.SPOT_AND_MARGIN_TRADING
S = Security
L = Lane


def _ep(method: str, path: str, security: Security, weight: int | WeightRule, permission, lane, **kw) -> Endpoint:
    rule = fixed(weight) if isinstance(weight, int) else weight
    return Endpoint(method, path, security, rule, permission, lane, **kw)


ENDPOINTS: tuple[Endpoint, ...] = (
    # market data (NONE)
    _ep("GET", "/api/v3/ping", S.NONE, 1, None, L.MARKET, doc="Test connectivity."),
    _ep("GET", "/api/v3/time", S.NONE, 1, None, L.MARKET, doc="Server time."),
    _ep(
        "GET", "/api/v3/exchangeInfo", S.NONE, 20, None, L.MARKET,
        params=(_OPT_SYMBOL, _SYMBOLS, Param("permissions"), Param("showPermissionSets", "bool"),
                Param("symbolStatus", "enum", choices=("TRADING", "END_OF_DAY", "HALT", "BREAK", "CANCEL_ONLY"))),
        doc="Trading rules, rate limits and symbols.",
    ),
    _ep("GET", "/api/v3/depth", S.NONE, depth_weight, None, L.MARKET,
        params=(_SYMBOL, Param("limit", "int"), Param("symbolStatus", "string")), doc="Order book."),
    _ep("GET", "/api/v3/trades", S.NONE, 25, None, L.MARKET,
        params=(_SYMBOL, Param("limit", "int")), doc="Recent trades."),
    _ep("GET", "/api/v3/historicalTrades", S.NONE, 25, None, L.MARKET,
        params=(_SYMBOL, Param("limit", "int"), Param("fromId", "long")), doc="Older trades."),
    _ep("GET", "/api/v3/aggTrades", S.NONE, 4, None, L.MARKET,
        params=(_SYMBOL, Param("fromId", "long"), *_TIME_RANGE), doc="Aggregate trades."),
    _ep("GET", "/api/v3/klines", S.NONE, 2, None, L.MARKET,
        params=(_SYMBOL, _INTERVAL, *_TIME_RANGE, Param("timeZone")), doc="Candlesticks."),
    _ep("GET", "/api/v3/uiKlines", S.NONE, 2, None, L.MARKET,
        params=(_SYMBOL, _INTERVAL, *_TIME_RANGE, Param("timeZone")), doc="Candlesticks for charts."),
    _ep("GET", "/api/v3/avgPrice", S.NONE, 2, None, L.MARKET, params=(_SYMBOL,), doc="Average price."),
    _ep("GET", "/api/v3/ticker/24hr", S.NONE, ticker_24hr_weight, None, L.MARKET,
        params=(_OPT_SYMBOL, _SYMBOLS, Param("type", "enum", choices=("FULL", "MINI")),
                Param("symbolStatus")), doc="24 h statistics."),
    _ep("GET", "/api/v3/ticker/price", S.NONE, single_or_all_weight, None, L.MARKET,
        params=(_OPT_SYMBOL, _SYMBOLS, Param("symbolStatus")), doc="Last price."),
    _ep("GET", "/api/v3/ticker/bookTicker", S.NONE, single_or_all_weight, None, L.MARKET,
        params=(_OPT_SYMBOL, _SYMBOLS, Param("symbolStatus")), doc="Best bid and ask."),
    _ep("GET", "/api/v3/ticker", S.NONE, rolling_ticker_weight, None, L.MARKET,
        params=(_OPT_SYMBOL, _SYMBOLS, Param("windowSize"), Param("type", "enum", choices=("FULL", "MINI")),
                Param("symbolStatus")), doc="Rolling-window statistics."),
    _ep("GET", "/api/v3/ticker/tradingDay", S.NONE, rolling_ticker_weight, None, L.MARKET,
        params=(_OPT_SYMBOL, _SYMBOLS, Param("timeZone"), Param("type", "enum", choices=("FULL", "MINI")),
                Param("symbolStatus")), doc="Trading-day statistics."),
    # trading (TRADE)
    _ep("POST", "/api/v3/order", S.TRADE, 1, _T, L.ORDER, order_count=1, zero_weight_on_success=True,
        params=_NEW_ORDER_PARAMS, doc="Place an order."),
    _ep("POST", "/api/v3/order/test", S.TRADE, order_test_weight, _T, L.ORDER,
        params=(*_NEW_ORDER_PARAMS, Param("computeCommissionRates", "bool")),
        doc="Validate an order without sending it to the matching engine."),
    _ep("DELETE", "/api/v3/order", S.TRADE, 1, _T, L.CANCEL, zero_weight_on_success=True,
        params=(*_ORDER_REF, Param("newClientOrderId"),
                Param("cancelRestrictions", "enum", choices=("ONLY_NEW", "ONLY_PARTIALLY_FILLED"))),
        doc="Cancel an order."),
    _ep("DELETE", "/api/v3/openOrders", S.TRADE, 1, _T, L.CANCEL, zero_weight_on_success=True,
        params=(_SYMBOL,), doc="Cancel every open order on a symbol."),
    _ep("POST", "/api/v3/order/cancelReplace", S.TRADE, 1, _T, L.ORDER, order_count=1,
        zero_weight_on_success=True, params=None, doc="Cancel an order and place a new one."),
    _ep("PUT", "/api/v3/order/amend/keepPriority", S.TRADE, 4, _T, L.ORDER, params=None,
        doc="Reduce an order's quantity keeping its priority."),
    _ep("POST", "/api/v3/orderList/oco", S.TRADE, 1, _T, L.ORDER, order_count=2,
        zero_weight_on_success=True, params=None, doc="One-cancels-the-other order list."),
    _ep("POST", "/api/v3/orderList/oto", S.TRADE, 1, _T, L.ORDER, order_count=2,
        zero_weight_on_success=True, params=None, doc="One-triggers-the-other order list."),
    _ep("POST", "/api/v3/orderList/otoco", S.TRADE, 1, _T, L.ORDER, order_count=3,
        zero_weight_on_success=True, params=None, doc="One-triggers-OCO order list."),
    _ep("POST", "/api/v3/orderList/opo", S.TRADE, 1, _T, L.ORDER, order_count=2,
        zero_weight_on_success=True, params=None, doc="One-places-the-other order list."),
    _ep("POST", "/api/v3/orderList/opoco", S.TRADE, 1, _T, L.ORDER, order_count=3,
        zero_weight_on_success=True, params=None, doc="One-places-OCO order list."),
    # account (USER_DATA)
    _ep("GET", "/api/v3/order", S.USER_DATA, 4, _R, L.ACCOUNT, params=_ORDER_REF, doc="Query an order."),
    _ep("GET", "/api/v3/openOrders", S.USER_DATA, open_orders_weight, _R, L.ACCOUNT,
        params=(_OPT_SYMBOL,), doc="Open orders."),
    _ep("GET", "/api/v3/allOrders", S.USER_DATA, 20, _R, L.ACCOUNT,
        params=(_SYMBOL, Param("orderId", "long"), *_TIME_RANGE), doc="All orders of a symbol."),
    _ep("GET", "/api/v3/account", S.USER_DATA, 20, _R, L.ACCOUNT,
        params=(Param("omitZeroBalances", "bool"),), doc="Balances and account flags."),
    _ep("GET", "/api/v3/myTrades", S.USER_DATA, my_trades_weight, _R, L.ACCOUNT,
        params=(_SYMBOL, Param("orderId", "long"), Param("fromId", "long"), *_TIME_RANGE),
        doc="The account's trades."),
    _ep("GET", "/api/v3/rateLimit/order", S.USER_DATA, 40, _R, L.ACCOUNT, params=(),
        doc="Current unfilled order counts."),
    _ep("GET", "/api/v3/account/commission", S.USER_DATA, 20, _R, L.ACCOUNT, params=(_SYMBOL,),
        doc="Commission rates."),
    _ep("GET", "/api/v3/myAllocations", S.USER_DATA, 20, _R, L.ACCOUNT, params=None, doc="SOR allocations."),
    _ep("GET", "/api/v3/myFilters", S.USER_DATA, 40, _R, L.ACCOUNT, params=(_SYMBOL,), doc="Account filters."),
    # SAPI (section 7)
    _ep("GET", "/sapi/v1/account/apiRestrictions", S.USER_DATA, 1, _R, L.ACCOUNT, params=(),
        doc="The calling key's permissions and IP restriction."),
    _ep("GET", "/sapi/v1/system/status", S.NONE, 1, None, L.MARKET, params=(), doc="System status."),
    _ep("POST", "/sapi/v1/capital/withdraw/apply", S.USER_DATA, 600, Permission.WITHDRAWALS, L.ACCOUNT,
        scope=WeightScope.UID,
        params=(Param("coin", required=True), Param("withdrawOrderId"), Param("network"),
                Param("address", required=True), Param("addressTag"), Param("amount", "decimal", required=True),
                Param("transactionFeeFlag", "bool"), Param("name"), Param("walletType", "int")),
        doc="Withdraw funds to an external address."),
    _ep("GET", "/sapi/v1/capital/withdraw/history", S.USER_DATA, 18000, _R, L.ACCOUNT,
        weight_interval="1S", params=None, doc="Withdrawal history."),
)

_BY_KEY: dict[tuple[str, str], Endpoint] = {e.key: e for e in ENDPOINTS}


def find_endpoint(method: str, path: str) -> Endpoint | None:
    """The catalogue entry for ``METHOD /path``, or None."""
    return _BY_KEY.get((method.upper(), path))


def get_endpoint(method: str, path: str) -> Endpoint:
    """Like :func:`find_endpoint` but raises KeyError naming the closest known paths."""
    ep = find_endpoint(method, path)
    if ep is None:
        same_path = sorted(m for (m, p) in _BY_KEY if p == path)
        hint = f" (known methods for this path: {', '.join(same_path)})" if same_path else ""
        raise KeyError(f"{method.upper()} {path} is not in keysafe's endpoint catalogue{hint}")
    return ep
