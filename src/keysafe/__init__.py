"""keysafe: the safety layer between your code and the Binance API.

The public API is this module's ``__all__`` (checked by a test); everything else is
reachable through the subpackages (``keysafe.spec``, ``keysafe.signing``, ...).
"""

from keysafe.client import AsyncClient, Client
from keysafe.credentials import Credential, key_fingerprint, mask, validate_api_key
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
