"""Where the text comes from: the working tree (respecting .gitignore), the staged diff,
the git history (streamed from ``git log -p``, never materialised) and the user's home.

Git is driven through its plumbing in a handful of processes: ``git ls-files`` lists the
tree, ``git diff --cached`` gives the staged lines, one ``git cat-file --batch`` reads
every staged blob, one ``git log -p`` streams the whole history.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from keysafe.scan.findings import Skipped

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_SECRET_FILE = re.compile(r"(?:^|/)(?:\.env(?:\.[A-Za-z0-9_-]+)?|[^/]+\.env|[^/]+\.(?:pem|key|p12|pfx)|id_(?:rsa|ed25519))$")
_PEM_READ_LIMIT = 4_000_000  # a .pem bigger than this is a certificate bundle: read this much of it
_SAFE_ENV = re.compile(r"\.(?:example|sample|template|dist|defaults?)$|\.pub(?:\.pem)?$|public")


def _git(args: list[str], cwd: Path | str, *, input: bytes | None = None, check: bool = True) -> bytes:
    try:
        proc = subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=cwd, input=input,
                              capture_output=True, check=False)
    except FileNotFoundError:
        from keysafe.scan.errors import ScanError

        raise ScanError("git is not installed.", "Install git (apt-get install git) or scan paths outside git.") from None
    if check and proc.returncode != 0:
        from keysafe.scan.errors import ScanError

        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise ScanError(f"git {args[0]} failed: {msg[-1] if msg else proc.returncode}.",
                        "Run the scan inside a git repository with at least one commit, or pass paths.")
    return proc.stdout


def repo_root(path: Path | str = ".") -> Path | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, check=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return Path(out.stdout.decode().strip()) if out.returncode == 0 else None


def require_repo(path: Path | str = ".") -> Path:
    root = repo_root(path)
    if root is None:
        from keysafe.scan.errors import ScanError

        raise ScanError(f"{Path(path).resolve()} is not inside a git repository.",
                        "cd into the repository (or `git init` one) before --staged, --history or hook install.")
    return root


def is_secret_file(relpath: str, content: str | bytes | None = None) -> bool:
    """A .env or key file by its name (``.env.example`` and public keys excepted). A ``.pem`` file
    is one only when it holds a private key: most are certificates (``cacert.pem``), which are public.
    ``content`` is the file's text when the caller has it; else a ``.pem`` is judged by its name."""
    if not _SECRET_FILE.search(relpath) or _SAFE_ENV.search(relpath):
        return False
    if relpath.endswith(".pem") and content is not None:
        return ("PRIVATE KEY" if isinstance(content, str) else b"PRIVATE KEY") in content  # type: ignore[operator]
    return True


def _secret_file_on_disk(abspath: str, relpath: str) -> bool:
    if not is_secret_file(relpath) or not os.path.isfile(abspath):
        return False
    if not relpath.endswith(".pem"):
        return True
    try:
        with open(abspath, "rb") as fh:
            return is_secret_file(relpath, fh.read(_PEM_READ_LIMIT))
    except OSError:
        return True  # unreadable: say so by name rather than miss a key file



# ---------------------------------------------------------------- working tree

@dataclass
class FileList:
    files: list[tuple[str, str]] = field(default_factory=list)  # (absolute path, path shown)
    skipped: list[Skipped] = field(default_factory=list)
    unignored: list[str] = field(default_factory=list)  # secret files .gitignore does not cover


def _walk(top: Path, base: Path) -> Iterator[Path]:
    """Files under ``top`` honouring the .gitignore files found on the way (outside a repository)."""
    import pathspec

    specs: list[tuple[Path, pathspec.PathSpec]] = []
    for dirpath, dirnames, filenames in os.walk(top):
        d = Path(dirpath)
        gi = d / ".gitignore"
        if gi.is_file():
            try:
                specs.append((d, pathspec.PathSpec.from_lines("gitwildmatch", gi.read_text(errors="replace").splitlines())))
            except (OSError, ValueError):
                pass

        def ignored(p: Path, is_dir: bool) -> bool:
            for root, spec in specs:
                if root == p or root in p.parents:
                    rel = p.relative_to(root).as_posix() + ("/" if is_dir else "")
                    if spec.match_file(rel):
                        return True
            return False

        dirnames[:] = [n for n in dirnames if n != ".git" and not ignored(d / n, True)]
        for n in filenames:
            if not ignored(d / n, False):
                yield d / n


