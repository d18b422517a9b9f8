"""`keysafe keygen ed25519|rsa`: a key pair for Binance's self-generated API keys."""

from __future__ import annotations

import click

from keysafe.cli._common import console
from keysafe.signing import KeyType, generate_key_pair, write_private_key


@click.command("keygen")
@click.argument("key_type", type=click.Choice(["ed25519", "rsa"]), metavar="ed25519|rsa")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the private key (created with mode 0600; never overwritten). "
                   "Default: ./binance-<type>.pem")
@click.option("--bits", type=click.Choice(["2048", "3072", "4096"]), default="2048", show_default=True,
              help="RSA key size.")
@click.option("--encrypt", is_flag=True, help="Protect the private key file with a passphrase (prompted).")
def keygen_command(key_type: str, out: str | None, bits: str, encrypt: bool) -> None:
    """Generate a key pair; print the public key to paste into Binance's "self-generated" form."""
    passphrase = None
    if encrypt:
        passphrase = click.prompt("Passphrase for the private key", hide_input=True, confirmation_prompt=True)
    pair = generate_key_pair(KeyType(key_type), rsa_bits=int(bits), passphrase=passphrase)
    path = write_private_key(out or f"binance-{key_type}.pem", pair.private_pem)
    console.print(f"[green]Private key written to {path} (mode 0600).[/] Keep it secret; never commit it.")
    console.print("Paste this public key into Binance → API Management → Create API → Self-generated:\n")
    click.echo(pair.public_pem, nl=False)
