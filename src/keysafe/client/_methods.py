"""Typed endpoint methods shared by Client and AsyncClient (they only build parameters).

Each returns what ``self._call`` returns: a value for Client, an awaitable for AsyncClient.
"""

from __future__ import annotations

from typing import Any

from keysafe.client.orders import order_ref


def _data(response: Any) -> Any:
    return response.data


def _server_ms(response: Any) -> int:
    return int(response.data["serverTime"])


class EndpointMethods:
    def _call(self, method: str, path: str, params: dict[str, Any], transform=None):  # pragma: no cover
        raise NotImplementedError

    def request(self, method: str, path: str, /, **params: Any):
        """Any endpoint of the catalogue: ``request("GET", "/api/v3/account", omitZeroBalances=True)``."""
        return self._call(method, path, params)

    def ping(self):
        return self._call("GET", "/api/v3/ping", {})

    def server_time(self):
        """The server's time in epoch milliseconds."""
        return self._call("GET", "/api/v3/time", {}, _server_ms)

    def exchange_info(self, symbol: str | None = None, **params: Any):
        return self._call("GET", "/api/v3/exchangeInfo", {"symbol": symbol, **params})

    def system_status(self):
        return self._call("GET", "/sapi/v1/system/status", {})

    def depth(self, symbol: str, limit: int = 100):
        return self._call("GET", "/api/v3/depth", {"symbol": symbol, "limit": limit})

    def ticker_price(self, symbol: str | None = None, **params: Any):
        return self._call("GET", "/api/v3/ticker/price", {"symbol": symbol, **params})

    def ticker_24hr(self, symbol: str | None = None, **params: Any):
        return self._call("GET", "/api/v3/ticker/24hr", {"symbol": symbol, **params})

    def book_ticker(self, symbol: str | None = None, **params: Any):
        return self._call("GET", "/api/v3/ticker/bookTicker", {"symbol": symbol, **params})

    def klines(self, symbol: str, interval: str = "1m", **params: Any):
        return self._call("GET", "/api/v3/klines", {"symbol": symbol, "interval": interval, **params})

    def account(self, **params: Any):
        return self._call("GET", "/api/v3/account", params)

    def cancel_order(self, symbol: str, order_id: int | None = None, client_order_id: str | None = None,
                     **params: Any):
        return self._call("DELETE", "/api/v3/order", {"symbol": symbol, **order_ref(order_id, client_order_id),
                                                      **params})

    def get_order(self, symbol: str, order_id: int | None = None, client_order_id: str | None = None):
        return self._call("GET", "/api/v3/order", {"symbol": symbol, **order_ref(order_id, client_order_id)})

    def open_orders(self, symbol: str | None = None):
        return self._call("GET", "/api/v3/openOrders", {"symbol": symbol})

    def cancel_open_orders(self, symbol: str):
        return self._call("DELETE", "/api/v3/openOrders", {"symbol": symbol})

    def my_trades(self, symbol: str, **params: Any):
        return self._call("GET", "/api/v3/myTrades", {"symbol": symbol, **params})

    def order_rate_limits(self):
        return self._call("GET", "/api/v3/rateLimit/order", {})

    def api_restrictions(self):
        """The key's permissions and IP restriction (``GET /sapi/v1/account/apiRestrictions``) as a dict."""
        return self._call("GET", "/sapi/v1/account/apiRestrictions", {}, _data)
