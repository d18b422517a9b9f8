"""The four scans: working tree (in parallel), staged change, git history, home directory."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import keysafe.scan.sources as sources
from keysafe.scan.engine import Options, decode, scan_files, scan_text
from keysafe.scan.findings import Finding, ScanResult, Skipped, fingerprint

PARALLEL_MIN_BYTES = 4 * 1024 * 1024  # below this a process pool costs more than it saves
BATCH_BYTES = 2 * 1024 * 1024

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


def _unignored(paths: list[str]) -> list[Finding]:
    return [Finding(p, 1, "unignored-secret-file", fingerprint("file:" + p), "") for p in paths]


def _batches(files: list[tuple[str, str]]) -> tuple[list[list[tuple[str, str]]], int]:
    batches: list[list[tuple[str, str]]] = [[]]
    size = total = 0
    for item in files:
        try:
            n = os.lstat(item[0]).st_size
        except OSError:
            n = 0
        total += n
        if size + n > BATCH_BYTES and batches[-1]:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += n
    return batches, total


def scan_paths(paths: list[str], options: Options, *, jobs: int | None = None, cwd: Path | None = None,
               progress: Progress | None = None) -> ScanResult:
    """The working tree (default: the current repository, .gitignore respected) or given paths."""
    started = time.perf_counter()
    listing, _base = sources.working_tree(paths, cwd)
    result = ScanResult(skipped=list(listing.skipped))
    batches, total = _batches(listing.files)
    jobs = jobs or os.cpu_count() or 1
    done = 0
    if jobs > 1 and total >= PARALLEL_MIN_BYTES and len(batches) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for findings, skipped, files, size in pool.map(scan_files, batches, [options] * len(batches)):
                _merge(result, findings, skipped, files, size)
                done += size
                if progress:
                    progress(done, total)
    else:
        for batch in batches:
            _merge(result, *scan_files(batch, options))
            done = result.bytes
            if progress:
                progress(done, total)
    result.findings.extend(_unignored(listing.unignored))
    result.findings.sort(key=lambda f: (f.path, f.line))
    result.seconds = time.perf_counter() - started
    return result


def _merge(result: ScanResult, findings: list[Finding], skipped: list[Skipped], files: int, size: int) -> None:
    result.findings.extend(findings)
    result.skipped.extend(skipped)
    result.files += files
    result.bytes += size


def scan_staged(root: Path, options: Options) -> ScanResult:
    """What ``git commit`` would add now: only findings on added lines, with the full staged file as context."""
    started = time.perf_counter()
    added, texts, new_files, too_large = sources.staged_changes(root, options.max_bytes)
    result = ScanResult(skipped=too_large)
    for path, text in texts.items():
        result.files += 1
        result.bytes += len(text)
        if "\0" in text[:8192]:
            result.skipped.append(Skipped(path, "binary"))
            continue
        lines = added.get(path, set())
        result.findings.extend(f for f in scan_text(text, path, options) if f.line in lines)
    result.findings.extend(_unignored([p for p in new_files if sources.is_secret_file(p, texts.get(p))]))
    result.findings.sort(key=lambda f: (f.path, f.line))
    result.seconds = time.perf_counter() - started
    return result


def scan_history(root: Path, options: Options, *, all_refs: bool = False,
                 progress: Callable[[int], None] | None = None) -> ScanResult:
    """Every commit (oldest first); each secret is reported once, with the commit that introduced
    it and whether it is still in HEAD (at that path)."""
    started = time.perf_counter()
    result = ScanResult()
    first: dict[tuple[str, str], Finding] = {}
    commits: set[str] = set()
    for commit, hunk in sources.history(root, all_refs):
        text = hunk.text
        result.bytes += len(text)
        if commit and commit not in commits:
            commits.add(commit)
            if progress:
                progress(len(commits))
        for f in scan_text(text, hunk.path, options, commit=commit):
            line = hunk.first_line + f.line - 1
            if line not in hunk.added:
                continue
            key = (f.fingerprint, f.path)
            if key not in first:
                first[key] = Finding(f.path, line, f.kind, f.fingerprint, f.preview, commit=commit,
                                     pair_fingerprint=f.pair_fingerprint, label=f.label, secret=f.secret)
    result.files = len(commits)
    heads = sources.read_blobs(root, sorted({f"HEAD:{p}" for _fp, p in first})) if first and _has_head(root) else {}
    in_head: dict[str, set[str]] = {}  # path -> fingerprints found there at HEAD, however encoded
    for spec, blob in heads.items():
        path = spec[len("HEAD:"):]
        in_head[path] = {x for f in scan_text(decode(blob)[0], path, options) for x in f.fingerprints} if blob else set()
    for f in first.values():
        still = bool(set(f.fingerprints) & in_head.get(f.path, set()))
        result.findings.append(Finding(f.path, f.line, f.kind, f.fingerprint, f.preview, commit=f.commit,
                                       in_head=still, pair_fingerprint=f.pair_fingerprint, label=f.label,
                                       secret=f.secret))
    result.findings.sort(key=lambda f: (f.path, f.line, f.commit or ""))
    result.seconds = time.perf_counter() - started
    return result


def _has_head(root: Path) -> bool:
    return bool(sources._git(["rev-parse", "--verify", "-q", "HEAD"], root, check=False).strip())


def scan_home(home: Path, options: Options) -> ScanResult:
    """Opt-in: shell/REPL histories, dotfiles, plain-text files in Downloads, Desktop, Documents."""
    started = time.perf_counter()
    listing = sources.home_files(home)
    result = ScanResult()
    _merge(result, *scan_files(listing.files, options))
    for shown, text in sources.ipython_history(home):
        result.files += 1
        result.bytes += len(text)
        result.findings.extend(scan_text(text, shown, options))
    result.findings.sort(key=lambda f: (f.path, f.line))
    result.seconds = time.perf_counter() - started
    return result


def apply_baseline(result: ScanResult, known_fps: set[str]) -> ScanResult:
    """Hide findings whose fingerprint the baseline already lists."""
    kept = [f for f in result.findings if not (set(f.fingerprints) & known_fps)]
    result.suppressed = len(result.findings) - len(kept)
    result.findings = kept
    return result


