"""keysafe: the safety layer between your code and the Binance API.

The public API is this module's ``__all__`` (checked by a test); everything else is
reachable through the subpackages (``keysafe.spec``, ``keysafe.signing``, ...).

Every public name is imported on first use (PEP 562): ``import keysafe`` loads nothing,
so the pre-commit hook and scripts that use one part only do not pay for the rest
(cryptography, httpx, argon2, the error tables).
"""

from __future__ import annotations

from keysafe.lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from keysafe.client import AsyncClient, Client
    from keysafe.credentials import Credential, key_fingerprint
    from keysafe.errors import (
        ApiKeyFormatError,
        ApiKeyRejectedError,
        AuthenticationError,
        BinanceAPIError,
        CancelRejectedError,
        ConfigurationError,
        EncodingError,
        EnvironmentMismatchError,
        ExecutionStatusUnknown,
        FilterError,
        IPBannedError,
        KeyFormatError,
        KeysafeError,
        NoSuchOrderError,
        OrderRateLimitError,
        OrderRejectedError,
        RateLimitError,
        RequestError,
        ScopeError,
        ServerBusyError,
        SignatureError,
        TimestampError,
        UnauthorizedError,
        WAFRejectedError,
        error_from_response,
    )
    from keysafe.events import ActivityEvent, EventBus
    from keysafe.keyformat import mask, validate_api_key
    from keysafe.secret import Secret
    from keysafe.signing import (
        Ed25519Signer,
        HmacSigner,
        KeyType,
        Payload,
        RsaSigner,
        build_payload,
        generate_key_pair,
        load_private_key,
        load_public_key,
        sign_payload,
    )
    from keysafe.spec import Environment
    from keysafe.vault import Vault, VaultError

__version__ = "0.1.0"

#: public name -> the module that defines it; imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "ApiKeyFormatError": "keysafe.errors",
    "ApiKeyRejectedError": "keysafe.errors",
    "AuthenticationError": "keysafe.errors",
    "BinanceAPIError": "keysafe.errors",
    "CancelRejectedError": "keysafe.errors",
    "ConfigurationError": "keysafe.errors",
    "EncodingError": "keysafe.errors",
    "EnvironmentMismatchError": "keysafe.errors",
    "ExecutionStatusUnknown": "keysafe.errors",
    "FilterError": "keysafe.errors",
    "IPBannedError": "keysafe.errors",
    "KeyFormatError": "keysafe.errors",
    "KeysafeError": "keysafe.errors",
    "NoSuchOrderError": "keysafe.errors",
    "OrderRateLimitError": "keysafe.errors",
    "OrderRejectedError": "keysafe.errors",
    "RateLimitError": "keysafe.errors",
    "RequestError": "keysafe.errors",
    "ScopeError": "keysafe.errors",
    "ServerBusyError": "keysafe.errors",
    "SignatureError": "keysafe.errors",
    "TimestampError": "keysafe.errors",
    "UnauthorizedError": "keysafe.errors",
    "WAFRejectedError": "keysafe.errors",
    "error_from_response": "keysafe.errors",
    "ActivityEvent": "keysafe.events",
    "EventBus": "keysafe.events",
    "mask": "keysafe.keyformat",
    "validate_api_key": "keysafe.keyformat",
    "Secret": "keysafe.secret",
    "Environment": "keysafe.spec",
    "AsyncClient": "keysafe.client",
    "Client": "keysafe.client",
    "Credential": "keysafe.credentials",
    "key_fingerprint": "keysafe.credentials",
    "Ed25519Signer": "keysafe.signing",
    "HmacSigner": "keysafe.signing",
    "KeyType": "keysafe.signing",
    "Payload": "keysafe.signing",
    "RsaSigner": "keysafe.signing",
    "build_payload": "keysafe.signing",
    "generate_key_pair": "keysafe.signing",
    "load_private_key": "keysafe.signing",
    "load_public_key": "keysafe.signing",
    "sign_payload": "keysafe.signing",
    "Vault": "keysafe.vault",
    "VaultError": "keysafe.vault",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "ActivityEvent",
    "ApiKeyFormatError",
    "ApiKeyRejectedError",
    "AsyncClient",
    "AuthenticationError",
    "BinanceAPIError",
    "CancelRejectedError",
    "Client",
    "ConfigurationError",
    "Credential",
    "Ed25519Signer",
    "EncodingError",
    "Environment",
    "EnvironmentMismatchError",
    "EventBus",
    "ExecutionStatusUnknown",
    "FilterError",
    "HmacSigner",
    "IPBannedError",
    "KeyFormatError",
    "KeyType",
    "KeysafeError",
    "NoSuchOrderError",
    "OrderRateLimitError",
    "OrderRejectedError",
    "Payload",
    "RateLimitError",
    "RequestError",
    "RsaSigner",
    "ScopeError",
    "Secret",
    "ServerBusyError",
    "SignatureError",
    "TimestampError",
    "UnauthorizedError",
    "Vault",
    "VaultError",
    "WAFRejectedError",
    "__version__",
    "build_payload",
    "error_from_response",
    "generate_key_pair",
    "key_fingerprint",
    "load_private_key",
    "load_public_key",
    "mask",
    "sign_payload",
    "validate_api_key",
]