def working_tree(paths: list[str], cwd: Path | None = None) -> tuple[FileList, Path]:
    """The files to scan for ``paths`` (default: the repository or directory we are in)."""
    cwd = (cwd or Path.cwd()).resolve()
    out = FileList()
    root = repo_root(cwd)
    base = root or cwd
    targets = paths or [str(cwd)]
    for target in targets:
        p = Path(target)
        p = p if p.is_absolute() else cwd / p
        if not os.path.lexists(p):
            out.skipped.append(Skipped(target, "no such file or directory"))
            continue
        if p.is_symlink() and not p.exists():
            out.skipped.append(Skipped(target, "broken symlink"))
            continue
        p_root = repo_root(p if p.is_dir() else p.parent)
        if p.is_file():
            out.files.append((str(p), _shown(p, p_root or base)))
            continue
        if not p.is_dir():
            out.skipped.append(Skipped(target, "not a regular file or directory"))
            continue
        if p_root is not None:
            listing = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", str(p)], p_root)
            for rel in listing.decode("utf-8", "surrogateescape").split("\0"):
                if rel:
                    out.files.append((str(p_root / rel), _shown(p_root / rel, base if p_root == base else p_root)))
        else:
            for f in _walk(p, p):
                out.files.append((str(f), _shown(f, base)))
    seen: set[str] = set()
    unique = []
    for a, r in out.files:
        if a not in seen:
            seen.add(a)
            unique.append((a, r))
    out.files = unique
    out.unignored = [r for a, r in unique if _secret_file_on_disk(a, r)]
    return out, base


def _shown(p: Path, base: Path) -> str:
    try:
        return p.relative_to(base).as_posix()
    except ValueError:
        return str(p)


# ---------------------------------------------------------------- diffs

def _unquote(path: str) -> str:
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode(
            "utf-8", "replace")
    return path


@dataclass
class Hunk:
    path: str
    first_line: int  # new-side line number of the hunk's first line
    lines: list[str] = field(default_factory=list)  # the new side: context and added lines
    added: set[int] = field(default_factory=set)  # new-side line numbers that the change adds

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def parse_diff(lines: Iterator[bytes]) -> Iterator[tuple[str | None, Hunk]]:
    """Hunks of a unified diff stream, each with the commit it belongs to (``\\0<sha>`` lines)."""
    commit: str | None = None
    path: str | None = None
    hunk: Hunk | None = None
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if line.startswith("\0"):
            if hunk:
                yield commit, hunk
            commit, path, hunk = line[1:].strip(), None, None
            continue
        if hunk is not None:
            c = line[:1]
            if c == " " or c == "+":
                n = hunk.first_line + len(hunk.lines)
                hunk.lines.append(line[1:])
                if c == "+":
                    hunk.added.add(n)
                continue
            if c == "-" or c == "\\":
                continue
            yield commit, hunk
            hunk = None
        if line.startswith("diff --git "):
            path = None
        elif line.startswith("+++ "):
            target = _unquote(line[4:])
            path = None if target == "/dev/null" else target[2:] if target.startswith("b/") else target
        elif line.startswith("@@") and path is not None:
            m = _HUNK.match(line)
            if m:
                hunk = Hunk(path, int(m.group(1)))
    if hunk:
        yield commit, hunk


def staged_changes(root: Path, max_bytes: int) -> tuple[dict[str, set[int]], dict[str, str], list[str], list[Skipped]]:
    """What the next commit adds: added line numbers per path, the staged text of those paths,
    the new files among them (to flag an added .env), and the staged files too large to read."""
    diff = _git(["diff", "--cached", "--no-color", "--no-ext-diff", "-U0", "--diff-filter=ACMR", "--no-renames"], root)
    added: dict[str, set[int]] = {}
    for _commit, hunk in parse_diff(iter(diff.splitlines(keepends=True))):
        added.setdefault(hunk.path, set()).update(hunk.added)
    new_files = _git(["diff", "--cached", "--name-only", "-z", "--diff-filter=A"], root).decode(
        "utf-8", "replace").split("\0")
    sizes = blob_sizes(root, [f":{p}" for p in added])
    too_large = [Skipped(p, f"too large ({sizes[':' + p] / 1e6:.1f} MB; see --max-size)")
                 for p in added if sizes.get(":" + p, 0) > max_bytes]
    wanted = [f":{p}" for p in added if 0 <= sizes.get(":" + p, -1) <= max_bytes]
    texts: dict[str, str] = {}
    for spec, data in read_blobs(root, wanted).items():
        if data is not None:
            texts[spec[1:]] = data.decode("latin-1") if b"\0" in data[:8192] else data.decode("utf-8", "replace")
    return added, texts, [f for f in new_files if f], too_large


