"""Where a key works: production, testnet, demo mode, or keysafe's local sandbox."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit


class Environment(StrEnum):
    PRODUCTION = "production"
    TESTNET = "testnet"
    DEMO = "demo"
    SANDBOX = "sandbox"

    @property
    def base_urls(self) -> tuple[str, ...]:
        return _BASE_URLS[self]

    @property
    def default_base_url(self) -> str:
        return _BASE_URLS[self][0] if _BASE_URLS[self] else "http://127.0.0.1:8765"


_BASE_URLS: dict[Environment, tuple[str, ...]] = {
    Environment.PRODUCTION: (
        "https://api.binance.com",
        "https://api-gcp.binance.com",
        "https://api1.binance.com",
        "https://api2.binance.com",
        "https://api3.binance.com",
        "https://api4.binance.com",
        "https://data-api.binance.vision",
    ),
    Environment.TESTNET: (
        "https://testnet.binance.vision",
        "https://api1.testnet.binance.vision",
    ),
    Environment.DEMO: ("https://demo-api.binance.com",),
    Environment.SANDBOX: (),  # any loopback URL
}

_HOSTS = {
    urlsplit(url).hostname: env for env, urls in _BASE_URLS.items() for url in urls
}


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    return host == "localhost" or host == "::1" or host.startswith("127.")


def environment_for_url(url: str) -> Environment | None:
    """The environment a base URL belongs to; loopback is the sandbox; None if unknown."""
    host = urlsplit(url).hostname
    if is_loopback_host(host):
        return Environment.SANDBOX
    return _HOSTS.get(host)
