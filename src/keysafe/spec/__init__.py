"""Binance as data: endpoints, weights, permissions, rate limits and error codes.

Nothing here performs I/O. The client, the governor, the sandbox and the audit all
read the same tables, so a fact about Binance is written exactly once.
Source: shared/spec/binance-rest.md (binance/binance-spot-api-docs @ a5e0bc3).
"""

from keysafe.lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:  # pragma: no cover
    from keysafe.spec.endpoints import (
        ENDPOINTS,
        Endpoint,
        Lane,
        Param,
        Security,
        WeightScope,
        find_endpoint,
        get_endpoint,
    )
    from keysafe.spec.environments import Environment, environment_for_url
    from keysafe.spec.errors import ERRORS, ErrorSpec, error_spec
    from keysafe.spec.limits import (
        DEFAULT_RATE_LIMITS,
        MAX_RECV_WINDOW_MS,
        RateLimit,
        RateLimitType,
        rate_limits_from_exchange_info,
    )
    from keysafe.spec.permissions import PERMISSIONS, Permission

# Each table loads on first use: `keysafe.errors` needs only the error table, and the
# pre-commit hook path should not pay for building the endpoint catalogue.
_WHERE = {
    "ENDPOINTS": "endpoints", "Endpoint": "endpoints", "Lane": "endpoints", "Param": "endpoints",
    "Security": "endpoints", "WeightScope": "endpoints", "find_endpoint": "endpoints",
    "get_endpoint": "endpoints",
    "Environment": "environments", "environment_for_url": "environments",
    "ERRORS": "errors", "ErrorSpec": "errors", "error_spec": "errors",
    "DEFAULT_RATE_LIMITS": "limits", "MAX_RECV_WINDOW_MS": "limits", "RateLimit": "limits",
    "RateLimitType": "limits", "rate_limits_from_exchange_info": "limits",
    "PERMISSIONS": "permissions", "Permission": "permissions",
}


__getattr__, __dir__ = lazy_exports(__name__, {name: f"keysafe.spec.{module}" for name, module in _WHERE.items()})

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "ENDPOINTS",
    "ERRORS",
    "MAX_RECV_WINDOW_MS",
    "PERMISSIONS",
    "Endpoint",
    "Environment",
    "ErrorSpec",
    "Lane",
    "Param",
    "Permission",
    "RateLimit",
    "RateLimitType",
    "Security",
    "WeightScope",
    "environment_for_url",
    "error_spec",
    "find_endpoint",
    "get_endpoint",
    "rate_limits_from_exchange_info",
]
