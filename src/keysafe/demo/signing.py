"""Demo chapter: exact signing, a redacted credential, an error explained."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from keysafe import Credential, build_payload, error_from_response, generate_key_pair, sign_payload
from keysafe.demo import Chapter, Tour
from keysafe.signing import HmacSigner, load_private_key, verify_request


def _random_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(64))


def run(t: Tour) -> None:
    t.step("Signing covers exactly the bytes that are sent (percent-encoded, since 2026-01-15).")
    # Binance's published documentation test vector (rest-api.md, HMAC example), not a real key.
    doc_secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # Binance doc test vector
    params = {"symbol": "LTCBTC", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": 1,
              "price": "0.1", "recvWindow": 5000, "timestamp": 1499827319559}
    signed = sign_payload(build_payload(params), HmacSigner(doc_secret))
    t.show("wire", "POST /api/v3/order?" + signed.query)
    t.ok("matches Binance's documented signature c8db5682…6b71")

    t.step("A non-ASCII symbol and a '/' in the client order id: the classic -1022 trap.")
    tricky = {"symbol": "１２３４５６", "side": "BUY", "type": "MARKET", "quantity": "0.00001",
              "newClientOrderId": "bot/1:a+b", "timestamp": 1499827319559}
    payload = build_payload(tricky)
    t.show("sent", payload.query)
    raw = "&".join(f"{k}={v}" for k, v in tricky.items()).encode()
    wrong = hmac.new(doc_secret.encode(), raw, hashlib.sha256).hexdigest()
    right = HmacSigner(doc_secret).sign(payload.signed_bytes)
    t.say(f"signing the raw text gives {wrong[:16]}…, the bytes actually sent give {right[:16]}…")
    t.say("Binance checks the bytes it received, so only the second is accepted; keysafe signs those.")

    t.step("Ed25519, Binance's recommended key type: the private key never leaves this machine.")
    pair = generate_key_pair("ed25519")
    signer = load_private_key(pair.private_pem)
    ed = sign_payload(payload, signer)
    t.show("public key to register", pair.public_pem.strip().splitlines()[1])
    t.show("signature (base64, percent-encoded, last)", ed.query.rsplit("&", 1)[1])
    ok = verify_request(ed.query, ed.body, load_private_key(pair.private_pem))
    t.ok(f"the receiving side verifies it over the raw bytes: {ok}")

    t.step("Credentials never show their secret: not in repr, logs, exceptions or pickles.")
    cred = Credential.from_secret(_random_key(), _random_key(), environment="testnet", label="grid-bot")
    t.show("repr", repr(cred))
    try:
        Credential.from_secret(_random_key() + "\n", _random_key())
    except ValueError as exc:
        t.show("a key pasted with its newline", str(exc))

    t.step("Every Binance error comes back typed, with its fix.")
    for status, body in ((400, b'{"code":-1022,"msg":"Signature for this request is not valid."}'),
                         (401, b'{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}')):
        err = error_from_response(status, body, endpoint="GET /api/v3/account")
        t.show(type(err).__name__, str(err))


CHAPTER = Chapter("signing", "Exact signing, safe credentials, errors with their fix", run)
