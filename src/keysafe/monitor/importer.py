"""`keysafe monitor import FILE`: JSON-lines activity from other sources.

Two shapes are understood, line by line:

* the sandbox's request record: ``time, client_ip, api_key_fingerprint, key_label, method,
  path, weight, status, error_code`` (time in epoch seconds, milliseconds or ISO 8601);
* the client's :class:`~keysafe.events.ActivityEvent` JSON (another host's export, or the
  writer's ``activity-unstored.jsonl``).

A malformed line is reported with its number and reason and skipped; every good line is
imported. Importing the same file twice adds nothing (each line has an import key).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keysafe.errors import KeysafeError
from keysafe.monitor.config import parse_time
from keysafe.monitor.store import ActivityStore, mapping_row

_INT = ("weight", "used_weight", "order_count_10s", "status", "error_code", "pid")
_STR = ("key_label", "key_fingerprint", "environment", "host", "bot", "client_ip", "symbol", "side",
        "order_type", "quantity", "price", "notional", "outcome")
_ALIASES = {"api_key_fingerprint": "key_fingerprint", "ip": "client_ip", "code": "error_code",
            "http_status": "status", "endpoint_path": "path", "label": "key_label"}


class ImportFileError(KeysafeError):
    """The import file cannot be read at all."""


@dataclass
class ImportResult:
    path: str
    lines: int = 0
    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def error_lines(self) -> list[str]:
        return [f"{self.path}:{n}: {msg}" for n, msg in self.errors]


def parse_record(data: Any) -> dict[str, Any]:
    """One JSON object of either shape to a row dict; ValueError says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    rec = {_ALIASES.get(k, k): v for k, v in data.items()}
    if "endpoint" in rec and "path" not in rec and isinstance(rec["endpoint"], str) and " " in rec["endpoint"]:
        rec["method"], rec["path"] = rec["endpoint"].split(" ", 1)
    out: dict[str, Any] = {}
    for name in ("time", "method", "path"):
        if rec.get(name) in (None, ""):
            raise ValueError(f"missing field `{name}`")
    out["time"] = parse_time(rec["time"], "`time`")
    for name in ("method", "path"):
        if not isinstance(rec[name], str):
            raise ValueError(f"`{name}` must be a string")
        out[name] = rec[name]
    out["method"] = out["method"].upper()
    for name in _INT:
        v = rec.get(name)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, str)) or (isinstance(v, str) and not v.lstrip("-").isdigit()):
            raise ValueError(f"`{name}` must be a whole number, got {v!r}")
        out[name] = int(v)
    for name in _STR:
        v = rec.get(name)
        if v is None:
            continue
        if isinstance(v, float):
            raise ValueError(f"`{name}` must be a string (money is never a float), got {v!r}")
        out[name] = str(v)
    lat = rec.get("latency_ms")
    if lat is not None:
        if isinstance(lat, bool) or not isinstance(lat, (int, float)):
            raise ValueError(f"`latency_ms` must be a number, got {lat!r}")
        out["latency_ms"] = float(lat)
    if "outcome" not in out and "status" in out:
        s = out["status"]
        out["outcome"] = "ok" if s < 400 else ("unknown" if s >= 500 else "error")
    return out


def import_lines(store: ActivityStore, lines: Iterable[str], *, source: str, path: str = "-",
                 batch: int = 5_000) -> ImportResult:
    result = ImportResult(path)
    rows: list[tuple[Any, ...]] = []
    seen: Counter[str] = Counter()

    def flush() -> None:
        added = store.add_rows(rows)
        result.imported += added
        result.duplicates += len(rows) - added
        rows.clear()

    for n, line in enumerate(lines, 1):
        result.lines = n
        text = line.strip()
        if not text:
            continue
        try:
            rec = parse_record(json.loads(text))
        except json.JSONDecodeError as exc:
            result.errors.append((n, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        except ValueError as exc:
            result.errors.append((n, str(exc)))
            continue
        # the same line imported again is a duplicate; the same line twice in one file is two calls
        # (a server with millisecond times can record two identical rejections)
        digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]
        seen[digest] += 1
        rows.append(mapping_row(rec, source, f"{digest}:{seen[digest]}"))
        if len(rows) >= batch:
            flush()
    flush()
    return result


def _decoded(fh: Iterable[bytes], errors: list[tuple[int, str]]) -> Iterable[str]:
    for n, raw in enumerate(fh, 1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.append((n, "not UTF-8 text"))
            yield ""


def import_file(store: ActivityStore, path: Path | str, *, source: str | None = None) -> ImportResult:
    p = Path(path)
    try:
        fh = p.open("rb")
    except OSError as exc:
        raise ImportFileError(f"cannot read {p}: {exc.strerror or exc}.", "Check the path and permissions.") from None
    decode_errors: list[tuple[int, str]] = []
    with fh:
        result = import_lines(store, _decoded(fh, decode_errors), source=source or f"import:{p.name}", path=str(p))
    result.errors = sorted(result.errors + decode_errors)
    return result
