"""A real uvicorn server in a background thread, for tests, scripts and the demo."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import uvicorn

from keysafe.errors import ConfigurationError
from keysafe.sandbox.app import create_app
from keysafe.sandbox.config import SandboxConfig
from keysafe.sandbox.exchange import Exchange
from keysafe.sandbox.keys import CreatedKey
from keysafe.sandbox.records import RequestRecord


class SandboxHandle:
    """A running sandbox: its URL, admin token and in-process :class:`Exchange`."""

    def __init__(self, url: str, exchange: Exchange) -> None:
        self.url = url
        self.exchange = exchange

    @property
    def admin_token(self) -> str:
        return self.exchange.config.admin_token or ""

    @property
    def config(self) -> SandboxConfig:
        return self.exchange.config

    def create_key(self, label: str = "", key_type: str = "hmac", public_key_pem: str | None = None,
                   ip_whitelist: Any = (), account: str = "default", **permissions: Any) -> CreatedKey:
        return self.exchange.create_key(label, key_type, public_key_pem, ip_whitelist, account, **permissions)

    def delete_key(self, api_key: str) -> bool:
        return self.exchange.delete_key(api_key)

    def configure(self, **knobs: Any) -> dict[str, object]:
        return self.exchange.configure(**knobs)

    def records(self, since: int | None = None) -> list[RequestRecord]:
        return self.exchange.records(since)

    def set_balance(self, account: str, asset: str, amount: Decimal | str) -> None:
        self.exchange.set_balance(account, asset, amount)

    def __repr__(self) -> str:
        return f"SandboxHandle(url={self.url!r})"


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(f"Cannot listen on {host}:{port}: {exc.strerror}.",
                                 "Choose a free port (0 picks one) or another --host.") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


@contextmanager
def run_sandbox(host: str = "127.0.0.1", port: int = 0, keys: Any = None,
                **config_fields: Any) -> Iterator[SandboxHandle]:
    """Start a sandbox on ``host:port`` (0: a free port) in a background thread; stop it on exit."""
    unknown = sorted(set(config_fields) - set(SandboxConfig.field_names()))
    if unknown:
        raise ConfigurationError(f"Unknown sandbox setting {unknown[0]!r}.",
                                 f"Known: {', '.join(SandboxConfig.field_names())}.")
    exchange = Exchange(SandboxConfig(**config_fields), keys)
    app = create_app(exchange=exchange)
    sock = bind_socket(host, port)
    actual_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="keysafe-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise ConfigurationError("The sandbox server did not start.", "Check that the port is free.")
        time.sleep(0.005)
    url_host = f"[{host}]" if ":" in host else host
    try:
        yield SandboxHandle(f"http://{url_host}:{actual_port}", exchange)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
