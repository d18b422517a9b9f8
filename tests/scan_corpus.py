"""A seeded generator of a realistic repository for the leak scanner, with its answer key.

``build_repo(root, seed)`` writes a git repository (code in several languages, configs,
notebooks, lock files, logs, shell histories, Kubernetes manifests) with credentials
planted in many forms and many decoys, commits it in several steps (one key committed
then removed), and stages a last change. It returns a :class:`Corpus` whose answer key
lists, per scan mode, what must be found. The answer key lives in memory (or in a JSON
file written *outside* the scanned tree), never in the tree itself.

Keys are generated from the seed at run time; nothing here is a real key.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import os
import random
import re
import string
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

ALNUM = string.ascii_letters + string.digits


def fp(data: str | bytes) -> str:
    """The scanner's public fingerprint formula (SHA-256, 16 hex), computed independently here."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:16]


def doc_sample_keys() -> list[str]:
    """Binance's published documentation sample keys (public, not secrets).

    The HMAC secret is read from the marked test vector in keysafe.demo.signing; the API
    keys are the HMAC, RSA and Ed25519 examples of rest-api.md.
    """
    import keysafe.demo.signing as demo

    vector = re.search(r'doc_secret = "([A-Za-z0-9]{64})"', inspect.getsource(demo)).group(1)
    return [
        vector,
        "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",  # Binance doc test vector (rest-api.md)
        "CAvIjXy3F44yW6Pou5k8Dy1swsYDWJZLeoK2r8G4cFDnE9nosRppc2eKc1T8TRTQ",  # Binance doc test vector (rest-api.md)
        "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO",  # Binance doc test vector (rest-api.md)
    ]


@dataclass(frozen=True)
class Item:
    """One planted credential: where it is, how it is written, the fingerprints that identify it."""

    path: str
    form: str
    fps: frozenset[str]
    needles: tuple[str, ...] = ()  # text standing on the item's lines (to score tools that report lines only)


@dataclass
class Corpus:
    root: Path
    seed: int
    worktree: list[Item] = field(default_factory=list)  # what `keysafe scan` must find
    staged: list[Item] = field(default_factory=list)  # what `keysafe scan --staged` must find
    history: list[Item] = field(default_factory=list)  # what `keysafe scan --history` must find
    removed: list[Item] = field(default_factory=list)  # committed, later removed from HEAD
    decoys: int = 0

    def save_answer_key(self, path: Path) -> None:
        if self.root in path.resolve().parents:
            raise ValueError("the answer key must stay outside the scanned tree")
        enc = lambda items: [{"path": i.path, "form": i.form, "fps": sorted(i.fps)} for i in items]  # noqa: E731
        path.write_text(json.dumps({"seed": self.seed, "worktree": enc(self.worktree), "staged": enc(self.staged),
                                    "history": enc(self.history), "removed": enc(self.removed),
                                    "decoys": self.decoys}, indent=1))


def score(items: list[Item], findings: list[dict]) -> tuple[float, float, list[Item], list[dict]]:
    """(precision, recall, missed items, false findings): a finding is true when its path and one of
    its fingerprints match a planted item."""
    index: dict[tuple[str, str], Item] = {}
    for it in items:
        for f in it.fps:
            index[(it.path, f)] = it
    found: set[Item] = set()
    false: list[dict] = []
    for f in findings:
        fps = [f["fingerprint"]] + ([f["pair_fingerprint"]] if f.get("pair_fingerprint") else [])
        hits = [index[(f["path"], x)] for x in fps if (f["path"], x) in index]
        if hits:
            found.update(hits)
        else:
            false.append(f)
    tp = len(findings) - len(false)
    precision = tp / len(findings) if findings else 1.0
    recall = len(found) / len(items) if items else 1.0
    return precision, recall, [i for i in items if i not in found], false


def pem_needles(pem: str) -> tuple[str, ...]:
    """A PEM stands on the lines of its text, or (escaped on one line) where its first body line is."""
    return (pem, pem.splitlines()[1])


