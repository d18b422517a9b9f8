"""``Client`` and ``AsyncClient``: Binance calls through the scope guard, the shared budget and
the server clock, with one activity event per request.

Construction by vault label lives in the policy layer: ``keysafe.policy.client_from_vault(label, **kw)``
(the client does not import the vault; the floors only point down).
"""

from keysafe.client.asyncio import AsyncClient
from keysafe.client.orders import OrderNotPlacedError, OrderStatusUnknownError, new_client_order_id
from keysafe.client.pipeline import NetworkError, Pipeline, check_destination
from keysafe.client.responses import Response
from keysafe.client.sync import Client
from keysafe.governor import BudgetExhaustedError, Usage

__all__ = [
    "AsyncClient",
    "BudgetExhaustedError",
    "Client",
    "NetworkError",
    "OrderNotPlacedError",
    "OrderStatusUnknownError",
    "Pipeline",
    "Response",
    "Usage",
    "check_destination",
    "new_client_order_id",
]
