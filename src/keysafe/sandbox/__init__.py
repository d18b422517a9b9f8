"""A local Binance-compatible Spot REST exchange that validates every request as Binance does.

>>> from keysafe.sandbox import run_sandbox
>>> with run_sandbox() as sb:                      # doctest: +SKIP
...     key = sb.create_key(label="bot", enableSpotAndMarginTrading=True)
"""

from keysafe.sandbox.app import create_app
from keysafe.sandbox.config import SandboxConfig
from keysafe.sandbox.exchange import Exchange
from keysafe.sandbox.keys import CreatedKey, SandboxKey
from keysafe.sandbox.pipeline import ApiError, Request, Response
from keysafe.sandbox.records import RequestRecord
from keysafe.sandbox.runner import SandboxHandle, run_sandbox

__all__ = [
    "ApiError",
    "CreatedKey",
    "Exchange",
    "Request",
    "RequestRecord",
    "Response",
    "SandboxConfig",
    "SandboxHandle",
    "SandboxKey",
    "create_app",
    "run_sandbox",
]
