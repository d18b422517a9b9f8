"""Step 8 of the pipeline: what each endpoint does once a request is valid.

A handler takes a :class:`Ctx` and returns the JSON-able answer, or raises ApiError.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from keysafe.sandbox.engine import EngineError, Order, f8
from keysafe.sandbox.limits import retry_after_seconds, window_text
from keysafe.sandbox.market import KLINE_MS, Symbol
from keysafe.sandbox.pipeline import ApiError, err
from keysafe.spec import Permission

if TYPE_CHECKING:
    from keysafe.sandbox.exchange import Exchange

D = Decimal


@dataclass(slots=True)
class Ctx:
    ex: Exchange
    params: dict[str, str]
    now: int
    ip: str
    key: Any = None
    ts: Decimal | None = None
    recv_window: Decimal | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    succeeded_order_call: bool = False


def _symbol(ctx: Ctx, name: str = "symbol") -> Symbol:
    sym = ctx.ex.market.symbols.get(ctx.params.get(name, ""))
    if sym is None:
        raise err(-1121)
    return sym


def _symbols(ctx: Ctx) -> list[Symbol]:
    """symbol=, symbols=[...] or every symbol."""
    if "symbol" in ctx.params and "symbols" in ctx.params:
        raise err(-1128, 0)
    if "symbol" in ctx.params:
        return [_symbol(ctx)]
    if "symbols" in ctx.params:
        try:
            names = json.loads(ctx.params["symbols"])
        except ValueError:
            names = None
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise err(-1100, 1, "symbols", '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$')
        if len(set(names)) != len(names):
            raise err(-1151)
        out = []
        for n in names:
            s = ctx.ex.market.symbols.get(n)
            if s is None:
                raise err(-1121)
            out.append(s)
        return out
    return list(ctx.ex.market.symbols.values())


def _limit(ctx: Ctx, default: int, maximum: int) -> int:
    raw = ctx.params.get("limit")
    if raw is None:
        return default
    n = int(raw)
    if n <= 0:
        raise err(-1100, 1, "limit", "^[0-9]{1,20}$")
    return min(n, maximum)


def _opt_int(ctx: Ctx, name: str) -> int | None:
    raw = ctx.params.get(name)
    return int(raw) if raw is not None else None


def _opt_time(ctx: Ctx, name: str) -> int | None:
    """``startTime``/``endTime`` in ms; Binance also takes them in µs (16 digits) since 2024-12."""
    value = _opt_int(ctx, name)
    return value // 1000 if value is not None and value >= 10**14 else value


def _one_or_many(ctx: Ctx, make) -> Any:
    syms = _symbols(ctx)
    items = [make(s) for s in syms]
    return items[0] if "symbol" in ctx.params else items


# ---------------------------------------------------------------- market data


def ping(ctx: Ctx) -> Any:
    return {}


def server_time(ctx: Ctx) -> Any:
    return {"serverTime": ctx.now}


def exchange_info(ctx: Ctx) -> Any:
    syms = _symbols(ctx)
    status = ctx.params.get("symbolStatus")
    if status is not None:
        if status not in ("TRADING", "END_OF_DAY", "HALT", "BREAK", "CANCEL_ONLY"):
            raise err(-1122)
        if "symbol" in ctx.params and syms[0].status != status:
            raise err(-1220)
        syms = [s for s in syms if s.status == status]
    return {"timezone": "UTC", "serverTime": ctx.now,
            "rateLimits": [lim.to_json() for lim in ctx.ex.rate_limits()],
            "exchangeFilters": [], "symbols": [s.to_json() for s in syms]}


def depth(ctx: Ctx) -> Any:
    sym = _symbol(ctx)
    limit = _limit(ctx, 100, 5000)
    bids, asks = ctx.ex.market.book(sym.symbol, ctx.now)
    return {"lastUpdateId": ctx.now // 1000,
            "bids": [[f8(p), f8(q)] for p, q in bids[:limit]], "asks": [[f8(p), f8(q)] for p, q in asks[:limit]]}


def trades(ctx: Ctx) -> Any:
    sym = _symbol(ctx)
    return ctx.ex.market.trades(sym.symbol, ctx.now, _limit(ctx, 500, 1000))


def agg_trades(ctx: Ctx) -> Any:
    return [{"a": t["id"], "p": t["price"], "q": t["qty"], "f": t["id"], "l": t["id"], "T": t["time"],
             "m": t["isBuyerMaker"], "M": True} for t in trades(ctx)]


def klines(ctx: Ctx) -> Any:
    sym = _symbol(ctx)
    interval = ctx.params.get("interval")
    if interval not in KLINE_MS:
        raise err(-1120)
    step = KLINE_MS[interval]
    limit = _limit(ctx, 500, 1000)
    start, end = _opt_time(ctx, "startTime"), _opt_time(ctx, "endTime")
    if start is not None:
        first = start // step * step + (step if start % step else 0)
    else:
        last = (end if end is not None else ctx.now) // step * step
        first = last - (limit - 1) * step
    out = []
    t = first
    stop = min(end if end is not None else ctx.now, ctx.now)
    while len(out) < limit and t <= stop:
        out.append(ctx.ex.market.kline(sym.symbol, t, step))
        t += step
    return out


def avg_price(ctx: Ctx) -> Any:
    sym = _symbol(ctx)
    return {"mins": 5, "price": f8(ctx.ex.market.avg_price(sym.symbol, ctx.now)), "closeTime": ctx.now}


def ticker_price(ctx: Ctx) -> Any:
    return _one_or_many(ctx, lambda s: {"symbol": s.symbol, "price": f8(ctx.ex.market.mid(s.symbol, ctx.now))})


def book_ticker(ctx: Ctx) -> Any:
    def one(s: Symbol) -> dict[str, Any]:
        bids, asks = ctx.ex.market.book(s.symbol, ctx.now)
        return {"symbol": s.symbol, "bidPrice": f8(bids[0][0]), "bidQty": f8(bids[0][1]),
                "askPrice": f8(asks[0][0]), "askQty": f8(asks[0][1])}
    return _one_or_many(ctx, one)


def ticker_24hr(ctx: Ctx) -> Any:
    kind = ctx.params.get("type", "FULL")
    if kind not in ("FULL", "MINI"):
        raise err(-1139)

    def one(s: Symbol) -> dict[str, Any]:
        m = ctx.ex.market
        now, day = ctx.now, 86_400_000
        last, opened = m.mid(s.symbol, now), m.mid(s.symbol, now - day)
        samples = [m.mid(s.symbol, now - day + k * 3_600_000) for k in range(25)]
        vol = s.floor_qty(D(5_000_000) / last)
        data = {"symbol": s.symbol, "openPrice": f8(opened), "highPrice": f8(max(samples)),
                "lowPrice": f8(min(samples)), "lastPrice": f8(last), "volume": f8(vol),
                "quoteVolume": f8(vol * last), "openTime": now - day, "closeTime": now,
                "firstId": (now - day) // 1000, "lastId": now // 1000, "count": 86400}
        if kind == "FULL":
            bids, asks = m.book(s.symbol, now)
            change = last - opened
            data.update({"priceChange": f8(change), "priceChangePercent": f"{change / opened * 100:.3f}",
                         "weightedAvgPrice": f8(m.avg_price(s.symbol, now)), "prevClosePrice": f8(opened),
                         "lastQty": f8(s.min_qty), "bidPrice": f8(bids[0][0]), "bidQty": f8(bids[0][1]),
                         "askPrice": f8(asks[0][0]), "askQty": f8(asks[0][1])})
        return data
    return _one_or_many(ctx, one)


def system_status(ctx: Ctx) -> Any:
    if ctx.ex.config.maintenance:
        return {"status": 1, "msg": "system_maintenance"}
    return {"status": 0, "msg": "normal"}


# ---------------------------------------------------------------- account


def account(ctx: Ctx) -> Any:
    ctx.ex.sweep(ctx.key.account, ctx.now)
    can_trade = ctx.key.has(Permission.SPOT_AND_MARGIN_TRADING, ctx.now)
    omit = ctx.params.get("omitZeroBalances", "false").lower() == "true"
    return ctx.ex.engine.account_json(ctx.key.account, can_trade, ctx.now, omit)


def api_restrictions(ctx: Ctx) -> Any:
    return ctx.key.restrictions()


def commission(ctx: Ctx) -> Any:
    _symbol(ctx)
    rates = {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000", "seller": "0.00000000"}
    return {"symbol": ctx.params["symbol"], "standardCommission": rates, "specialCommission": dict(rates),
            "taxCommission": {k: "0.00000000" for k in rates},
            "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB",
                         "discount": "0.00000000"}}


def my_filters(ctx: Ctx) -> Any:
    _symbol(ctx)
    return {"exchangeFilters": [], "symbolFilters": [], "assetFilters": []}


def rate_limit_order(ctx: Ctx) -> Any:
    return [dict(lim.to_json(), count=n) for lim, n in ctx.ex.orders.counts(ctx.key.account, ctx.now)]


def open_orders(ctx: Ctx) -> Any:
    sym = _symbol(ctx) if "symbol" in ctx.params else None
    ctx.ex.sweep(ctx.key.account, ctx.now)
    return [o.to_json() for o in ctx.ex.engine.open_orders(ctx.key.account, sym.symbol if sym else None)]


def _check_range(ctx: Ctx) -> tuple[int | None, int | None]:
    start, end = _opt_time(ctx, "startTime"), _opt_time(ctx, "endTime")
    if start is not None and end is not None and end - start > 86_400_000:
        raise err(-1127, 1, 24)
    return start, end


def all_orders(ctx: Ctx) -> Any:
    sym = _symbol(ctx)
    start, end = _check_range(ctx)
    ctx.ex.sweep(ctx.key.account, ctx.now)
    orders = ctx.ex.engine.all_orders(ctx.key.account, sym.symbol, _opt_int(ctx, "orderId"), start, end,
                                      _limit(ctx, 500, 1000))
    return [o.to_json() for o in orders]


def my_trades(ctx: Ctx) -> Any:
    sym = _symbol(ctx)
    start, end = _check_range(ctx)
    ctx.ex.sweep(ctx.key.account, ctx.now)
    return ctx.ex.engine.my_trades(ctx.key.account, sym.symbol, _opt_int(ctx, "orderId"), _opt_int(ctx, "fromId"),
                                   start, end, _limit(ctx, 500, 1000))


def _find_order(ctx: Ctx, sym: Symbol, missing: ApiError) -> Order:
    order_id = _opt_int(ctx, "orderId")
    client_id = ctx.params.get("origClientOrderId")
    if order_id is None and client_id is None:
        raise err(-1102, 2, "origClientOrderId", "orderId")
    order = ctx.ex.engine.find(ctx.key.account, sym.symbol, order_id, client_id)
    if order is None:
        raise missing
    return order


def query_order(ctx: Ctx) -> Any:
    sym = _symbol(ctx)
    ctx.ex.sweep(ctx.key.account, ctx.now)
    return _find_order(ctx, sym, err(-2013)).to_json()


def _cancel_json(order: Order, cancel_id: str, now: int) -> dict[str, Any]:
    data = order.to_json()
    return {"symbol": order.symbol, "origClientOrderId": order.client_order_id, "orderId": order.order_id,
            "orderListId": -1, "clientOrderId": cancel_id, "transactTime": now,
            **{k: data[k] for k in ("price", "origQty", "executedQty", "cummulativeQuoteQty", "status",
                                    "timeInForce", "type", "side", "selfTradePreventionMode")}}


def cancel_order(ctx: Ctx) -> Any:
    sym = _symbol(ctx)
    ctx.ex.sweep(ctx.key.account, ctx.now)
    order = _find_order(ctx, sym, err(-2011, 0))
    try:
        ctx.ex.engine.cancel(ctx.key.account, sym, order, ctx.now)
    except EngineError as exc:
        raise ApiError(exc.code, exc.msg) from None
    ctx.succeeded_order_call = True
    return _cancel_json(order, ctx.params.get("newClientOrderId") or f"cancel{order.order_id}", ctx.now)


def cancel_open_orders(ctx: Ctx) -> Any:
    sym = _symbol(ctx)
    ctx.ex.sweep(ctx.key.account, ctx.now)
    orders = ctx.ex.engine.open_orders(ctx.key.account, sym.symbol)
    if not orders:
        raise err(-2011, 0)
    out = []
    for order in orders:
        ctx.ex.engine.cancel(ctx.key.account, sym, order, ctx.now)
        out.append(_cancel_json(order, f"cancel{order.order_id}", ctx.now))
    ctx.succeeded_order_call = True
    return out


# ---------------------------------------------------------------- new orders


def _dec(ctx: Ctx, name: str) -> Decimal | None:
    raw = ctx.params.get(name)
    return D(raw) if raw is not None else None


def _check_filters(ctx: Ctx, sym: Symbol, otype: str, price, qty, quote_qty) -> None:
    if price is not None:
        if price < sym.min_price or price > sym.max_price or price % sym.tick_size != 0:
            raise err(-1013, 1, "PRICE_FILTER")
    if qty is not None:
        if qty < sym.min_qty or qty > sym.max_qty or qty % sym.step_size != 0:
            raise err(-1013, 1, "LOT_SIZE")
    if otype == "MARKET":
        notional = quote_qty if quote_qty is not None else qty * ctx.ex.market.avg_price(sym.symbol, ctx.now)
        if notional < sym.min_notional:
            raise err(-1013, 1, "NOTIONAL")
    else:
        notional = price * qty
        if notional <= 0:
            raise err(-2010, 5)
        if notional < sym.min_notional or notional > sym.max_notional:
            raise err(-1013, 1, "NOTIONAL")


def new_order(ctx: Ctx, test: bool = False) -> Any:
    p = ctx.params
    sym = _symbol(ctx)
    side, otype, tif = p.get("side"), p.get("type"), p.get("timeInForce")
    if side not in ("BUY", "SELL"):
        raise err(-1117)
    if otype not in ("LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                     "TAKE_PROFIT_LIMIT"):
        raise err(-1116)
    if otype.startswith("STOP_LOSS"):  # the sandbox's symbols list LIMIT, LIMIT_MAKER and MARKET only
        raise ApiError(-2010, "Stop loss orders are not supported for this symbol.")
    if otype.startswith("TAKE_PROFIT"):
        raise ApiError(-2010, "Take profit orders are not supported for this symbol.")
    if tif is not None and tif not in ("GTC", "IOC", "FOK"):
        raise err(-1115)
    price, qty, quote_qty = _dec(ctx, "price"), _dec(ctx, "quantity"), _dec(ctx, "quoteOrderQty")
    if otype == "LIMIT":
        for name, value in (("timeInForce", tif), ("quantity", qty), ("price", price)):
            if value is None:
                raise err(-1102, 1, name)
        if quote_qty is not None:
            raise err(-1106, 1, "quoteOrderQty")
    elif otype == "LIMIT_MAKER":
        for name, value in (("quantity", qty), ("price", price)):
            if value is None:
                raise err(-1102, 1, name)
        if tif is not None:
            raise err(-1106, 1, "timeInForce")
        if quote_qty is not None:
            raise err(-1106, 1, "quoteOrderQty")
    else:
        if qty is None and quote_qty is None:
            raise err(-1102, 2, "quantity", "quoteOrderQty")
        if qty is not None and quote_qty is not None:
            raise err(-1106, 1, "quoteOrderQty")
        if price is not None:
            raise err(-1106, 1, "price")
        if tif is not None:
            raise err(-1106, 1, "timeInForce")
    _check_filters(ctx, sym, otype, price, qty, quote_qty)
    if test:
        if p.get("computeCommissionRates", "false").lower() == "true":
            return {"standardCommissionForOrder": {"maker": "0.00100000", "taker": "0.00100000"},
                    "taxCommissionForOrder": {"maker": "0.00000000", "taker": "0.00000000"},
                    "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB",
                                 "discount": "0.00000000"}}
        return {}
    account_name = ctx.key.account
    ex = ctx.ex
    rejection = ex.orders.check(account_name, 1, ctx.now)
    if rejection is not None:
        raise err(-1015, 1, rejection.limit.limit, window_text(rejection.limit),
                  headers=[("Retry-After", str(retry_after_seconds(rejection.retry_after_ms)))])
    # timing check 2, just before the matching engine; a failure here counts as an order
    now2 = ex.server_ms()
    if now2 - ctx.ts > ctx.recv_window:
        ex.orders.add(account_name, 1, now2)
        raise err(-1021, 0)
    try:
        order, fills = ex.engine.place(account_name, sym, side, otype, tif, qty, quote_qty, price,
                                       p.get("newClientOrderId"), now2)
    except EngineError as exc:
        raise ApiError(exc.code, exc.msg) from None
    ex.orders.add(account_name, 1, now2)
    if fills:
        order.filled_once = True
        ex.orders.first_fill(account_name, now2)
    ctx.headers.extend(ex.orders.headers(account_name, now2))
    ctx.succeeded_order_call = True
    resp_type = p.get("newOrderRespType") or ("FULL" if otype in ("LIMIT", "MARKET") else "ACK")
    ack = {"symbol": sym.symbol, "orderId": order.order_id, "orderListId": -1,
           "clientOrderId": order.client_order_id, "transactTime": now2}
    if resp_type == "ACK":
        return ack
    data = order.to_json()
    ack.update({k: data[k] for k in ("price", "origQty", "executedQty", "origQuoteOrderQty", "cummulativeQuoteQty",
                                     "status", "timeInForce", "type", "side", "workingTime",
                                     "selfTradePreventionMode")})
    if order.status == "EXPIRED":
        ack["expiryReason"] = "NONE"
    if resp_type == "FULL":
        ack["fills"] = fills
    return ack


def test_order(ctx: Ctx) -> Any:
    return new_order(ctx, test=True)


def withdraw(ctx: Ctx) -> Any:
    p = ctx.params
    amount = D(p["amount"])
    if amount <= 0:
        raise err(-1102, 1, "amount")
    record = {"coin": p["coin"], "address": p["address"], "amount": f8(amount), "network": p.get("network"),
              "withdrawOrderId": p.get("withdrawOrderId"), "applyTime": ctx.now, "apiKey": ctx.key.fingerprint}
    return {"id": ctx.ex.engine.withdraw(ctx.key.account, record)}


HANDLERS = {
    ("GET", "/api/v3/ping"): ping,
    ("GET", "/api/v3/time"): server_time,
    ("GET", "/api/v3/exchangeInfo"): exchange_info,
    ("GET", "/api/v3/depth"): depth,
    ("GET", "/api/v3/trades"): trades,
    ("GET", "/api/v3/historicalTrades"): trades,
    ("GET", "/api/v3/aggTrades"): agg_trades,
    ("GET", "/api/v3/klines"): klines,
    ("GET", "/api/v3/uiKlines"): klines,
    ("GET", "/api/v3/avgPrice"): avg_price,
    ("GET", "/api/v3/ticker/24hr"): ticker_24hr,
    ("GET", "/api/v3/ticker/price"): ticker_price,
    ("GET", "/api/v3/ticker/bookTicker"): book_ticker,
    ("POST", "/api/v3/order"): new_order,
    ("POST", "/api/v3/order/test"): test_order,
    ("DELETE", "/api/v3/order"): cancel_order,
    ("DELETE", "/api/v3/openOrders"): cancel_open_orders,
    ("GET", "/api/v3/order"): query_order,
    ("GET", "/api/v3/openOrders"): open_orders,
    ("GET", "/api/v3/allOrders"): all_orders,
    ("GET", "/api/v3/account"): account,
    ("GET", "/api/v3/myTrades"): my_trades,
    ("GET", "/api/v3/rateLimit/order"): rate_limit_order,
    ("GET", "/api/v3/account/commission"): commission,
    ("GET", "/api/v3/myFilters"): my_filters,
    ("GET", "/sapi/v1/account/apiRestrictions"): api_restrictions,
    ("GET", "/sapi/v1/system/status"): system_status,
    ("POST", "/sapi/v1/capital/withdraw/apply"): withdraw,
}
