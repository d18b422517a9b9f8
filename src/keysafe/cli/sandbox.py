"""`keysafe sandbox serve | key create | key list | key delete`."""

from __future__ import annotations

import gc
import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Any

import click
import httpx
from rich.table import Table

from keysafe.cli._common import console, fail
from keysafe.errors import ConfigurationError
from keysafe.home import keysafe_home
from keysafe.sandbox.keys import PERMISSION_NAMES, KeyStore, new_key_string

DEFAULT_PORT = 8765


def _home() -> Path:
    return keysafe_home()


def _state_file() -> Path:
    return _home() / "sandbox.json"


def _write_state(url: str, token: str) -> Path:
    path = _state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"url": url, "adminToken": token, "pid": os.getpid()}, fh)
    return path


@click.group("sandbox")
def sandbox_group() -> None:
    """A local Binance-compatible exchange: point any bot at it and see what Binance would answer."""


@sandbox_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option("--keys", "keys_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="JSON list of keys to register at start (label, type, apiKey, secretKey|publicKey, ...).")
@click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Divide every rate-limit window, limit and ban by this (10: 6000/min becomes 600/6 s).")
@click.option("--clock-offset-ms", default=0, show_default=True, help="Move the server clock (tests -1021).")
@click.option("--latency-ms", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Delay every API answer.")
@click.option("--error-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of API calls answered with a 5xx 'execution status unknown'.")
@click.option("--maintenance", is_flag=True, help="Start with system/status in maintenance.")
@click.option("--trust-forwarded-for", is_flag=True, help="Take the client IP from X-Forwarded-For (behind a proxy).")
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic prices.")
@click.option("--admin-token", envvar="KEYSAFE_SANDBOX_ADMIN_TOKEN", default=None,
              help="Token for the /admin API (default: random, printed). Env: KEYSAFE_SANDBOX_ADMIN_TOKEN.")
def serve_command(host: str, port: int, keys_file: str | None, scale: float, clock_offset_ms: int,
                  latency_ms: float, error_rate: float, maintenance: bool, trust_forwarded_for: bool, seed: int,
                  admin_token: str | None) -> None:
    """Run the sandbox until Ctrl-C."""
    import uvicorn

    from keysafe.sandbox import SandboxConfig, create_app
    from keysafe.sandbox.exchange import Exchange
    from keysafe.sandbox.runner import bind_socket

    config = SandboxConfig(scale=scale, clock_offset_ms=clock_offset_ms, latency_ms=latency_ms,
                           error_rate=error_rate, maintenance=maintenance, trust_forwarded_for=trust_forwarded_for,
                           seed=seed, admin_token=admin_token)
    exchange = Exchange(config, keys_file)
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    sock = bind_socket(host, port)
    actual = sock.getsockname()[1]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{actual}"
    state = _write_state(url, config.admin_token or "")
    console.print(f"[bold green]keysafe sandbox[/] listening on [bold]{url}[/]  (scale {scale:g}, "
                  f"{len(exchange.keys)} key(s) loaded)")
    if not loopback:
        console.print(f"[yellow]! listening on {host}, not loopback: other machines can reach it.[/]")
    console.print(f"  admin token: {config.admin_token}  (header X-Keysafe-Admin-Token; saved to {state})")
    console.print(f"  python-binance: client.API_URL = '{url}/api'   ccxt: urls['api'] public/private = '{url}/api/v3'")
    console.print("  create a key: [bold]keysafe sandbox key create --label bot --trade[/]   Ctrl-C stops.")
    app = create_app(exchange=exchange)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                             proxy_headers=False))
    gc.collect()
    gc.freeze()  # startup objects never change: keep them out of every later GC pass (shorter pauses)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        try:
            if json.loads(state.read_text()).get("pid") == os.getpid():
                state.unlink()
        except (OSError, ValueError):
            pass


# ---------------------------------------------------------------- keys


def _target(url: str | None, token: str | None) -> tuple[str, str]:
    if url and token:
        return url.rstrip("/"), token
    try:
        state = json.loads(_state_file().read_text())
    except (OSError, ValueError):
        state = {}
    url = url or state.get("url")
    token = token or state.get("adminToken")
    if not url or not token:
        raise ConfigurationError("No running sandbox found.",
                                 "Start one with `keysafe sandbox serve`, or pass --url and --admin-token.")
    return url.rstrip("/"), token


def _admin(method: str, url: str, token: str, path: str, body: Any = None) -> Any:
    try:
        resp = httpx.request(method, url + path, json=body, headers={"X-Keysafe-Admin-Token": token}, timeout=10)
    except httpx.HTTPError as exc:
        raise ConfigurationError(f"Cannot reach the sandbox at {url} ({type(exc).__name__}).",
                                 "Check that `keysafe sandbox serve` is running and the --url is right.") from None
    try:
        data = resp.json()
    except ValueError:
        data = {}
    if resp.status_code != 200:
        raise ConfigurationError(f"The sandbox refused: {str(data.get('error', resp.status_code)).rstrip('.')}.",
                                 data.get("remedy", "Check the admin token."))
    return data


_url_opt = click.option("--url", envvar="KEYSAFE_SANDBOX_URL", default=None,
                        help="Sandbox URL (default: the one `sandbox serve` saved).")
