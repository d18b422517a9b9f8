"""The output filter of `keysafe run`: a secret is masked however the child's writes split it."""

from __future__ import annotations

from helpers import random_key
from hypothesis import given, settings
from hypothesis import strategies as st

from keysafe.signing import generate_key_pair
from keysafe.vault.run import Masker

SECRET, API = random_key(), random_key()
PEM = generate_key_pair("ed25519").private_pem.decode()


def _through(masker: Masker, data: bytes, cuts: list[int]) -> bytes:
    out, last = b"", 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        out += masker.feed(data[last:cut])
        last = cut
    return out + masker.flush()


@settings(max_examples=200, deadline=None)
@given(prefix=st.text(st.characters(codec="ascii"), max_size=40).map(str.encode), middle=st.binary(max_size=40), cuts=st.lists(st.integers(0, 400), max_size=12))
def test_secret_masked_across_any_split(prefix, middle, cuts):
    data = prefix + SECRET.encode() + middle + API.encode() + SECRET.encode()[:20] + PEM.encode()
    out = _through(Masker([SECRET, PEM], [API]), data, cuts)
    assert out.startswith(prefix)  # text around the secrets passes through unchanged
    assert SECRET.encode() not in out and API.encode() not in out
    for line in PEM.splitlines()[1:-1]:
        assert line.encode() not in out
    assert f"{API[:4]}…{API[-4:]}".encode() in out
    assert out.count(b"****") >= 2


def test_output_without_secrets_passes_unchanged_and_promptly():
    m = Masker([SECRET], [API])
    assert m.feed(b"hello world\n") == b"hello world\n"
    held = m.feed(b"partial " + SECRET.encode()[:10])  # could be the start of the secret: held back
    assert held == b"partial "
    assert m.feed(b"X") == SECRET.encode()[:10] + b"X"  # it was not: released at once
