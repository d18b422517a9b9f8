"""Detectors, filters and the fingerprint interface, on texts a user writes."""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers import random_key
from scan_corpus import doc_sample_keys

from keysafe.scan import (
    KnownFingerprints,
    Options,
    ScanError,
    fingerprint,
    fingerprint_secret,
    load_known_fingerprints,
    scan_paths,
    scan_text,
    write_known_fingerprints,
)
from keysafe.scan.filters import DOC_SAMPLE_SHA256
from keysafe.signing import generate_key_pair

ROOT = Path(__file__).resolve().parent.parent


def kinds(text: str, path: str = "x.py", **kw) -> list[str]:
    return [f.kind for f in scan_text(text, path, Options(**kw))]


@pytest.mark.parametrize("template", [
    'API_SECRET = "{k}"', "secretKey: {k}", 'os.environ["BINANCE_SECRET"] = "{k}"', "--api-secret {k}",
    "export BINANCE_API_SECRET='{k}'", '"apiSecret": "{k}",', "<secret>{k}</secret>",
])
def test_secret_contexts(template):
    assert kinds(template.format(k=random_key())) == ["binance-secret-key"]


@pytest.mark.parametrize("template", [
    'X-MBX-APIKEY: {k}', "https://x/api/v3/account?apiKey={k}&timestamp=1", "const apiKey = '{k}';",
    'binance.NewClient("{k}", os.Getenv("S"))', "api-key = {k}",
])
def test_api_key_contexts(template):
    assert kinds(template.format(k=random_key())) == ["binance-api-key"]


@pytest.mark.parametrize("text", [
    "sha256 = {h}", 'signature = "{h}"', "{H}", "id = {u}", 'secret_hash = "{h}"',
])
def test_digests_signatures_uuids_are_not_keys(text):
    h = hashlib.sha256(random_key().encode()).hexdigest()
    assert kinds(text.format(h=h, H=h.upper(), u="0b9a6c1e-3f2d-4c6b-9a8e-1234567890ab")) == []


@pytest.mark.parametrize("value", ["Your_API_Key_" + "x" * 51, "A" * 64, "0" * 64, ("aB3dE5" * 11)[:64],
                                   ("abcDEF123" * 8)[:64], string.ascii_uppercase + string.ascii_lowercase + string.digits + "AB"])
def test_placeholders_are_not_keys(value):
    assert kinds(f'API_SECRET = "{value}"') == []


def test_random_strings_without_key_context_are_not_findings():
    text = "\n".join(f'{name} = "{random_key()}"' for name in ("request_id", "nonce", "session", "etag", "cursor"))
    assert kinds(text + f"\nlogger.info('{random_key()}')") == []


def test_binance_documentation_samples_are_not_findings():
    docs = doc_sample_keys()
    assert {hashlib.sha256(d.encode()).hexdigest() for d in docs} == DOC_SAMPLE_SHA256
    text = f'API_KEY = "{docs[1]}"\nAPI_SECRET = "{docs[0]}"\ncurl -H "X-MBX-APIKEY: {docs[2]}"\napiKey: {docs[3]}\n'
    assert kinds(text) == []


def test_key_and_secret_side_by_side_are_one_pair_finding():
    k, s = random_key(), random_key()
    [f] = scan_text(f'client = Client("{k}", "{s}")', "bot.py")
    assert f.kind == "binance-key-pair" and f.fingerprint == fingerprint(s) and f.pair_fingerprint == fingerprint(k)
    [f] = scan_text(f"api_secret: {s}\napi_key: {k}\n", "c.yaml")
    assert f.fingerprint == fingerprint(s) and f.pair_fingerprint == fingerprint(k) and f.line == 1


@pytest.mark.parametrize("kind, key_type", [("ed25519-private-key", "ed25519"), ("rsa-private-key", "rsa")])
def test_private_keys_in_every_encoding(kind, key_type):
    pem = generate_key_pair(key_type).private_pem.decode()
    forms = [pem, json.dumps({"private_key": pem}), f'KEY = "{pem.replace(chr(10), chr(92) + "n")}"',
             "KEY = (\n" + "\n".join(f'    "{line}\\n"' for line in pem.splitlines()) + "\n)",
             f"tls.key: {base64.b64encode(pem.encode()).decode()}"]
    for text in forms:
        found = scan_text(text, "k.txt")
        assert [f.kind for f in found] == [kind], text[:80]
        assert found[0].preview == ""
    assert len({scan_text(t, "k.txt")[0].fingerprint for t in forms}) == 1  # one key, one fingerprint


def test_public_keys_and_placeholder_pems_are_not_findings():
    pub = generate_key_pair("ed25519").public_pem
    placeholder = "-----BEGIN PRIVATE KEY-----\n<paste your key here>\n-----END PRIVATE KEY-----\n"
    assert kinds(pub + placeholder) == []


