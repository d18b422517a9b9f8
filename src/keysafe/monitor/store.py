"""The activity store: one SQLite row per call, in WAL mode, plus the alerts raised.

The key is identified by its fingerprint (never the key itself); ``key`` is the fingerprint,
or the label when a source only knows the label. Money columns are decimal strings.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from keysafe.errors import KeysafeError
from keysafe.events import ActivityEvent
from keysafe.monitor.config import default_db_path
from keysafe.sqlitedb import set_up_wal

#: Columns of the ``calls`` table, in order (``id`` aside).
COLUMNS: tuple[str, ...] = (
    "time", "key", "key_label", "key_fingerprint", "environment", "host", "pid", "bot", "client_ip",
    "method", "path", "weight", "used_weight", "order_count_10s", "status", "error_code", "outcome",
    "latency_ms", "symbol", "side", "order_type", "quantity", "price", "notional", "source", "import_key",
)
_EVENT_FIELDS = ("key_label", "key_fingerprint", "environment", "host", "pid", "bot", "client_ip",
                 "method", "path", "weight", "used_weight", "order_count_10s", "status", "error_code",
                 "outcome", "latency_ms", "symbol", "side", "order_type", "quantity", "price", "notional")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    key TEXT NOT NULL,
    key_label TEXT, key_fingerprint TEXT, environment TEXT,
    host TEXT, pid INTEGER, bot TEXT, client_ip TEXT,
    method TEXT NOT NULL, path TEXT NOT NULL,
    weight INTEGER, used_weight INTEGER, order_count_10s INTEGER,
    status INTEGER, error_code INTEGER, outcome TEXT, latency_ms REAL,
    symbol TEXT, side TEXT, order_type TEXT, quantity TEXT, price TEXT, notional TEXT,
    source TEXT NOT NULL DEFAULT 'client',
    import_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS calls_key_time ON calls(key, time);
CREATE INDEX IF NOT EXISTS calls_time ON calls(time);
CREATE INDEX IF NOT EXISTS calls_key_ip ON calls(key, client_ip, time);
CREATE INDEX IF NOT EXISTS calls_key_host ON calls(key, host, time);
CREATE INDEX IF NOT EXISTS calls_error ON calls(error_code, time) WHERE error_code IS NOT NULL;
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    detector TEXT NOT NULL,
    severity TEXT NOT NULL,
    key TEXT, key_label TEXT,
    summary TEXT NOT NULL,
    evidence TEXT NOT NULL,
    actions TEXT NOT NULL,
    first_time REAL, last_time REAL,
    dedupe TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
"""

NO_KEY = "-"


class StoreError(KeysafeError):
    """The activity database cannot be opened, read or written."""

    remedy = ("If another program holds it, close that program or retry; if it is corrupt, move it aside "
              "(keysafe then starts a new one) or pass another file with --db.")


def event_row(ev: ActivityEvent, source: str = "client") -> tuple[Any, ...]:
    key = ev.key_fingerprint or ev.key_label or NO_KEY
    return (ev.time, key, *(getattr(ev, f) for f in _EVENT_FIELDS), source, None)


def mapping_row(data: Mapping[str, Any], source: str, import_key: str | None = None) -> tuple[Any, ...]:
    key = data.get("key_fingerprint") or data.get("key_label") or NO_KEY
    return (data["time"], key, *(data.get(f) for f in _EVENT_FIELDS), source, import_key)


class ActivityStore:
    """SQLite activity log. Thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path | str | None = None, *, timeout: float = 2.0) -> None:
        self.path = Path(path) if path not in (None, ":memory:") else (None if path == ":memory:" else default_db_path())
        self._lock = threading.RLock()
        target = ":memory:" if self.path is None else str(self.path)
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(target, timeout=timeout, check_same_thread=False, isolation_level=None)
            set_up_wal(self._db, _SCHEMA, synchronous="NORMAL")
        except (sqlite3.Error, OSError) as exc:
            raise self._error("open", exc) from None
        self._insert = f"INSERT OR IGNORE INTO calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"

    def _error(self, doing: str, exc: BaseException) -> StoreError:
        where = self.path or "the in-memory activity database"
        text = str(exc) or type(exc).__name__
        if "locked" in text or "busy" in text:
            return StoreError(f"cannot {doing} activity database {where}: it is locked by another process ({text}).",
                              "Close the other program or retry; keysafe keeps the events it could not store.")
        return StoreError(f"cannot {doing} activity database {where}: {text}.")

    # ------------------------------------------------------------------ writing
    def add_rows(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert rows (as built by :func:`event_row`); returns how many were new."""
        if not rows:
            return 0
        with self._lock:
            try:
                before = self._db.total_changes
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(self._insert, rows)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
                return self._db.total_changes - before
            except sqlite3.Error as exc:
                raise self._error("write to", exc) from None

    def add_events(self, events: Iterable[ActivityEvent], source: str = "client") -> int:
        return self.add_rows([event_row(e, source) for e in events])

    def add_alert(self, alert: Any) -> bool:
        """Store an alert; False if an alert with the same dedupe key exists already."""
        with self._lock:
            try:
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO alerts (time, detector, severity, key, key_label, summary, evidence,"
                    " actions, first_time, last_time, dedupe) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (alert.time, alert.detector, alert.severity, alert.key, alert.key_label, alert.summary,
                     json.dumps(alert.evidence, default=str), json.dumps(list(alert.actions)),
                     alert.first_time, alert.last_time, alert.dedupe),
                )
                return cur.rowcount == 1
            except sqlite3.Error as exc:
                raise self._error("write to", exc) from None

    def set_meta(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def get_meta(self, name: str, default: str | None = None) -> str | None:
        row = self.query("SELECT value FROM meta WHERE name = ?", (name,))
        return row[0][0] if row else default

    # ------------------------------------------------------------------ reading
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error("read", exc) from None

    def iter_query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        yield from self.query(sql, params)

    def rows(self, where: str = "1", params: Sequence[Any] = (), *, limit: int | None = None,
             order: str = "time, id") -> list[dict[str, Any]]:
        """Calls as dicts (column name to value)."""
        sql = f"SELECT id, {', '.join(COLUMNS)} FROM calls WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        names = ("id", *COLUMNS)
        return [dict(zip(names, r, strict=True)) for r in self.query(sql, params)]

    def count(self, where: str = "1", params: Sequence[Any] = ()) -> int:
        return self.query(f"SELECT COUNT(*) FROM calls WHERE {where}", params)[0][0]

    def time_range(self) -> tuple[float | None, float | None]:
        lo, hi = self.query("SELECT MIN(time), MAX(time) FROM calls")[0]
        return lo, hi

    def max_id(self) -> int:
        return self.query("SELECT COALESCE(MAX(id), 0) FROM calls")[0][0]

    def alerts(self, since: float | None = None, *, limit: int | None = None) -> list[dict[str, Any]]:
        sql = ("SELECT id, time, detector, severity, key, key_label, summary, evidence, actions, first_time,"
               " last_time, dedupe FROM alerts WHERE time >= ? ORDER BY COALESCE(first_time, time), id")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        out = []
        for r in self.query(sql, (since if since is not None else float("-inf"),)):
            d = dict(zip(("id", "time", "detector", "severity", "key", "key_label", "summary", "evidence",
                          "actions", "first_time", "last_time", "dedupe"), r, strict=True))
            d["evidence"] = json.loads(d["evidence"])
            d["actions"] = json.loads(d["actions"])
            out.append(d)
        return out

    def close(self) -> None:
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error:
                pass

    def __enter__(self) -> ActivityStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