def blob_sizes(root: Path, specs: list[str]) -> dict[str, int]:
    """Sizes of several blobs (``:path``, ``HEAD:path``) from one ``git cat-file --batch-check``."""
    if not specs:
        return {}
    out = _git(["cat-file", "--batch-check"], root, input="".join(s + "\n" for s in specs).encode())
    sizes = {}
    for spec, line in zip(specs, out.decode("utf-8", "replace").splitlines()):
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            sizes[spec] = int(parts[2])
    return sizes


def history(root: Path, all_refs: bool) -> Iterator[tuple[str | None, Hunk]]:
    """Every hunk ever added, oldest commit first, streamed from one ``git log -p``."""
    args = ["git", "-c", "core.quotePath=false", "log", "-p", "--reverse", "--no-color", "--no-ext-diff",
            "--no-renames", "-U2", "--format=%x00%H", "--diff-filter=ACMR"]
    if all_refs:
        args.append("--all")
    if not _git(["rev-parse", "--verify", "-q", "HEAD"], root, check=False).strip() and not all_refs:
        return
    proc = subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=1 << 16)
    assert proc.stdout is not None
    try:
        yield from parse_diff(iter(proc.stdout.readline, b""))
    finally:
        proc.stdout.close()
        proc.wait()


def read_blobs(root: Path, specs: list[str]) -> dict[str, bytes | None]:
    """Several blobs (``HEAD:path``) in one ``git cat-file --batch``."""
    if not specs:
        return {}
    blob = _git(["cat-file", "--batch"], root, input="".join(s + "\n" for s in specs).encode())
    out: dict[str, bytes | None] = {}
    pos = 0
    for s in specs:
        end = blob.index(b"\n", pos)
        header = blob[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[-1] == b"missing":
            out[s] = None
            continue
        size = int(header[2])
        out[s] = blob[pos:pos + size]
        pos += size + 1
    return out


# ---------------------------------------------------------------- home

HOME_FILES = (
    ".bash_history", ".zsh_history", ".history", ".sh_history", ".python_history", ".node_repl_history",
    ".local/share/fish/fish_history", ".psql_history", ".mysql_history", ".bashrc", ".zshrc", ".profile",
    ".bash_profile", ".zprofile", ".env", ".netrc", ".config/fish/config.fish",
)
HOME_TEXT_DIRS = ("Downloads", "Desktop", "Documents")
HOME_TEXT_SUFFIXES = (".txt", ".md", ".env", ".json", ".csv", ".conf", ".ini", ".yaml", ".yml", ".py", ".sh")


def home_files(home: Path) -> FileList:
    """Shell and REPL histories, dotfiles and plain-text files in Downloads/Desktop/Documents."""
    out = FileList()
    for name in HOME_FILES:
        p = home / name
        if os.path.lexists(p):
            out.files.append((str(p), "~/" + name))
    for d in HOME_TEXT_DIRS:
        top = home / d
        if not top.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [n for n in dirnames if not n.startswith(".")][:200]
            for n in filenames:
                if n.lower().endswith(HOME_TEXT_SUFFIXES):
                    p = Path(dirpath) / n
                    out.files.append((str(p), "~/" + p.relative_to(home).as_posix()))
    return out


def ipython_history(home: Path) -> Iterator[tuple[str, str]]:
    """(shown path, text) of IPython's SQLite history databases."""
    import sqlite3

    for db in sorted(home.glob(".ipython/profile_*/history.sqlite")):
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                rows = con.execute("SELECT source_raw FROM history").fetchall()
            finally:
                con.close()
        except sqlite3.Error:
            continue
        yield "~/" + db.relative_to(home).as_posix(), "\n".join(r[0] or "" for r in rows)
