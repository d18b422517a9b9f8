"""`keysafe keygen ed25519|rsa [LABEL]`: a key pair for Binance's self-generated API keys.

With a LABEL the private key goes straight into the vault and only the public key is
printed; with ``--out FILE`` (and no label) the private key is written to a 0600 file.
"""

from __future__ import annotations

import click

from keysafe.cli._common import console
from keysafe.signing import KeyType, generate_key_pair, write_private_key
from keysafe.spec import Environment


@click.command("keygen")
@click.argument("key_type", type=click.Choice(["ed25519", "rsa"]), metavar="ed25519|rsa")
@click.argument("label", required=False)
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write the private key to this file instead of the vault (created with mode 0600; never "
                   "overwritten). Without LABEL and --out: ./binance-<type>.pem")
@click.option("--bits", type=click.Choice(["2048", "3072", "4096"]), default="2048", show_default=True,
              help="RSA key size.")
@click.option("--encrypt", is_flag=True, help="Protect the private key FILE with a passphrase (prompted).")
@click.option("--profile", default="spot-bot", show_default=True, help="With LABEL: the key's use-case profile.")
@click.option("--env", "environment", type=click.Choice([e.value for e in Environment]), default="production",
              show_default=True, help="With LABEL: where the key will work.")
@click.option("--ip", "ips", multiple=True, metavar="ADDR", help="With LABEL: an IP on the key's whitelist (repeat).")
def keygen_command(key_type: str, label: str | None, out: str | None, bits: str, encrypt: bool, profile: str,
                   environment: str, ips: tuple[str, ...]) -> None:
    """Generate a key pair; print the public key to paste into Binance's "self-generated" form.

    keysafe keygen ed25519 grid-bot   → private key into the vault, public key printed.
    keysafe keygen ed25519 --out k.pem → private key into a 0600 file.
    """
    if label is not None:
        if out or encrypt:
            raise click.UsageError("Give either a LABEL (private key into the vault) or --out FILE, not both.")
        from keysafe.cli.vault import keygen_into_vault

        keygen_into_vault(key_type, label, profile, environment, ips, int(bits))
        return
    passphrase = None
    if encrypt:
        passphrase = click.prompt("Passphrase for the private key", hide_input=True, confirmation_prompt=True)
    pair = generate_key_pair(KeyType(key_type), rsa_bits=int(bits), passphrase=passphrase)
    path = write_private_key(out or f"binance-{key_type}.pem", pair.private_pem)
    console.print(f"[green]Private key written to {path} (mode 0600).[/] Keep it secret; never commit it.")
    console.print("Paste this public key into Binance → API Management → Create API → Self-generated:\n")
    click.echo(pair.public_pem, nl=False)
