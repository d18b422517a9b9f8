"""Property tests: the bytes signed are exactly the bytes sent, for every key type."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import random_key
from keysafe.signing import (
    HmacSigner,
    build_payload,
    format_value,
    generate_key_pair,
    load_private_key,
    load_public_key,
    sign_payload,
    split_signature,
    verify_request,
)

NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True).filter(lambda n: n != "signature")
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # any Unicode except lone surrogates
    max_size=24,
)
RESERVED = st.text(alphabet="/:+ &=?#[]@!$'()*,;%\"~.-_", max_size=12)
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=None, min_value=Decimal("-1e12"),
                       max_value=Decimal("1e12"))
VALUES = st.one_of(
    TEXT,
    RESERVED,
    st.integers(min_value=-(2**63), max_value=2**63),
    DECIMALS,
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.lists(st.one_of(TEXT, st.integers(), DECIMALS), max_size=4),
)
PARAMS = st.dictionaries(NAMES, VALUES, max_size=8)

HMAC = HmacSigner(random_key())
ED = generate_key_pair("ed25519")
RSA = generate_key_pair("rsa")
SIGNERS = {
    "hmac": (HMAC, HMAC),
    "ed25519": (load_private_key(ED.private_pem), load_public_key(ED.public_pem)),
    "rsa": (load_private_key(RSA.private_pem), load_public_key(RSA.public_pem)),
}
EXAMPLES = {"hmac": 3000, "ed25519": 2000, "rsa": 500}


def _decoded(pairs: str) -> list[tuple[str, str]]:
    return parse_qsl(pairs, keep_blank_values=True, strict_parsing=bool(pairs), encoding="utf-8",
                     errors="strict")


@pytest.mark.parametrize("kind", SIGNERS)
def test_signed_bytes_are_sent_bytes(kind):
    signer, verifier = SIGNERS[kind]

    @settings(max_examples=EXAMPLES[kind], deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(query=PARAMS, body=PARAMS, in_body=st.booleans())
    def check(query, body, in_body):
        body = {k: v for k, v in body.items() if k not in query}
        payload = build_payload(query, body_params=body if in_body else None)
        signed = sign_payload(payload, signer)
        wire_query, wire_body = signed.query, signed.body
        # The wire is plain ASCII: every byte is sent as is, nothing is left for an HTTP library to re-encode.
        assert (wire_query + wire_body).isascii()
        assert " " not in wire_query + wire_body
        # The receiving side recovers exactly the signed bytes and the signature, and verifies them.
        parts = split_signature(wire_query.encode(), wire_body.encode())
        assert parts.signed == payload.signed_bytes
        assert parts.signature == signer.sign(payload.signed_bytes) or kind != "hmac"
        assert verify_request(wire_query, wire_body, verifier)
        # The signature is the last parameter.
        last = (wire_body or wire_query).rsplit("&", 1)[-1]
        assert last.startswith("signature=")
        # Decoding what was sent gives back every value as formatted, in order.
        sent = _decoded(wire_query) + _decoded(wire_body)
        expected = [(k, format_value(k, v)) for k, v in {**query, **(body if in_body else {})}.items()
                    if v is not None]
        assert sent[:-1] == expected

    check()


@settings(max_examples=1000, deadline=None)
@given(st.one_of(DECIMALS, st.floats(allow_nan=False, allow_infinity=False)))
def test_numbers_never_use_exponent_notation(value):
    text = format_value("quantity", value)
    assert "e" not in text.lower()
    assert Decimal(text) == (value if isinstance(value, Decimal) else Decimal(repr(value)))


@settings(max_examples=500, deadline=None)
@given(PARAMS)
def test_tampered_payload_fails_verification(params):
    signer, verifier = SIGNERS["ed25519"]
    signed = sign_payload(build_payload({**params, "timestamp": 1}), signer)
    tampered = signed.query.replace("timestamp=1", "timestamp=2", 1)
    assert not verify_request(tampered, "", verifier)
