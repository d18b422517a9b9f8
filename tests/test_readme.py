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


def test_scanner_try_it_block_runs_as_written(tmp_path):
    """The leak scanner's "Try it" shell block, run by bash as a reader would paste it: the hook
    blocks the commit, and --history still finds the key after it is removed."""
    import os
    import subprocess
    import sys

    text = README.read_text()
    block = re.search(r"\nTry it:\n\n```sh\n(.*?)```", text, re.S).group(1)
    script = block.replace("/tmp/leak", str(tmp_path / "leak"))
    bin_dir = str(Path(sys.executable).parent)  # keysafe and python, as after `pip install keysafe`
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "KEYSAFE_HOME": str(tmp_path / "home"),
           "NO_COLOR": "1", "GIT_AUTHOR_NAME": "reader", "GIT_AUTHOR_EMAIL": "reader@example.invalid",
           "GIT_COMMITTER_NAME": "reader", "GIT_COMMITTER_EMAIL": "reader@example.invalid"}
    run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    out = run.stdout + run.stderr
    assert "commit blocked" in out and "binance-secret-key" in out
    assert "removed from HEAD, still in history" in out
    assert run.returncode == 1  # the last command, keysafe scan --history, found the key
