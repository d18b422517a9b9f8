"""The vault's operations log: append-only JSON lines, each chained to the previous by SHA-256.

A line never holds a secret: an operation, a label, a version number, a masked key.
Editing or deleting any line breaks the chain; deleting lines at the end is caught by
the head (sequence number and hash) that the encrypted vault records at each save.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def _digest(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def read_entries(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out


def _last(path: Path) -> tuple[int, str]:
    """Sequence number and hash of the last line (reads only the file's tail)."""
    if not path.exists() or path.stat().st_size == 0:
        return 0, GENESIS
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 8192))
        tail = f.read().splitlines()
    for raw in reversed(tail):
        if raw.strip():
            try:
                entry = json.loads(raw)
                return int(entry["seq"]), str(entry["hash"])
            except (ValueError, KeyError, TypeError):
                break
    entries = read_entries(path)  # damaged tail: fall back to the full read
    return (int(entries[-1]["seq"]), entries[-1]["hash"]) if entries else (0, GENESIS)


def append(path: Path, op: str, label: str | None = None, **details: Any) -> dict[str, Any]:
    """Append one operation (the caller holds the vault lock) and fsync it; return the entry."""
    seq, prev = _last(path)
    entry = {"seq": seq + 1, "time": round(time.time(), 3), "op": op, "label": label, "details": details,
             "prev": prev}
    entry["hash"] = _digest(entry)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


@dataclass(frozen=True)
class LogCheck:
    ok: bool
    entries: int
    problems: tuple[str, ...]
    unconfirmed: int = 0  # entries after the head the vault recorded (an interrupted operation, or reads)


def verify(path: Path, head: dict[str, Any] | None = None) -> LogCheck:
    """Check the chain; with the vault's recorded ``head`` also catch lines deleted at the end."""
    problems: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    except UnicodeDecodeError:
        return LogCheck(False, 0, ("the log is not text any more",))
    prev, expected_seq = GENESIS, 1
    entries: list[dict[str, Any]] = []
    for n, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
            seq, stored_hash, stored_prev = int(entry["seq"]), entry["hash"], entry["prev"]
        except (ValueError, KeyError, TypeError):
            problems.append(f"line {n} is not a log entry (edited)")
            prev, expected_seq = None, expected_seq + 1
            continue
        if _digest(entry) != stored_hash:
            problems.append(f"line {n} (seq {seq}) was edited: its hash does not match its content")
        if seq != expected_seq:
            problems.append(f"line {n}: expected seq {expected_seq}, found {seq}: "
                            f"{'lines were deleted' if seq > expected_seq else 'lines were reordered or duplicated'}")
        elif prev is not None and stored_prev != prev:
            problems.append(f"line {n} (seq {seq}) does not chain to the line before it")
        prev, expected_seq = stored_hash, seq + 1
        entries.append(entry)
    unconfirmed = 0
    if head and head.get("seq"):
        by_seq = {e["seq"]: e for e in entries}
        match = by_seq.get(head["seq"])
        if match is None:
            problems.append(f"the vault recorded {head['seq']} log entries but the log has only "
                            f"{entries[-1]['seq'] if entries else 0}: lines were deleted at the end")
        elif match["hash"] != head["hash"]:
            problems.append(f"entry seq {head['seq']} differs from the one the vault recorded")
        unconfirmed = sum(1 for e in entries if e["seq"] > head["seq"])
    return LogCheck(not problems, len(entries), tuple(problems), unconfirmed)


def head_of(path: Path) -> dict[str, Any]:
    seq, digest = _last(path)
    return {"seq": seq, "hash": digest}
