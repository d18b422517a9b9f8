"""The error table is complete against the spec digest, and every error explains its fix."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from keysafe import (
    ApiKeyRejectedError,
    BinanceAPIError,
    ExecutionStatusUnknown,
    FilterError,
    IPBannedError,
    OrderRateLimitError,
    RateLimitError,
    RequestError,
    SignatureError,
    TimestampError,
    error_from_response,
)
from keysafe.spec import ERRORS

# Every code named in section 5 of shared/spec/binance-rest.md (binance-spot-api-docs @ a5e0bc3).
DIGEST_CODES = {
    -1000, -1001, -1002, -1003, -1006, -1007, -1008, -1013, -1014, -1015, -1016, -1020, -1021, -1022,
    -1033, -1034, -1035,
    -1100, -1101, -1102, -1103, -1104, -1105, -1106, -1108, -1111, -1112, -1114, -1115, -1116, -1117,
    -1118, -1119, -1120, -1121, -1122, -1125, -1127, -1128, -1130, -1134, -1135, -1139, -1145, -1151,
    -1152, -1153, -1155, -1158, -1160, -1161, -1165, -1166, -1168, *range(-1191, -1168), -1194, -1196,
    -1197, -1198, -1199, -1210, -1211, -1220, -1221, -1222, -1223, -1224, -1225,
    -2010, -2011, -2013, -2014, -2015, -2016, -2021, -2022, -2026, -2035, -2036, -2038, -2039, -2042, -2043,
}

DIGEST = Path(__file__).resolve().parents[2] / "shared" / "spec" / "binance-rest.md"


def test_every_digest_code_is_in_the_table():
    assert DIGEST_CODES - set(ERRORS) == set()


def test_table_matches_the_digest_file_when_present():
    # CI runs with shared/ beside the checkout; a developer clone may not have it.
    text = DIGEST.read_text() if DIGEST.exists() else ""
    section5 = text.split("## 5. Error codes", 1)[-1].split("## 6.", 1)[0] if text else ""
    found = {int(c) for c in re.findall(r"^\| (-\d{4}) \|", section5, re.M)}
    assert found <= set(ERRORS)


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_each_entry_is_complete(code):
    spec = ERRORS[code]
    assert spec.code == code and spec.name.isupper() and spec.messages and all(spec.messages)
    assert 400 <= spec.http_status < 600
    assert spec.remedy and "\n" not in spec.remedy and len(spec.remedy) < 260


@pytest.mark.parametrize("code", sorted(c for c in ERRORS if not ERRORS[c].fix_only))
def test_every_exception_renders_its_remedy(code):
    spec = ERRORS[code]
    body = {"code": code, "msg": spec.message}
    err = error_from_response(spec.http_status, body, endpoint="GET /api/v3/account")
    text = str(err)
    assert isinstance(err, BinanceAPIError)
    assert err.code == code and err.http_status == spec.http_status and err.message == spec.message
    assert err.remedy == spec.remedy and spec.remedy in text and str(code) in text and "\n" not in text
    assert pickle.loads(pickle.dumps(err)).remedy == spec.remedy


def test_exact_messages_of_the_spec():
    assert ERRORS[-1021].messages == ("Timestamp for this request is outside of the recvWindow.",
                                      "Timestamp for this request was 1000ms ahead of the server's time.")
    assert ERRORS[-1022].message == "Signature for this request is not valid."
    assert ERRORS[-2014].message == "API-key format invalid."
    assert ERRORS[-2015].message == "Invalid API-key, IP, or permissions for action."
    assert ERRORS[-1013].render(1, "LOT_SIZE") == "Filter failure: LOT_SIZE"
    assert ERRORS[-1015].render(1, 50, "10 seconds") == "Too many new orders; current limit is 50 orders per 10 seconds."


def test_remedies_say_what_the_articles_and_spec_say():
    assert "sign exactly the string you send" in ERRORS[-1022].remedy.lower()
    assert "recvwindow" in ERRORS[-1021].remedy.lower() and "sync" in ERRORS[-1021].remedy.lower()
    assert "newline" in ERRORS[-2014].remedy.lower() or "spaces" in ERRORS[-2014].remedy.lower()
    assert "retry-after" in ERRORS[-1003].remedy.lower()
    r2015 = ERRORS[-2015].remedy.lower()
    for cause in ("environment", "ip", "permission", "deleted"):
        assert cause in r2015


@pytest.mark.parametrize(
    ("status", "body", "headers", "cls", "retry"),
    [
        (400, b'{"code":-1022,"msg":"Signature for this request is not valid."}', {}, SignatureError, None),
        (400, b'{"code":-1021,"msg":"x"}', {}, TimestampError, None),
        (429, b'{"code":-1003,"msg":"Too much request weight used"}', {"Retry-After": "12"}, RateLimitError, 12),
        (418, b'{"code":-1003,"msg":"Way too much request weight used"}', {"retry-after": "120"}, IPBannedError, 120),
        (429, b'{"code":-1015,"msg":"Too many new orders."}', {"Retry-After": "3"}, OrderRateLimitError, 3),
        (401, b'{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}', {}, ApiKeyRejectedError, None),
        (400, b'{"code":-1013,"msg":"Filter failure: LOT_SIZE"}', {}, FilterError, None),
        (400, b'{"code":-1102,"msg":"Mandatory parameter"}', {}, RequestError, None),
        (503, b"<html>Service Unavailable</html>", {}, ExecutionStatusUnknown, None),
        (500, b'{"code":-1007,"msg":"Timeout waiting for response from backend server."}', {}, ExecutionStatusUnknown, None),
    ],
)
def test_responses_map_to_typed_exceptions(status, body, headers, cls, retry):
    err = error_from_response(status, body, headers)
    assert type(err) is cls
    assert err.retry_after == retry
    assert err.remedy


def test_5xx_is_not_a_failure_and_says_to_check_first():
    err = error_from_response(502, b"")
    assert isinstance(err, ExecutionStatusUnknown)
    assert "query the order" in err.remedy
