"""Binance as data: endpoints, weights, permissions, rate limits and error codes.

Nothing here performs I/O. The client, the governor, the sandbox and the audit all
read the same tables, so a fact about Binance is written exactly once.
Source: shared/spec/binance-rest.md (binance/binance-spot-api-docs @ a5e0bc3).
"""

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