_token_opt = click.option("--admin-token", envvar="KEYSAFE_SANDBOX_ADMIN_TOKEN", default=None,
                          help="Admin token (default: the one `sandbox serve` saved).")


@sandbox_group.group("key")
def key_group() -> None:
    """Create, list and delete the sandbox's API keys."""


@key_group.command("create")
@click.option("--label", default="", help="A name for the key.")
@click.option("--type", "key_type", type=click.Choice(["hmac", "ed25519", "rsa"]), default="hmac", show_default=True)
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False, exists=True), default=None,
              help="PEM public key file (ed25519 and rsa keys).")
@click.option("--ip", "ips", multiple=True, help="Whitelisted IP (repeat, up to 30). None: unrestricted.")
@click.option("--account", default="default", show_default=True, help="Account the key trades for.")
@click.option("--trade", is_flag=True, help="Enable spot trading (enableSpotAndMarginTrading).")
@click.option("--withdraw", is_flag=True, help="Enable withdrawals (needs --ip).")
@click.option("--permission", "perms", multiple=True, type=click.Choice(PERMISSION_NAMES),
              help="Enable another permission by its apiRestrictions name (repeatable).")
@click.option("--no-reading", is_flag=True, help="Disable enableReading.")
@click.option("--file", "keys_file", type=click.Path(dir_okay=False), default=None,
              help="Add the key to this --keys JSON file instead of a running sandbox.")
@_url_opt
@_token_opt
def key_create(label: str, key_type: str, public_key: str | None, ips: tuple[str, ...], account: str, trade: bool,
               withdraw: bool, perms: tuple[str, ...], no_reading: bool, keys_file: str | None, url: str | None,
               admin_token: str | None) -> None:
    """Create a key; an HMAC key's secret is shown once."""
    pem = None
    if public_key:
        text = Path(public_key).read_text(errors="replace")
        block = re.search(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", text, re.S)
        pem = block.group(0) + "\n" if block else text  # also accepts `keysafe keygen` output saved whole
    if key_type != "hmac" and not pem:
        fail(f"A {key_type} key needs --public-key PEM_FILE (make one with `keysafe keygen {key_type}`).")
    permissions = {p: True for p in perms}
    if trade:
        permissions["enableSpotAndMarginTrading"] = True
    if withdraw:
        permissions["enableWithdrawals"] = True
    if no_reading:
        permissions["enableReading"] = False
    if keys_file:
        created = _add_to_file(Path(keys_file), label, key_type, pem, list(ips), account, permissions)
        where = f"added to {keys_file}"
    else:
        u, t = _target(url, admin_token)
        created = _admin("POST", u, t, "/admin/keys", {"label": label, "type": key_type, "publicKey": pem,
                                                        "ipWhitelist": list(ips), "account": account, **permissions})
        where = f"registered on {u}"
    console.print(f"[green]Key {label or '(no label)'} {where}.[/]")
    console.print(f"  API key:    {created['apiKey']}")
    if created.get("secretKey"):
        console.print(f"  Secret key: {created['secretKey']}")
        console.print("  [yellow]The secret is shown once:[/] store it now (e.g. `keysafe add`).")


def _add_to_file(path: Path, label: str, key_type: str, pem: str | None, ips: list[str], account: str,
                 permissions: dict[str, bool]) -> dict[str, Any]:
    entries: list[Any] = []
    if path.exists():
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ConfigurationError(f"{path} is not valid JSON ({exc}).", "Fix or move the file; it was not changed.")
    entry: dict[str, Any] = {"label": label, "type": key_type, "apiKey": new_key_string(), "account": account,
                             "ipRestrict": bool(ips), "ipWhitelist": ips, **permissions}
    if key_type == "hmac":
        entry["secretKey"] = new_key_string()
    else:
        entry["publicKey"] = pem
    KeyStore().load_entries([*entries, entry], source=str(path))  # validates the whole file first
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump([*entries, entry], fh, indent=2, ensure_ascii=False)
    return {"apiKey": entry["apiKey"], "secretKey": entry.get("secretKey")}


@key_group.command("list")
@_url_opt
@_token_opt
def key_list(url: str | None, admin_token: str | None) -> None:
    """List the keys of a running sandbox (never their secrets)."""
    u, t = _target(url, admin_token)
    keys = _admin("GET", u, t, "/admin/keys")
    table = Table("label", "type", "account", "IP whitelist", "permissions", "API key")
    table.columns[-1].overflow = "fold"
    table.columns[-1].min_width = 64
    for k in keys:
        perms = ", ".join(p.removeprefix("enable") for p in PERMISSION_NAMES if k.get(p))
        table.add_row(k["label"], k["type"], k["account"], ", ".join(k["ipWhitelist"]) or "any", perms, k["apiKey"])
    console.print(table if keys else "No keys yet: `keysafe sandbox key create --label bot --trade`.")


@key_group.command("delete")
@click.argument("api_key")
@_url_opt
@_token_opt
def key_delete(api_key: str, url: str | None, admin_token: str | None) -> None:
    """Delete a key; the next request that uses it gets -2015."""
    u, t = _target(url, admin_token)
    _admin("DELETE", u, t, f"/admin/keys/{api_key}")
    console.print(f"[green]Deleted {api_key[:4]}…{api_key[-4:]}.[/]")
