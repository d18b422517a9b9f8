"""Accounts, orders and a matching engine that fills against the synthetic book.

Balances move exactly: a resting order locks what it may spend, a fill moves the traded
amounts, a taker commission (0.1%) is charged in the asset received, a cancel unlocks the
rest. Every amount is a Decimal; JSON carries them as 8-decimal strings, as Binance does.
"""

from __future__ import annotations

import secrets
import string
import threading
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from keysafe.sandbox.market import DEFAULT_BALANCES, Market, Symbol

D = Decimal
ZERO = D(0)
TAKER = D("0.001")
MAKER = D("0.001")
_ID_ALPHABET = string.ascii_letters + string.digits


def f8(d: Decimal) -> str:
    return f"{d:.8f}"


class EngineError(Exception):
    """A matching-engine rejection: Binance ``code`` and exact ``msg``."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


INSUFFICIENT = "Account has insufficient balance for requested action."


@dataclass
class Order:
    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    orig_quote_qty: Decimal
    time: int
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    status: str = "NEW"
    update_time: int = 0
    reserved: Decimal = ZERO  # locked amount still held for this order
    filled_once: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol, "orderId": self.order_id, "orderListId": -1,
            "clientOrderId": self.client_order_id, "price": f8(self.price), "origQty": f8(self.orig_qty),
            "executedQty": f8(self.executed_qty), "cummulativeQuoteQty": f8(self.cum_quote),
            "status": self.status, "timeInForce": self.time_in_force, "type": self.type, "side": self.side,
            "stopPrice": f8(ZERO), "icebergQty": f8(ZERO), "time": self.time, "updateTime": self.update_time,
            "isWorking": True, "workingTime": self.time, "origQuoteOrderQty": f8(self.orig_quote_qty),
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }


@dataclass
class Account:
    name: str
    balances: dict[str, list[Decimal]] = field(default_factory=dict)  # asset -> [free, locked]
    orders: dict[tuple[str, int], Order] = field(default_factory=dict)
    open_by_client_id: dict[tuple[str, str], Order] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    withdrawals: list[dict[str, Any]] = field(default_factory=list)
    update_time: int = 0

    def bal(self, asset: str) -> list[Decimal]:
        b = self.balances.get(asset)
        if b is None:
            b = self.balances[asset] = [ZERO, ZERO]
        return b


class Engine:
    def __init__(self, market: Market) -> None:
        self.market = market
        self.accounts: dict[str, Account] = {}
        self._order_ids: dict[str, int] = {}
        self._trade_ids: dict[str, int] = {}
        self.lock = threading.RLock()

    # ------------------------------------------------------------ accounts

    def account(self, name: str) -> Account:
        acct = self.accounts.get(name)
        if acct is None:
            with self.lock:
                acct = self.accounts.get(name)
                if acct is None:
                    acct = Account(name, {a: [v, ZERO] for a, v in DEFAULT_BALANCES.items()})
                    self.accounts[name] = acct
        return acct

    def set_balance(self, account: str, asset: str, amount: Decimal | str) -> None:
        value = D(str(amount))
        if not value.is_finite() or value < 0:
            raise ValueError("balance must be a finite, non-negative decimal")
        with self.lock:
            self.account(account).bal(asset)[0] = value

    def account_json(self, name: str, key_can_trade: bool, now: int, omit_zero: bool = False) -> dict[str, Any]:
        acct = self.account(name)
        balances = [{"asset": a, "free": f8(b[0]), "locked": f8(b[1])} for a, b in acct.balances.items()
                    if not (omit_zero and b[0] == 0 and b[1] == 0)]
        return {
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
            "commissionRates": {"maker": f8(MAKER), "taker": f8(TAKER), "buyer": f8(ZERO), "seller": f8(ZERO)},
            "canTrade": key_can_trade, "canWithdraw": True, "canDeposit": True, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False, "updateTime": acct.update_time,
            "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"],
            "uid": zlib.crc32(name.encode()) % 10**9,
        }

    # ------------------------------------------------------------ orders

    def _next(self, table: dict[str, int], symbol: str) -> int:
        n = table.get(symbol, 0) + 1
        table[symbol] = n
        return n

    def find(self, account: str, symbol: str, order_id: int | None, client_id: str | None) -> Order | None:
        acct = self.account(account)
        if order_id is not None:
            order = acct.orders.get((symbol, order_id))
            if order is not None and client_id is not None and order.client_order_id != client_id:
                return None
            return order
        for order in reversed(acct.orders.values()):
            if order.symbol == symbol and order.client_order_id == client_id:
                return order
        return None

    def check_duplicate(self, account: str, symbol: str, client_id: str | None) -> None:
        if client_id and (symbol, client_id) in self.account(account).open_by_client_id:
            raise EngineError(-2010, "Duplicate order sent.")

    def place(self, account: str, sym: Symbol, side: str, otype: str, tif: str | None, qty: Decimal | None,
              quote_qty: Decimal | None, price: Decimal | None, client_id: str | None, now: int) -> tuple[Order, list]:
        """Match a validated order; returns the order and its fills. Raises EngineError."""
        with self.lock:
            acct = self.account(account)
            self.check_duplicate(account, sym.symbol, client_id)
            bids, asks = self.market.book(sym.symbol, now)
            levels = asks if side == "BUY" else bids
            crosses = (lambda p: p <= price) if side == "BUY" else (lambda p: p >= price)
            if otype == "LIMIT_MAKER" and levels and crosses(levels[0][0]):
                raise EngineError(-2010, "Order would immediately match and take.")
            # which levels can fill, and how much
            plan: list[tuple[Decimal, Decimal]] = []
            remaining_qty = qty
            remaining_quote = quote_qty
            if otype != "LIMIT_MAKER":
                for lvl_price, lvl_qty in levels:
                    if otype == "LIMIT" and not crosses(lvl_price):
                        break
                    if remaining_quote is not None:
                        take = min(lvl_qty, sym.floor_qty(remaining_quote / lvl_price))
                        if take <= 0:
                            break
                        remaining_quote -= take * lvl_price
                    else:
                        take = min(lvl_qty, remaining_qty)
                        remaining_qty -= take
                    plan.append((lvl_price, take))
                    if remaining_qty is not None and remaining_qty <= 0:
                        break
            filled = sum((q for _, q in plan), ZERO)
            if quote_qty is not None:
                qty = filled
            if otype == "LIMIT" and tif == "FOK" and filled < qty:
                plan, filled = [], ZERO
            cost = sum((p * q for p, q in plan), ZERO)
            rests = otype in ("LIMIT", "LIMIT_MAKER") and (tif in (None, "GTC")) and filled < qty
            # what must be locked up front
            base_b, quote_b = acct.bal(sym.base), acct.bal(sym.quote)
            if side == "BUY":
                need = cost + (price * (qty - filled) if rests else ZERO)
                if quote_qty is not None:
                    need = cost
                wallet = quote_b
            else:
                need = qty if quote_qty is None else filled
                wallet = base_b
            if need > wallet[0] or (qty is not None and qty <= 0 and quote_qty is None):
                raise EngineError(-2010, INSUFFICIENT)
            if quote_qty is not None and filled <= 0:
                raise EngineError(-2010, INSUFFICIENT if need > wallet[0] else "Price * QTY is zero or less.")
            order = Order(sym.symbol, self._next(self._order_ids, sym.symbol),
                          client_id or "".join(secrets.choice(_ID_ALPHABET) for _ in range(22)),
                          side, otype, tif or ("GTC" if otype != "MARKET" else "GTC"),
                          price if price is not None else ZERO, qty, quote_qty or ZERO, now, update_time=now)
            wallet[0] -= need
            wallet[1] += need
            order.reserved = need
            fills = [self._fill(acct, sym, order, p, q, now, TAKER) for p, q in plan]
            if order.executed_qty >= order.orig_qty and order.orig_qty > 0:
                order.status = "FILLED"
            elif rests:
                order.status = "PARTIALLY_FILLED" if filled > 0 else "NEW"
            else:
                order.status = "EXPIRED"
            if not order.is_open:
                self._release(acct, sym, order)
            else:
                acct.open_by_client_id[(sym.symbol, order.client_order_id)] = order
            acct.orders[(sym.symbol, order.order_id)] = order
            acct.update_time = now
            return order, fills

    def _fill(self, acct: Account, sym: Symbol, order: Order, price: Decimal, qty: Decimal, now: int,
              rate: Decimal) -> dict[str, Any]:
        quote_amount = price * qty
        base_b, quote_b = acct.bal(sym.base), acct.bal(sym.quote)
        if order.side == "BUY":
            quote_b[1] -= quote_amount
            order.reserved -= quote_amount
            commission = (qty * rate).quantize(D("0.00000001"))
            base_b[0] += qty - commission
            commission_asset = sym.base
        else:
            base_b[1] -= qty
            order.reserved -= qty
            commission = (quote_amount * rate).quantize(D("0.00000001"))
            quote_b[0] += quote_amount - commission
            commission_asset = sym.quote
        order.executed_qty += qty
        order.cum_quote += quote_amount
        order.update_time = now
        trade_id = self._next(self._trade_ids, sym.symbol)
        acct.trades.append({
            "symbol": sym.symbol, "id": trade_id, "orderId": order.order_id, "orderListId": -1,
            "price": f8(price), "qty": f8(qty), "quoteQty": f8(quote_amount), "commission": f8(commission),
            "commissionAsset": commission_asset, "time": now, "isBuyer": order.side == "BUY",
            "isMaker": rate is MAKER and order.type != "MARKET", "isBestMatch": True,
        })
        return {"price": f8(price), "qty": f8(qty), "commission": f8(commission),
                "commissionAsset": commission_asset, "tradeId": trade_id}

    def _release(self, acct: Account, sym: Symbol, order: Order) -> None:
        asset = sym.quote if order.side == "BUY" else sym.base
        b = acct.bal(asset)
        b[1] -= order.reserved
        b[0] += order.reserved
        order.reserved = ZERO
        acct.open_by_client_id.pop((order.symbol, order.client_order_id), None)

    def cancel(self, account: str, sym: Symbol, order: Order, now: int) -> None:
        with self.lock:
            if not order.is_open:
                raise EngineError(-2011, "Unknown order sent.")
            order.status = "CANCELED"
            order.update_time = now
            self._release(self.account(account), sym, order)

    def sweep(self, account: str, now: int) -> int:
        """Fill resting orders the moving book now crosses (as maker, at their limit price).

        Returns how many orders got their first fill (each lowers the unfilled order count).
        """
        acct = self.accounts.get(account)
        if acct is None or not acct.open_by_client_id:
            return 0
        first = 0
        with self.lock:
            for order in list(acct.open_by_client_id.values()):
                sym = self.market.symbols[order.symbol]
                bids, asks = self.market.book(order.symbol, now)
                best = asks[0][0] if order.side == "BUY" else bids[0][0]
                if (order.side == "BUY" and best < order.price) or (order.side == "SELL" and best > order.price):
                    if not order.filled_once and order.executed_qty == 0:
                        first += 1
                    self._fill(acct, sym, order, order.price, order.orig_qty - order.executed_qty, now, MAKER)
                    order.status = "FILLED"
                    self._release(acct, sym, order)
                    acct.update_time = now
        return first

    def open_orders(self, account: str, symbol: str | None) -> list[Order]:
        return [o for o in self.account(account).open_by_client_id.values() if symbol is None or o.symbol == symbol]

    def all_orders(self, account: str, symbol: str, order_id: int | None, start: int | None, end: int | None,
                   limit: int) -> list[Order]:
        out = [o for (s, oid), o in self.account(account).orders.items() if s == symbol
               and (order_id is None or oid >= order_id) and (start is None or o.time >= start)
               and (end is None or o.time <= end)]
        out.sort(key=lambda o: o.order_id)
        return out[:limit] if order_id is not None else out[-limit:]

    def my_trades(self, account: str, symbol: str, order_id: int | None, from_id: int | None, start: int | None,
                  end: int | None, limit: int) -> list[dict[str, Any]]:
        out = [t for t in self.account(account).trades if t["symbol"] == symbol
               and (order_id is None or t["orderId"] == order_id) and (from_id is None or t["id"] >= from_id)
               and (start is None or t["time"] >= start) and (end is None or t["time"] <= end)]
        return out[:limit] if from_id is not None else out[-limit:]

    def withdraw(self, account: str, record: dict[str, Any]) -> str:
        wid = secrets.token_hex(16)
        with self.lock:
            self.account(account).withdrawals.append({"id": wid, **record})
        return wid
