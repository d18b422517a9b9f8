"""Construction shared by Client and AsyncClient: credential, governor, clock, pipeline."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from keysafe.client._methods import EndpointMethods
from keysafe.client.pipeline import Pipeline
from keysafe.clock import ServerClock
from keysafe.credentials import Credential
from keysafe.errors import BinanceAPIError, ConfigurationError, KeysafeError
from keysafe.events import EventBus
from keysafe.governor import Governor, Usage
from keysafe.spec import Environment, Permission, rate_limits_from_exchange_info


class ClientBase(EndpointMethods):
    def __init__(
        self,
        credential: Credential | None = None,
        *,
        base_url: str | None = None,
        governor: Governor | str | None = None,
        recv_window: float = 5000,
        allow_withdrawals: bool = False,
        events: EventBus | None = None,
        bot: str | None = None,
        local_address: str | None = None,
        timeout: float = 10.0,
        on_limit: str = "wait",
        account: str | None = None,
        clock: ServerClock | None = None,
        permissions: Iterable[Permission | str] | None = None,
        load_limits: bool = True,
    ) -> None:
        if credential is not None and not isinstance(credential, Credential):
            raise ConfigurationError(
                f"credential must be a keysafe.Credential, not {type(credential).__name__}.",
                "Use Client.from_keys(api_key, secret=...) or Client.from_env().",
            )
        self.events = events if events is not None else EventBus()
        self._owns_governor = not isinstance(governor, Governor)
        self.governor = governor if isinstance(governor, Governor) else Governor(governor)
        self.clock = clock or ServerClock()
        self.timeout = timeout
        self.pipeline = Pipeline(
            credential=credential, base_url=base_url, governor=self.governor, clock=self.clock,
            recv_window=recv_window, allow_withdrawals=allow_withdrawals, events=self.events, bot=bot,
            local_address=local_address, on_limit=on_limit, account=account, permissions=permissions,
        )
        self.credential = credential
        self.local_address = local_address
        self._limits_loaded = not load_limits

    # ------------------------------------------------------------ constructors

    @classmethod
    def from_env(cls, base_url: str | None = None, *, environ: Mapping[str, str] | None = None, **kw: Any):
        """From BINANCE_API_KEY plus BINANCE_API_SECRET, BINANCE_PRIVATE_KEY or BINANCE_PRIVATE_KEY_PATH
        (BINANCE_ENVIRONMENT selects production, testnet, demo or sandbox)."""
        return cls(Credential.from_env(environ, label=kw.pop("label", None)), base_url=base_url, **kw)

    @classmethod
    def from_keys(cls, api_key: str, secret: str | None = None, private_key_pem: str | bytes | None = None,
                  passphrase: str | None = None, environment: Environment | str = Environment.PRODUCTION,
                  label: str | None = None, **kw: Any):
        """From an API key and either its HMAC secret or its Ed25519/RSA private key PEM."""
        if (secret is None) == (private_key_pem is None):
            raise ConfigurationError("Pass exactly one of secret= (HMAC) or private_key_pem= (Ed25519/RSA).",
                                     "HMAC keys come with a secret; Ed25519/RSA keys with the PEM you generated.")
        if secret is not None:
            cred = Credential.from_secret(api_key, secret, environment=environment, label=label)
        else:
            cred = Credential.from_private_key(api_key, private_key_pem, passphrase=passphrase,
                                               environment=environment, label=label)
        return cls(cred, **kw)

    # ------------------------------------------------------------ state

    @property
    def base_url(self) -> str:
        return self.pipeline.base_url

    @property
    def environment(self) -> Environment:
        return self.pipeline.environment

    @property
    def usage(self) -> Usage:
        """Used and remaining weight and order counts of the current windows (shared by every caller)."""
        return self.pipeline.usage()

    def _adopt_limits(self, info: Any) -> None:
        try:
            limits = rate_limits_from_exchange_info(info)
        except (ValueError, KeysafeError):
            return  # keep the spec's defaults
        self.pipeline.adopt_limits(limits)

    @staticmethod
    def _limits_failed(exc: BaseException) -> bool:
        return isinstance(exc, (BinanceAPIError, KeysafeError))

    def __repr__(self) -> str:
        who = repr(self.credential) if self.credential else "no credential"
        return f"<{type(self).__name__} {self.base_url} {who} governor={self.governor.storage.uri!r}>"
