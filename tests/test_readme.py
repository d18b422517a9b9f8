"""The README's signing example runs and prints what it says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_opens_with_the_two_commands():
    head = README.read_text().split("## ", 1)[0]
    assert "make demo" in head and "make test" in head


def test_signing_example_runs():
    text = README.read_text()
    block = re.search(r"## Signing and errors\n\n```python\n(.*?)```", text, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    query, cred = out.getvalue().splitlines()
    assert query.startswith("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.00001&newClientOrderId=grid%2F1&"
                            "timestamp=1700000000000&signature=")
    assert cred == "Credential(label='grid-bot', environment='testnet', type='ed25519', api_key='AAAA…bbb7')"
