"""Demo chapter: a key committed then removed is still found in history; the hook stops the next one."""

from __future__ import annotations

import os
import secrets
import string
import subprocess

from rich.markup import escape

from keysafe.demo import Chapter, Tour
from keysafe.scan import Options, scan_history, scan_paths
from keysafe.scan.hook import install_hook
from keysafe.scan.report import render_text

_GIT_ENV = {"GIT_AUTHOR_NAME": "demo", "GIT_AUTHOR_EMAIL": "demo@example.invalid",
            "GIT_COMMITTER_NAME": "demo", "GIT_COMMITTER_EMAIL": "demo@example.invalid"}


def _key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(64))  # a throw-away, key-shaped string


def run(t: Tour) -> None:
    repo = t.workdir / "scan-demo"
    repo.mkdir()
    env = {**os.environ, **_GIT_ENV, "KEYSAFE_HOME": str(t.workdir / "scan-home")}

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env)

    git("init", "-q", "-b", "main")
    t.step("A bot's author commits the keys 'just for a quick test', then deletes the file.")
    (repo / "bot.py").write_text(f'from binance.client import Client\nclient = Client("{_key()}", "{_key()}")\n')
    git("add", "bot.py")
    git("commit", "-q", "-m", "quick test")
    (repo / "bot.py").write_text('import os\nclient = Client(os.environ["BINANCE_API_KEY"], os.environ["BINANCE_API_SECRET"])\n')
    git("commit", "-q", "-am", "read keys from the environment")
    clean = scan_paths([], Options(), cwd=repo)
    t.ok(f"the working tree looks clean: {len(clean.findings)} findings in {clean.files} file(s)")

    t.step("keysafe scan --history: the key is still in the repository, and in every clone.")
    found = scan_history(repo, Options())
    for line in render_text(found, what="history").splitlines():
        t.say(escape(line))

    t.step("keysafe hook install, then someone stages a new secret.")
    hook = install_hook(repo)
    t.ok(f"installed {hook.relative_to(repo)}")
    (repo / "settings.py").write_text(f'BINANCE_API_SECRET = "{_key()}"\n')
    git("add", "settings.py")
    commit = git("commit", "-m", "add settings")
    for line in commit.stderr.strip().splitlines():
        t.say(escape(line))
    blocked = commit.returncode != 0 and git("rev-list", "--count", "HEAD").stdout.strip() == "2"
    (t.ok if blocked else t.warn)("the commit was blocked: nothing new reached the history" if blocked
                                  else "the commit went through (unexpected)")
    t.say("Deleting a commit is not enough: revoke a leaked key on Binance first, then clean up.")


CHAPTER = Chapter("scan", "Leak scanner: history and the pre-commit hook", run)