def item_lines(root: Path, item: Item) -> frozenset[int]:
    """The line numbers an item occupies in its file (line 1 for a whole-file item)."""
    data = (root / item.path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines: set[int] = set()
    for needle in item.needles:
        i = text.find(needle)
        while i != -1:
            first = text.count("\n", 0, i) + 1
            lines.update(range(first, first + needle.count("\n") + 1))
            i = text.find(needle, i + 1)
    return frozenset(lines or {1})


def score_lines(root: Path, items: list[Item], findings: list[tuple[str, int]]) -> tuple[float, float]:
    """(precision, recall) for tools that report (path, line): a finding is true when it stands on a
    line of a planted item. Used to compare keysafe with its peers on equal terms."""
    where: dict[tuple[str, int], list[Item]] = {}
    for it in items:
        for n in item_lines(root, it):
            where.setdefault((it.path, n), []).append(it)
    found: set[Item] = set()
    tp = 0
    for f in findings:
        on_line = where.get(f, [])
        if on_line:
            tp += 1
            fresh = [it for it in on_line if it not in found]
            found.add((fresh or on_line)[0])  # two items on one line need two findings
    precision = tp / len(findings) if findings else 1.0
    recall = len(found) / len(items) if items else 1.0
    return precision, recall


class Gen:
    """Random material from one seed: keys, digests, UUIDs, key pairs."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def key(self) -> str:
        while True:
            k = "".join(self.rng.choice(ALNUM) for _ in range(64))
            if any(c.isupper() for c in k) and any(c.islower() for c in k) and any(c.isdigit() for c in k):
                return k

    def hex64(self, upper: bool = False) -> str:
        h = self.rng.randbytes(32).hex()
        return h.upper() if upper else h

    def uuid(self) -> str:
        h = self.rng.randbytes(16).hex()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def b64(self, n: int) -> str:
        return base64.b64encode(self.rng.randbytes(n)).decode()

    def lower_alnum(self, n: int = 64) -> str:
        return "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(n))

    def ed25519(self) -> tuple[str, bytes]:
        key = ed25519.Ed25519PrivateKey.from_private_bytes(self.rng.randbytes(32))
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        return pem, der

    def ed25519_public(self) -> str:
        key = ed25519.Ed25519PrivateKey.from_private_bytes(self.rng.randbytes(32))
        return key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def rsa(self) -> tuple[str, bytes]:
        key = _rsa_key()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
        return pem, der

    def pick(self, seq):
        return self.rng.choice(seq)

    def filler(self, n: int, lang: str = "py") -> list[str]:
        """Unremarkable code lines around the planted material."""
        words = ["order", "price", "qty", "symbol", "balance", "ticker", "depth", "retry", "limit", "window",
                 "stream", "candle", "spread", "fee", "asset", "wallet", "position", "signal"]
        out = []
        for _ in range(n):
            a, b = self.rng.sample(words, 2)
            num = self.rng.randint(1, 10_000)
            out.append({"py": f"{a}_{b} = compute_{a}({b}, {num})",
                        "js": f"const {a}{b.title()} = compute{a.title()}({b}, {num});",
                        "go": f"{a}{b.title()} := compute{a.title()}({b}, {num})",
                        "txt": f"{a} {b} {num}"}.get(lang, f"{a} = {num}"))
        return out


_RSA_CACHE: list = []


def _rsa_key():
    """RSA generation is slow; a few distinct keys per process are enough for the corpus."""
    if len(_RSA_CACHE) < 3:
        _RSA_CACHE.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _RSA_CACHE[-1]
    return random.choice(_RSA_CACHE)


class Builder:
    """Files of one tree state, with the items planted in them."""

    def __init__(self, gen: Gen) -> None:
        self.g = gen
        self.files: dict[str, str | bytes] = {}
        self.items: list[Item] = []
        self.decoys = 0

    def plant(self, path: str, form: str, *secrets: str | bytes, needles: tuple[str, ...] = ()) -> None:
        plain = tuple(s for s in secrets if isinstance(s, str) and not s.startswith("file:"))
        self.items.append(Item(path, form, frozenset(fp(s) for s in secrets), plain + needles))

    def decoy(self, n: int = 1) -> None:
        self.decoys += n

    def write(self, path: str, lines: list[str] | str | bytes) -> None:
        self.files[path] = lines if isinstance(lines, (str, bytes)) else "\n".join(lines) + "\n"


def _planted_code(b: Builder) -> None:
    g = b.g
    k, s = g.key(), g.key()
    b.write("bot/settings.py", ['"""Bot settings."""', "import os", ""] + g.filler(12) +
            [f'API_KEY = "{k}"', f'API_SECRET = "{s}"'] + g.filler(6))
    b.plant("bot/settings.py", "python assignment pair", k, s)

    k, s = g.key(), g.key()
    b.write("bot/trader.py", ["from binance.client import Client", ""] + g.filler(20) +
            [f'client = Client("{k}", "{s}")'] + g.filler(10))
    b.plant("bot/trader.py", "python-binance positional", k, s)

    k, s = g.key(), g.key()
    b.write("bot/exchange.py", ["import ccxt", "", "exchange = ccxt.binance({", f"    'apiKey': '{k}',",
                                f"    'secret': '{s}',", "    'enableRateLimit': True,", "})"] + g.filler(15))
    b.plant("bot/exchange.py", "ccxt dict", k, s)

    s = g.key()
    b.write("bot/spot.py", ["from binance.spot import Spot", ""] + g.filler(8) +
            ["def make():", f"    return Spot(api_key=os.environ['BINANCE_API_KEY'], api_secret='{s}')"])
    b.plant("bot/spot.py", "keyword argument", s)

    k, s = g.key(), g.key()
    b.write("web/src/binance.js", ["const Binance = require('node-binance-api');"] + g.filler(10, "js") +
            ["const binance = new Binance().options({", f"  APIKEY: '{k}',", f"  APISECRET: '{s}'", "});"])
    b.plant("web/src/binance.js", "javascript options", k, s)

    s = g.key()
    half = 29
    b.write("web/src/sign.ts", ["import crypto from 'crypto';"] + g.filler(5, "js") +
            [f"const secretKey = '{s[:half]}' +", f"  '{s[half:]}';",
             "export const sign = (q: string) => crypto.createHmac('sha256', secretKey).update(q).digest('hex');"])
    b.plant("web/src/sign.ts", "split literal with +", s, needles=(s[:half], s[half:]))

    s = g.key()
    b.write("bot/secret_split.py", g.filler(6) + ["BINANCE_SECRET = (", f'    "{s[:20]}"', f'    "{s[20:45]}"',
                                                  f'    "{s[45:]}"', ")"])
    b.plant("bot/secret_split.py", "implicit concatenation", s, needles=(s[:20], s[20:45], s[45:]))

    k, s = g.key(), g.key()
    b.write("cmd/bot/main.go", ["package main", "", 'import "github.com/adshao/go-binance/v2"', ""] +
            ["func main() {"] + ["\t" + x for x in g.filler(8, "go")] +
            [f'\tclient := binance.NewClient("{k}", "{s}")', "\t_ = client", "}"])
    b.plant("cmd/bot/main.go", "go constructor", k, s)

    s = g.key()
    b.write("src/main/java/bot/Config.java", ["package bot;", "public class Config {",
                                              f'    static final String SECRET_KEY = "{s}";', "}"])
    b.plant("src/main/java/bot/Config.java", "java constant", s)

    k = g.key()
    b.write("src/config.rs", ["pub struct Config;", "impl Config {",
                              f'    pub const API_KEY: &str = "{k}";', "}"])
    b.plant("src/config.rs", "rust const", k)

    s = g.key()
    b.write("php/config.php", ["<?php", f"$api_secret = '{s}';", "return ['exchange' => 'binance'];"])
    b.plant("php/config.php", "php variable", s)

    k = g.key()
    b.write("dotnet/Program.cs", ["class Program {", f'  var binanceApiKey = "{k}";', "}"])
    b.plant("dotnet/Program.cs", "c# variable", k)


def _planted_configs(b: Builder) -> None:
    g = b.g
    k, s = g.key(), g.key()
    b.write(".env", ["# local settings", "DEBUG=1", f"BINANCE_API_KEY={k}", f"BINANCE_API_SECRET={s}"])
    b.plant(".env", "dotenv pair", k, s)
    b.plant(".env", "unignored .env", "file:.env")

    k, s = g.key(), g.key()
    b.write("config/config.json", json.dumps({"exchange": "binance", "binance": {"apiKey": k, "apiSecret": s},
                                              "symbols": ["BTCUSDT", "ETHUSDT"]}, indent=2))
    b.plant("config/config.json", "json config", k, s)

    k, s = g.key(), g.key()
    b.write("config/settings.yaml", ["app:", "  name: gridbot", "binance:", f"  api_key: {k}", f"  api_secret: {s}",
                                     "  testnet: false"])
    b.plant("config/settings.yaml", "yaml", k, s)

    k, s = g.key(), g.key()
    b.write("config/bot.toml", ["[bot]", 'name = "grid"', "", "[binance]", f'api_key = "{k}"', f'secret_key = "{s}"'])
    b.plant("config/bot.toml", "toml", k, s)

    k, s = g.key(), g.key()
    b.write("config/legacy.ini", ["[general]", "interval = 5", "[binance]", f"key = {k}", f"secret = {s}"])
    b.plant("config/legacy.ini", "ini", k, s)

    s = g.key()
    b.write("deploy/Dockerfile", ["FROM python:3.11-slim", "WORKDIR /app", f"ENV BINANCE_API_SECRET={s}",
                                  'CMD ["python", "-m", "bot"]'])
    b.plant("deploy/Dockerfile", "dockerfile env", s)

    k = g.key()
    b.write("deploy/docker-compose.yml", ["services:", "  bot:", "    image: gridbot", "    environment:",
                                          f"      - BINANCE_API_KEY={k}", "      - LOG_LEVEL=info"])
    b.plant("deploy/docker-compose.yml", "compose env list", k)

    s = g.key()
    enc = base64.b64encode(s.encode()).decode()
    pem, der = g.ed25519()
    pem64 = base64.b64encode(pem.encode()).decode()
    b.write("deploy/k8s/secret.yaml", ["apiVersion: v1", "kind: Secret", "metadata:", "  name: bot-credentials",
                                       "type: Opaque", "data:", f"  BINANCE_API_SECRET: {enc}", f"  ed25519.pem: {pem64}"])
    b.plant("deploy/k8s/secret.yaml", "kubernetes base64 secret", s, needles=(enc,))
    b.plant("deploy/k8s/secret.yaml", "kubernetes base64 pem", der, needles=(pem64,))

    k, s = g.key(), g.key()
    b.write("scripts/run.sh", ["#!/bin/sh", "set -e", f"python -m bot --api-key {k} --api-secret {s} --symbol BTCUSDT"])
    b.plant("scripts/run.sh", "cli flags", k, s)

    k = g.key()
    b.write("docs/debugging.md", ["# Debugging", "", "```", f'curl -H "X-MBX-APIKEY: {k}" '
                                  "'https://api.binance.com/api/v3/account?timestamp=1&signature=" + g.hex64() + "'",
                                  "```"])
    b.plant("docs/debugging.md", "curl header", k)

    k = g.key()
    b.write("requests/account.http", ["GET https://api.binance.com/api/v3/account?timestamp=1712876400000",
                                      f"X-MBX-APIKEY: {k}"])
    b.plant("requests/account.http", "http header", k)

    k = g.key()
    b.write("logs/bot-2026-04-12.log", [f"2026-04-12 10:00:{i:02d} INFO tick {g.rng.randint(1, 99)}" for i in range(30)] +
            [f"2026-04-12 10:01:00 DEBUG GET /api/v3/account?apiKey={k}&timestamp=1712876400000"] +
            [f"2026-04-12 10:01:{i:02d} INFO request_id={g.key()} status=200" for i in range(10)])
    b.plant("logs/bot-2026-04-12.log", "url query in log", k)
    b.decoy(10)

    k, s = g.key(), g.key()
    b.write("notes/binance-api.txt", [k, s])
    b.plant("notes/binance-api.txt", "bare lines in a notes file", k, s)

    s = g.key()
    b.write("notes/shell_history", ["ls -la", "cd bot", f"export BINANCE_SECRET_KEY={s}", "python -m bot", "git status"])
    b.plant("notes/shell_history", "shell history export", s)


def _planted_keys_and_notebooks(b: Builder) -> None:
    g = b.g
    pem, der = g.ed25519()
    b.write("keys/binance-ed25519.pem", pem)
    b.plant("keys/binance-ed25519.pem", "ed25519 pem file", der, needles=pem_needles(pem))
    b.plant("keys/binance-ed25519.pem", "unignored key file", "file:keys/binance-ed25519.pem")

    pem, der = g.rsa()
    b.write("deploy/rsa_key.txt", pem)
    b.plant("deploy/rsa_key.txt", "rsa pem", der, needles=pem_needles(pem))

    pem, der = g.ed25519()
    b.write("config/service.json", json.dumps({"name": "signer", "private_key": pem, "key_type": "ed25519"}, indent=2))
    b.plant("config/service.json", "pem in json with \\n escapes", der, needles=pem_needles(pem))

    pem, der = g.ed25519()
    b.write("bot/keys.py", ["from keysafe.signing import load_private_key", "", f'PRIVATE_KEY = """{pem}"""',
                            "signer = load_private_key(PRIVATE_KEY.encode())"])
    b.plant("bot/keys.py", "pem in triple-quoted string", der, needles=pem_needles(pem))

    pem, der = g.ed25519()
    one_line = pem.replace("\n", "\\n")
    b.write("web/src/signer.js", [f'const PRIVATE_KEY = "{one_line}";', "module.exports = { PRIVATE_KEY };"])
    b.plant("web/src/signer.js", "pem on one line", der, needles=pem_needles(pem))

    k, s = g.key(), g.key()
    pem, der = g.ed25519()
    png = g.b64(3000)
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Backtest\n", "Load data and trade.\n"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": ["from binance.client import Client\n", f'api_key = "{k}"\n', f'api_secret = "{s}"\n',
                    "client = Client(api_key, api_secret)\n"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["loaded signing key:\n", pem]},
                     {"output_type": "display_data", "metadata": {}, "data": {"image/png": png}}],
         "source": ["print('loaded signing key:')\n", "print(open('key.pem').read())\n"]}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}}, "nbformat": 4,
        "nbformat_minor": 5}
    b.write("notebooks/backtest.ipynb", json.dumps(nb, indent=1))
    b.plant("notebooks/backtest.ipynb", "notebook source", k, s)
    b.plant("notebooks/backtest.ipynb", "notebook output pem", der, needles=pem_needles(pem))
    b.decoy(1)

    s = g.key()
    b.write("legacy/latin1_config.py", f"# r\xe9glages\nAPI_SECRET = '{s}'\n".encode("latin-1"))
    b.plant("legacy/latin1_config.py", "invalid utf-8 file", s)


def _decoys(b: Builder) -> None:
    g = b.g
    lines = ["# Release checksums"]
    for i in range(12):
        lines.append(f"sha256 ({i}) = {g.hex64()}")
    lines += [f'secret_hash = "{g.hex64()}"', f'api_key_sha256 = "{g.hex64(upper=True)}"',
              f"signature={g.hex64()}", f'uuid = "{g.uuid()}"', f'trace = "{g.uuid().replace("-", "")}{g.uuid().replace("-", "")}"']
    b.write("release/CHECKSUMS.txt", lines)
    b.decoy(len(lines) - 1)

    docs = doc_sample_keys()
    b.write("docs/binance-signing.md", [
        "# Signing a request", "", "Binance's documentation uses these sample values:", "",
        "| Key | Value |", "| --- | --- |", f"| apiKey | {docs[1]} |", f"| secretKey | {docs[0]} |", "",
        "```", f'echo -n "symbol=LTCBTC" | openssl dgst -sha256 -hmac "{docs[0]}"', "```", "",
        f'curl -H "X-MBX-APIKEY: {docs[2]}" https://api.binance.com/api/v3/order', "",
        f"Ed25519 example apiKey: `{docs[3]}`"])
    b.write("tests/test_signing_doc.py", [f'DOC_API_KEY = "{docs[1]}"', f'DOC_SECRET = "{docs[0]}"',
                                          "def test_vector():", "    assert sign(DOC_SECRET) == EXPECTED"])
    b.decoy(7)

    b.write("bot/placeholders.py", ['API_KEY = "Your_API_Key"', 'SECRET_KEY = "Your_Secret_Key"',
                                    'BINANCE_API_KEY = os.environ["BINANCE_API_KEY"]',
                                    'api_secret = "<your-binance-api-secret>"', f'api_key = "{"x" * 64}"',
                                    f'secret = "{"A" * 64}"', f'apiKey = "{"0" * 64}"',
                                    f'secret_key = "{("abcDEF123" * 8)[:64]}"',
                                    f'api_key = "{("aB3dE5" * 11)[:64]}"'])
    b.write(".env.example", ["BINANCE_API_KEY=your_api_key_here", "BINANCE_API_SECRET=${BINANCE_API_SECRET}"])
    b.decoy(9)

    b.write("bot/ids.py", [f'request_id = "{g.key()}"', f'client_order_id = "{g.key()}"', f'nonce = "{g.key()}"',
                           f'session = "{g.key()}"', f'listenKey = "{g.lower_alnum()}"', f'etag = "{g.key()}"',
                           f'commit = "{g.rng.randbytes(20).hex()}"', f'build_id = "{g.key()}"',
                           f'csrf_token = "{g.key()}"', f'cursor = "{g.key()}"'])
    b.decoy(10)

    b.write("web/assets/data.txt", [g.b64(96) for _ in range(20)] + [f"blob: {g.b64(64)}" for _ in range(5)])
    b.decoy(25)

    pkgs = ["left-pad", "lodash", "axios", "ws", "crypto-js", "dotenv"]
    lock = {"name": "web", "lockfileVersion": 3, "packages": {
        f"node_modules/{p}": {"version": f"1.{i}.0", "resolved": f"https://registry.npmjs.org/{p}/-/{p}-1.{i}.0.tgz",
                              "integrity": "sha512-" + g.b64(64)} for i, p in enumerate(pkgs)}}
    b.write("web/package-lock.json", json.dumps(lock, indent=2))
    b.write("poetry.lock", sum(([f'[[package]]\nname = "{p}"', f'version = "1.{i}"',
                                 f'files = [{{file = "{p}-1.{i}.tar.gz", hash = "sha256:{g.hex64()}"}}]', ""]
                                for i, p in enumerate(pkgs)), []))
    b.write("go.sum", [f"github.com/x/{p} v1.{i}.0 h1:{g.b64(32)}" for i, p in enumerate(pkgs)])
    b.decoy(18)

    b.write("keys/binance-ed25519.pub.pem", g.ed25519_public())
    b.write("docs/keys.md", ["Paste your key like this:", "```", "-----BEGIN PRIVATE KEY-----",
                             "<your private key here>", "-----END PRIVATE KEY-----", "```",
                             "or `-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEI...\\n-----END PRIVATE KEY-----`"])
    b.decoy(3)

    b.write("README.md", ["# gridbot", "", "Set `BINANCE_API_KEY` and `BINANCE_API_SECRET` in your environment.",
                          "Run `git diff --staged | grep -i 'api\\|secret\\|key'` before each commit."] + g.filler(10, "txt"))
    b.write("web/src/app.js", g.filler(80, "js"))
    b.write("bot/strategy.py", g.filler(120))
    b.write("assets/logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + g.rng.randbytes(2000))

    # Ignored by .gitignore: not part of the working-tree scan (keysafe respects .gitignore).
    b.write(".gitignore", ["__pycache__/", "*.pyc", ".env.local", "secrets/"])
    b.write(".env.local", [f"BINANCE_API_SECRET={g.key()}"])
    b.write("secrets/prod.env", [f"BINANCE_API_KEY={g.key()}"])


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "corpus", "GIT_AUTHOR_EMAIL": "corpus@example.invalid",
                        "GIT_COMMITTER_NAME": "corpus", "GIT_COMMITTER_EMAIL": "corpus@example.invalid"})


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


def build_tree(root: Path, seed: int) -> Builder:
    """The files of the corpus (no git): the working-tree content with its planted items."""
    b = Builder(Gen(seed))
    _planted_code(b)
    _planted_configs(b)
    _planted_keys_and_notebooks(b)
    _decoys(b)
    root.mkdir(parents=True, exist_ok=True)
    _write(root, b.files)
    return b


def build_repo(root: Path, seed: int) -> Corpus:
    """The full corpus: a repository with history and a staged change, and its answer key."""
    b = build_tree(root, seed)
    g = b.g
    corpus = Corpus(root, seed, decoys=b.decoys)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "initial import")
    history = [i for i in b.items if not i.form.startswith("unignored")]

    # A key committed, then removed: only --history sees it.
    k, s = g.key(), g.key()
    _write(root, {"bot/old_config.py": f'BINANCE_KEY = "{k}"\nBINANCE_SECRET = "{s}"\n'})
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "add old config")
    gone = Item("bot/old_config.py", "committed then deleted", frozenset({fp(k), fp(s)}))
    (root / "bot/old_config.py").unlink()
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "remove old config")

    # A key written into an existing file, then replaced by an environment lookup.
    s2 = g.key()
    strategy = root / "bot/strategy.py"
    original = strategy.read_text()
    strategy.write_text(original + f'\nAPI_SECRET = "{s2}"\n')
    _git(root, "commit", "-q", "-am", "quick test")
    replaced = Item("bot/strategy.py", "committed then replaced", frozenset({fp(s2)}))
    strategy.write_text(original + '\nAPI_SECRET = os.environ["BINANCE_API_SECRET"]\n')
    _git(root, "commit", "-q", "-am", "read the secret from the environment")
    corpus.history = history + [gone, replaced]
    corpus.removed = [gone, replaced]

    # The staged change: a new file and a one-line addition, plus decoys.
    k3, s3 = g.key(), g.key()
    s4 = g.key()
    _write(root, {"bot/new_feature.py": "\n".join(g.filler(10) + [f'API_KEY = "{k3}"', f'API_SECRET = "{s3}"',
                                                                  f'digest = "{g.hex64()}"']) + "\n"})
    with (root / "bot/trader.py").open("a") as fh:
        fh.write(f'backup_client = Client(api_key=KEY, api_secret="{s4}")\nrequest_id = "{g.key()}"\n')
    _git(root, "add", "bot/new_feature.py", "bot/trader.py")
    corpus.staged = [Item("bot/new_feature.py", "staged new file", frozenset({fp(k3), fp(s3)}), (k3, s3)),
                     Item("bot/trader.py", "staged one-line addition", frozenset({fp(s4)}), (s4,))]
    corpus.worktree = list(b.items) + corpus.staged
    corpus.decoys += 2
    return corpus


if __name__ == "__main__":  # python tests/scan_corpus.py DIR [SEED]: build a corpus to look at
    import sys

    target = Path(sys.argv[1])
    c = build_repo(target, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    c.save_answer_key(target.parent / (target.name + ".answers.json"))
    print(f"{target}: {len(c.worktree)} planted in the tree, {len(c.staged)} staged, {len(c.history)} in history, "
          f"{c.decoys} decoys; answer key next to it.")
