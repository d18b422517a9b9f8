"""The payload builder's encoding rules and its errors."""

from decimal import Decimal

import pytest

from keysafe import EncodingError
from keysafe.signing import build_payload, encode_params, split_signature


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("0.00001"), "0.00001"),
        (1e-05, "0.00001"),
        (Decimal("1E+3"), "1000"),
        (0.1, "0.1"),
        (True, "true"),
        (False, "false"),
        (["BTCUSDT", "ETHUSDT"], "%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D"),
        ("a b", "a%20b"),
        ("grid/1:a+b", "grid%2F1%3Aa%2Bb"),
        ("x~y.z-_", "x~y.z-_"),
        ("é", "%C3%A9"),
    ],
)
def test_values_are_encoded_as_binance_expects(value, wire):
    assert encode_params({"v": value}) == f"v={wire}"


def test_none_is_left_out_and_order_is_kept():
    assert encode_params({"b": 1, "a": None, "c": "x"}) == "b=1&c=x"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"price": float("nan")}, "'price' is nan"),
        ({"price": Decimal("Infinity")}, "'price' is Infinity"),
        ({"when": object()}, "'when' has type object"),
        ({"bad name": 1}, "'bad name' is not a Binance parameter name"),
        ({"signature": "x"}, "'signature' parameter was passed in"),
        ([("a", 1), ("a", 2)], "'a' is given twice"),
        ({"s": "\ud800"}, "lone surrogate"),
    ],
)
def test_unencodable_parameters_get_one_clear_error(params, fragment):
    with pytest.raises(EncodingError) as info:
        encode_params(params)
    text = str(info.value)
    assert fragment in text
    assert "Fix:" in text and "\n" not in text


def test_parameter_in_query_and_body_is_refused():
    with pytest.raises(EncodingError, match="both the query and the body"):
        build_payload({"symbol": "A"}, body_params={"symbol": "B"})


@pytest.mark.parametrize(
    ("query", "body", "problem"),
    [
        (b"a=1&b=2", b"", "missing"),
        (b"a=1&signature=ab&b=2", b"", "not-last"),
        (b"a=1&signature=ab", b"signature=cd", "duplicate"),
        (b"a=1&signature=", b"", "empty"),
    ],
)
def test_split_signature_names_the_problem(query, body, problem):
    assert split_signature(query, body).problem == problem


def test_split_signature_keeps_raw_bytes():
    parts = split_signature(b"symbol=%EF%BC%91&x=a+b&signature=a%2Bb%3D", b"q=1")
    assert parts.signed == b"symbol=%EF%BC%91&x=a+bq=1"
    assert parts.signature == "a+b="
