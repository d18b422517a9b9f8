"""Symbols with real filters, and deterministic synthetic prices and books (seeded).

The mid price of a symbol is a smooth function of the server clock and the seed, so the
same seed and clock give the same book, trades and candles on every run.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

D = Decimal
ZERO = D(0)


@dataclass(frozen=True)
class Symbol:
    symbol: str
    base: str
    quote: str
    base_price: Decimal
    tick_size: Decimal
    min_price: Decimal
    max_price: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    max_notional: Decimal
    base_precision: int = 8
    quote_precision: int = 8
    status: str = "TRADING"
    order_types: tuple[str, ...] = ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                                    "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")

    def round_price(self, p: Decimal, up: bool = False) -> Decimal:
        q = (p / self.tick_size).to_integral_value(rounding=ROUND_HALF_UP if not up else ROUND_DOWN)
        return (q * self.tick_size).quantize(self.tick_size)

    def floor_qty(self, q: Decimal) -> Decimal:
        return ((q / self.step_size).to_integral_value(rounding=ROUND_DOWN) * self.step_size).quantize(self.step_size)

    def filters(self) -> list[dict[str, Any]]:
        f8 = lambda d: f"{d:.8f}"  # noqa: E731
        return [
            {"filterType": "PRICE_FILTER", "minPrice": f8(self.min_price), "maxPrice": f8(self.max_price),
             "tickSize": f8(self.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": f8(self.min_qty), "maxQty": f8(self.max_qty),
             "stepSize": f8(self.step_size)},
            {"filterType": "NOTIONAL", "minNotional": f8(self.min_notional), "applyMinToMarket": True,
             "maxNotional": f8(self.max_notional), "applyMaxToMarket": False, "avgPriceMins": 5},
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol, "status": self.status, "baseAsset": self.base,
            "baseAssetPrecision": self.base_precision, "quoteAsset": self.quote,
            "quotePrecision": self.quote_precision, "quoteAssetPrecision": self.quote_precision,
            "baseCommissionPrecision": self.base_precision, "quoteCommissionPrecision": self.quote_precision,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"], "icebergAllowed": False, "ocoAllowed": False,
            "otoAllowed": False, "opoAllowed": False, "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False, "cancelReplaceAllowed": False, "amendAllowed": False,
            "pegInstructionsAllowed": False, "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
            "filters": self.filters(), "permissions": [], "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }


def _sym(symbol, base, quote, price, tick, step, min_qty, min_notional, max_notional="9000000"):
    return Symbol(symbol, base, quote, D(price), D(tick), D(tick), D("1000000"), D(step), D(min_qty),
                  D("9000"), D(min_notional), D(max_notional))


#: A handful of symbols with Binance-like filters; one has a non-ASCII name, as Binance's testnet has.
SYMBOLS: tuple[Symbol, ...] = (
    _sym("BTCUSDT", "BTC", "USDT", "65000", "0.01", "0.00001", "0.00001", "5"),
    _sym("ETHUSDT", "ETH", "USDT", "3200", "0.01", "0.0001", "0.0001", "5"),
    _sym("BNBUSDT", "BNB", "USDT", "600", "0.01", "0.001", "0.001", "5"),
    _sym("ETHBTC", "ETH", "BTC", "0.049", "0.00001", "0.0001", "0.0001", "0.0001", "100"),
    _sym("币安人生USDT", "币安人生", "USDT", "0.25", "0.0001", "1", "1", "5"),
)

#: Balances every new account starts with (a demo can trade with them).
DEFAULT_BALANCES: dict[str, Decimal] = {
    "USDT": D("10000"), "BTC": D("1"), "ETH": D("10"), "BNB": D("100"), "币安人生": D("10000"),
}

BOOK_LEVELS = 20
KLINE_MS = {"1s": 1000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
            "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
            "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000, "1M": 2_592_000_000}


def _unit(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) from the seed and the parts."""
    h = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


class Market:
    """Prices, books, trades and candles for :data:`SYMBOLS`, a function of (seed, server ms)."""

    def __init__(self, seed: int = 0, symbols: tuple[Symbol, ...] = SYMBOLS) -> None:
        self.seed = seed
        self.symbols = {s.symbol: s for s in symbols}
        self._phase = {s.symbol: (_unit(seed, s.symbol, "a") * 2 * math.pi, _unit(seed, s.symbol, "b") * 2 * math.pi)
                       for s in symbols}
        self._book_cache: dict[tuple[str, int], tuple[list, list]] = {}

    def mid(self, symbol: str, ms: int) -> Decimal:
        s = self.symbols[symbol]
        a, b = self._phase[symbol]
        t = ms / 1000.0
        wave = 0.02 * math.sin(t / 3600 * 2 * math.pi + a) + 0.004 * math.sin(t / 60 * 2 * math.pi + b)
        return s.round_price(s.base_price * D(repr(1 + wave)))

    def book(self, symbol: str, ms: int) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """(bids best first, asks best first); one book per second of server time."""
        sec = ms // 1000
        cached = self._book_cache.get((symbol, sec))
        if cached is not None:
            return cached
        s = self.symbols[symbol]
        mid = self.mid(symbol, sec * 1000)
        spread = max(s.tick_size, s.round_price(mid * D("0.0001")))
        # level quantities worth roughly 2,000 quote units each, varied by the seed
        bids, asks = [], []
        for i in range(BOOK_LEVELS):
            for side, out, sign in (("b", bids, -1), ("a", asks, 1)):
                price = mid + sign * (spread * (i + 1))
                if price <= 0:
                    continue
                worth = D(1000 + int(_unit(self.seed, symbol, sec, side, i) * 3000))
                qty = max(s.min_qty, s.floor_qty(worth / price))
                out.append((price.quantize(s.tick_size), qty))
        if len(self._book_cache) > 512:
            self._book_cache.clear()
        self._book_cache[(symbol, sec)] = (bids, asks)
        return bids, asks

    def trades(self, symbol: str, ms: int, limit: int) -> list[dict[str, Any]]:
        s = self.symbols[symbol]
        out = []
        sec = ms // 1000
        for i in range(limit):
            t = sec - (limit - 1 - i)
            price = self.mid(symbol, t * 1000)
            qty = max(s.min_qty, s.floor_qty(D(50 + int(_unit(self.seed, symbol, t, "t") * 500)) / price))
            out.append({"id": t, "price": str(price), "qty": str(qty), "quoteQty": str((price * qty).normalize()),
                        "time": t * 1000, "isBuyerMaker": _unit(self.seed, symbol, t, "m") < 0.5,
                        "isBestMatch": True})
        return out

    def kline(self, symbol: str, open_ms: int, interval_ms: int) -> list[Any]:
        s = self.symbols[symbol]
        samples = [self.mid(symbol, open_ms + interval_ms * k // 4) for k in range(5)]
        o, c = samples[0], samples[-1]
        volume = s.floor_qty(D(10000 + int(_unit(self.seed, symbol, open_ms, "v") * 90000)) / o)
        quote_volume = (volume * (o + c) / 2).quantize(D("0.00000001"))
        return [open_ms, str(o), str(max(samples)), str(min(samples)), str(c), str(volume), open_ms + interval_ms - 1,
                str(quote_volume), 100, str(s.floor_qty(volume / 2)), str((quote_volume / 2).quantize(D("0.00000001"))),
                "0"]

    def avg_price(self, symbol: str, ms: int) -> Decimal:
        s = self.symbols[symbol]
        pts = [self.mid(symbol, ms - k * 60_000) for k in range(5)]
        return (sum(pts, ZERO) / 5).quantize(s.tick_size)
