"""Binance's published HMAC test vectors (spec digest section 2.3)."""

from keysafe.signing import HmacSigner, Payload, build_payload, sign_payload

# Binance's published documentation test vector (rest-api.md, "SIGNED Endpoint Examples"); not a real key.
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # Binance doc test vector

ORDER = {"symbol": "LTCBTC", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": 1,
         "price": "0.1", "recvWindow": 5000, "timestamp": 1499827319559}


def test_ascii_payload_vector():
    payload = build_payload(ORDER)
    assert payload.query == ("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
                             "&recvWindow=5000&timestamp=1499827319559")
    sig = HmacSigner(DOC_SECRET).sign(payload.signed_bytes)
    assert sig == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    assert sign_payload(payload, HmacSigner(DOC_SECRET)).query.endswith("&signature=" + sig)


def test_non_ascii_symbol_vector():
    payload = build_payload({**ORDER, "symbol": "１２３４５６"})
    assert payload.query.startswith("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&")
    assert HmacSigner(DOC_SECRET).sign(payload.signed_bytes) == (
        "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3")


def test_mixed_query_and_body_vector():
    query = {k: ORDER[k] for k in ("symbol", "side", "type", "timeInForce")}
    body = {k: ORDER[k] for k in ("quantity", "price", "recvWindow", "timestamp")}
    payload = build_payload(query, body_params=body)
    assert payload.signed_bytes == (b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1"
                                    b"&recvWindow=5000&timestamp=1499827319559")
    sig = HmacSigner(DOC_SECRET).sign(payload.signed_bytes)
    assert sig == "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
    signed = sign_payload(payload, HmacSigner(DOC_SECRET))
    assert signed == Payload(payload.query, payload.body + "&signature=" + sig)


def test_hmac_verification_is_case_insensitive():
    signer = HmacSigner(DOC_SECRET)
    payload = build_payload(ORDER).signed_bytes
    assert signer.verify(payload, signer.sign(payload).upper())
    assert not signer.verify(payload + b"0", signer.sign(payload))
