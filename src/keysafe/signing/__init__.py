"""Exact request signing: the bytes signed are the bytes sent.

>>> from keysafe.signing import HmacSigner, build_payload
>>> payload = build_payload({"symbol": "BTCUSDT", "quantity": "0.001", "timestamp": 1499827319559})
>>> payload.query
'symbol=BTCUSDT&quantity=0.001&timestamp=1499827319559'
"""

from keysafe.signing.keygen import KeyPair, generate_key_pair, write_private_key
from keysafe.signing.payload import (
    Payload,
    SignedParts,
    build_payload,
    decode_component,
    encode_component,
    encode_params,
    format_value,
    split_signature,
)
from keysafe.signing.signers import (
    Ed25519Signer,
    Ed25519Verifier,
    HmacSigner,
    KeyType,
    RsaSigner,
    RsaVerifier,
    Signer,
    load_private_key,
    load_public_key,
    public_key_pem,
)


def sign_payload(payload: Payload, signer: Signer) -> Payload:
    """``payload`` with the signature over its exact bytes appended as the last parameter."""
    return payload.with_signature(signer.sign(payload.signed_bytes))


def verify_request(raw_query: bytes | str, raw_body: bytes | str, verifier: Signer) -> bool:
    """Verify a request as received: the signature over the raw query plus body, minus it."""
    parts = split_signature(raw_query, raw_body)
    return parts.signature is not None and verifier.verify(parts.signed, parts.signature)


__all__ = [
    "Ed25519Signer",
    "Ed25519Verifier",
    "HmacSigner",
    "KeyPair",
    "KeyType",
    "Payload",
    "RsaSigner",
    "RsaVerifier",
    "SignedParts",
    "Signer",
    "build_payload",
    "decode_component",
    "encode_component",
    "encode_params",
    "format_value",
    "generate_key_pair",
    "load_private_key",
    "load_public_key",
    "public_key_pem",
    "sign_payload",
    "split_signature",
    "verify_request",
    "write_private_key",
]
