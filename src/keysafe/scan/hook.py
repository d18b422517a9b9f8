"""The git pre-commit hook: ``keysafe hook install`` writes it, git runs it before each commit.

The hook imports only the scanner (``import keysafe`` loads nothing by itself), so a
commit waits well under the time anyone would notice.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path


MARKER = "# keysafe pre-commit hook"

_TEMPLATE = """#!/bin/sh
{marker} (installed by `keysafe hook install`): blocks a commit that adds a Binance key
# or a private key. Bypass once, knowingly: git commit --no-verify
PY="{python}"
if [ -x "$PY" ]; then
  exec "$PY" -c 'import sys
try:
    from keysafe.scan.hook import main
except ModuleNotFoundError as exc:
    if not (exc.name or "").startswith("keysafe"):
        raise
    sys.exit("keysafe: not installed for this Python; reinstall keysafe or re-run keysafe hook install")
sys.exit(main())'
fi
if command -v keysafe >/dev/null 2>&1; then exec keysafe scan --staged; fi
echo "keysafe: the pre-commit hook cannot find keysafe ($PY). Fix: reinstall keysafe and run keysafe hook install --force." >&2
exit 1
"""


def hook_script(python: str | None = None) -> str:
    return _TEMPLATE.format(marker=MARKER, python=python or sys.executable)


def hooks_dir(root: Path) -> Path:
    """The repository's hooks directory (honours core.hooksPath)."""
    from keysafe.scan.sources import _git

    out = _git(["rev-parse", "--git-path", "hooks"], root).decode().strip()
    p = Path(out)
    return p if p.is_absolute() else root / p


BACKUP_SUFFIX = ".before-keysafe"


def _is_ours(hook: Path) -> bool:
    return MARKER in hook.read_text(errors="replace")


def backup_of(hook: Path) -> Path:
    """Where ``install --force`` keeps the user's own hook."""
    return hook.with_name(hook.name + BACKUP_SUFFIX)


def install_hook(root: Path, *, force: bool = False) -> Path:
    """Write the pre-commit hook. A hook that is not keysafe's is kept: refused without ``force``,
    set aside as ``pre-commit.before-keysafe`` with it (``uninstall_hook`` puts it back)."""
    from keysafe.scan.errors import ScanError

    target = hooks_dir(root) / "pre-commit"
    if target.exists() and not _is_ours(target):
        if not force:
            raise ScanError(f"{target} already exists and is not keysafe's hook.",
                            "Add `keysafe scan --staged` to it yourself, or re-run with --force (your hook is "
                            "kept as pre-commit.before-keysafe).")
        backup = backup_of(target)
        if backup.exists():
            raise ScanError(f"{target} is not keysafe's hook and {backup.name} already holds an earlier one.",
                            f"Merge or remove {backup} first, then re-run keysafe hook install --force.")
        target.rename(backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(hook_script())
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target


def uninstall_hook(root: Path) -> tuple[Path, Path | None]:
    """Remove keysafe's pre-commit hook and put back the one it set aside; (hook, restored backup)."""
    from keysafe.scan.errors import ScanError

    target = hooks_dir(root) / "pre-commit"
    if not target.exists():
        raise ScanError(f"there is no pre-commit hook in {target.parent}.", "Nothing to uninstall.")
    if not _is_ours(target):
        raise ScanError(f"{target} is not keysafe's hook; it was left as it is.", "Edit it yourself if needed.")
    target.unlink()
    backup = backup_of(target)
    if not backup.exists():
        return target, None
    backup.rename(target)
    return target, backup


def main(argv: list[str] | None = None) -> int:
    """The hook's body: scan the staged change; exit 1 (blocking the commit) on a finding."""
    from keysafe.scan.baseline import DEFAULT_NAME, load_baseline
    from keysafe.scan.engine import Options
    from keysafe.scan.fingerprints import load_known_fingerprints
    from keysafe.scan.report import render_text
    from keysafe.scan.runner import apply_baseline, scan_staged
    from keysafe.scan.sources import require_repo

    try:
        root = require_repo(Path.cwd())
        result = scan_staged(root, Options(known=load_known_fingerprints()))
        if (root / DEFAULT_NAME).is_file():
            apply_baseline(result, load_baseline(root / DEFAULT_NAME))
    except Exception as exc:
        from keysafe.scan.errors import ScanError

        if not isinstance(exc, ScanError):
            raise
        print(f"keysafe: {exc}", file=sys.stderr)
        return 2
    if result.findings:
        print(render_text(result, color=sys.stderr.isatty() and "NO_COLOR" not in os.environ), file=sys.stderr)
        print("keysafe: commit blocked. Unstage the key (git restore --staged <file>), or mark a false positive "
              "with a `keysafe: allow` comment.", file=sys.stderr)
        return 1
    return 0