def test_split_literals_and_kubernetes_base64():
    s = random_key()
    assert kinds(f'SECRET = ("{s[:21]}"\n    "{s[21:50]}"\n    "{s[50:]}")') == ["binance-secret-key"]
    assert kinds(f"const secret = '{s[:32]}' + '{s[32:]}';", "a.js") == ["binance-secret-key"]
    b64 = base64.b64encode((s + "\n").encode()).decode()  # `echo $SECRET | base64` keeps the newline
    assert kinds(f"kind: Secret\ndata:\n  token: {b64}\n", "secret.yaml") == ["binance-api-key"]
    assert kinds(f"data:\n  blob: {base64.b64encode(bytes(range(64))).decode()}\n", "x.yaml") == []


def test_notebooks_json_escaped_sources():
    k = random_key()
    cell = json.dumps({"cells": [{"source": [f'api_key = "{k}"\n']}]})
    [f] = scan_text(cell, "nb.ipynb")
    assert f.fingerprint == fingerprint(k)


def test_lock_files_and_inline_allow():
    k = random_key()
    assert kinds(f'"integrity": "sha512-x", "key": "{k}"', "package-lock.json") == []
    assert kinds(f'API_SECRET = "{k}"  # keysafe: allow') == []
    assert kinds(f'# keysafe: allow\nAPI_SECRET = "{k}"') == ["binance-secret-key"]  # only its own line


def test_findings_never_show_the_secret():
    s = random_key()
    [f] = scan_text(f'API_SECRET = "{s}"', "x.py", Options(keep_secrets=True))
    assert s not in repr(f) and s not in str(f.to_dict()) and s not in json.dumps(f.redacted().to_dict(True))
    assert f.to_dict(show_secrets=True)["secret"] == s and f.shown() == s[:4] + "…"
    assert s not in pickle.dumps(f.redacted()).decode("latin-1")


def test_fingerprint_interface_for_the_vault(tmp_path, monkeypatch):
    salt = bytes(range(16))
    secret = random_key()
    pem = generate_key_pair("ed25519").private_pem.decode()
    assert fingerprint_secret(secret, salt) == hashlib.sha256(salt + secret.encode()).hexdigest()
    assert fingerprint_secret(secret, salt.hex()) == fingerprint_secret(secret + "\n", salt)
    assert fingerprint_secret(pem, salt) == fingerprint_secret(pem.replace("\n", "\r\n"), salt)

    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path))
    assert not load_known_fingerprints()  # no file: no known keys
    write_known_fingerprints(tmp_path / "fingerprints.json", salt, [("bot", secret), ("ed", pem)])
    data = json.loads((tmp_path / "fingerprints.json").read_text())
    assert data["salt"] == salt.hex() and {e["label"] for e in data["fingerprints"]} == {"bot", "ed"}
    known = load_known_fingerprints()
    assert isinstance(known, KnownFingerprints) and known.match(secret) == "bot"
    found = scan_text(f"{secret}\n" + json.dumps({"k": pem}), "notes.txt", Options(known=known))
    assert [(f.kind, f.label) for f in found] == [("known-key", "bot"), ("known-key", "ed")]

    (tmp_path / "fingerprints.json").write_text("{broken")
    with pytest.raises(ScanError, match="malformed"):
        load_known_fingerprints()


def test_keysafe_own_sources_hold_no_key():
    """The scanner's code, its corpus generator and the demo with Binance's marked test vector."""
    paths = [str(ROOT / p) for p in ("src/keysafe/scan", "src/keysafe/cli/scan.py", "src/keysafe/demo/signing.py",
                                     "tests/scan_corpus.py", "tests/test_scan_detectors.py")]
    result = scan_paths(paths, Options(), jobs=1, cwd=ROOT)
    assert result.files >= 12 and result.findings == []


# ------------------------------------------------------------------ the fast context checks are exact

_FRAGMENTS = ["api", "Key", "KEY", "key", "_key", "apikey", "X-MBX-APIKEY", "secret", "Secret", "sec", "Binance",
              "private", "Private Key", "access-key", "passphrase", "credential", "client(", "Spot (", "UMFutures(",
              "futures", "ccxt", "hash", "SHA256", "sha1", "md5", "digest", "checksum", "integrity", "signature",
              "nonce", "uuid", "GUID", "request_id", "requestId", "trace", "session", "etag", "commit", "listenKey",
              "listen-key", "salt", "iv", "IV", "fingerprint", "id", "_id", "Id", "order_id", "txid", "hashed",
              "cursor", "csrf", "build", "monkey", "keyboard", "ids", "idx", "valid", "x", "9", "_", "-", ".", " ",
              "=", ":", '"', "'", "(", "\n", "\u212a", "\u017f", "\u0131", "é"]  # Kelvin sign, long s, dotless i


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join))
def test_fast_context_word_checks_agree_with_the_exact_patterns(s: str) -> None:
    """The scanner's hot path answers KEY/NOT_KEY/SECRET word questions without the slow
    case-insensitive regexes; it must give exactly their answers, on any text."""
    from keysafe.scan import context

    assert context.has_key_word(s) == (context.KEY_WORDS.search(s) is not None)
    assert context.has_not_key_word(s) == (context.NOT_KEY_WORDS.search(s) is not None)
    assert context.has_secret_word(s) == (context.SECRET_WORDS.search(s) is not None)
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_\-]*", s)
    assert context._last_name(s) == (names[-1] if names else "")
