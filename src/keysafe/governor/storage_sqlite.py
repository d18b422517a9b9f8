"""``sqlite:///PATH``: one budget for every process of one host (the default storage).

Each operation is one ``BEGIN IMMEDIATE`` transaction, so processes serialise on the
file's write lock; an acquire also applies the settlements the governor handed over since
the previous one, so a request costs one transaction (three reads and one write); and the
governor spends small local leases of the budget (governor/lease.py) for requests that count
no orders, so most requests touch the file only to check for a freeze. WAL mode and
``synchronous=OFF`` keep a transaction in the 100 us range:
the budget is about the next minute, durability across a power cut does not matter.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from keysafe.errors import ConfigurationError
from keysafe.governor import _algorithm
from keysafe.governor.model import AcquireRequest, AcquireResult, Claim, Counter, SettleItem
from keysafe.sqlitedb import set_up_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters_v3 (k TEXT PRIMARY KEY, used INTEGER, inflight INTEGER, reserved INTEGER,
                                     external INTEGER, seen INTEGER, expires INTEGER);
CREATE TABLE IF NOT EXISTS freezes (k TEXT PRIMARY KEY, until INTEGER);
CREATE TABLE IF NOT EXISTS claims (scope TEXT, id TEXT, data TEXT, PRIMARY KEY (scope, id));
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
"""


class _Ops:
    """The algorithm's state operations inside one transaction: counters are read in one query
    (:meth:`prefetch`), kept here and written back in one statement at commit."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._cache: dict[str, Counter] = {}
        self._dirty: dict[str, tuple] = {}

    def begin(self) -> None:
        self._cache.clear()
        self._dirty.clear()

    def prefetch(self, keys: list[str]) -> None:
        wanted = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if not wanted:
            return
        rows = self.db.execute(
            f"SELECT k, used, inflight, reserved, external, seen FROM counters_v3 WHERE k IN "
            f"({','.join('?' * len(wanted))})", wanted).fetchall()
        cache = self._cache
        for k in wanted:
            cache[k] = _EMPTY
        for k, *values in rows:
            cache[k] = Counter(*values)

    def get_counter(self, key: str) -> Counter:
        counter = self._cache.get(key)
        if counter is None:
            row = self.db.execute("SELECT used, inflight, reserved, external, seen FROM counters_v3 WHERE k=?",
                                  (key,)).fetchone()
            counter = self._cache[key] = Counter(*row) if row else _EMPTY
        return counter

    def put_counter(self, key: str, counter: Counter, expires_ms: int) -> None:
        self._cache[key] = counter
        self._dirty[key] = (key, counter.used, counter.inflight, counter.reserved, counter.external, counter.seen,
                            expires_ms)

    def write(self) -> None:
        if self._dirty:
            self.db.executemany("INSERT OR REPLACE INTO counters_v3 VALUES (?,?,?,?,?,?,?)", self._dirty.values())
            self._dirty.clear()

    def get_freeze(self, key: str) -> int:
        row = self.db.execute("SELECT until FROM freezes WHERE k=?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def put_freeze(self, key: str, until_ms: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO freezes VALUES (?,?)", (key, until_ms))

    def get_claims(self, scope: str) -> list[Claim]:
        rows = self.db.execute("SELECT id, data FROM claims WHERE scope=?", (scope,)).fetchall()
        return [Claim.loads(i, d) for i, d in rows]

    def put_claim(self, scope: str, claim: Claim) -> None:
        self.db.execute("INSERT OR REPLACE INTO claims VALUES (?,?,?)", (scope, claim.id, claim.dumps()))

    def delete_claim(self, scope: str, claim_id: str) -> None:
        self.db.execute("DELETE FROM claims WHERE scope=? AND id=?", (scope, claim_id))


_EMPTY = Counter()


class SQLiteStorage:
    """Budgets in a SQLite file shared by the processes of this host."""

    def __init__(self, path: str | Path, uri: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self.uri = uri or f"sqlite:///{self.path}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None,
                                       check_same_thread=False)
            set_up_wal(self._db, _SCHEMA, synchronous="OFF")
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"The governor's budget file {self.path} cannot be opened ({exc}).",
                "Point KEYSAFE_HOME or the sqlite:/// URI at a writable directory.",
            ) from None
        self._ops = _Ops(self._db)
        self._lock = threading.Lock()
        self._count = 0

    #: the governor may hand settlements to the next acquire (one transaction per request)
    settle_in_acquire = True
    #: and may spend small local leases of the budget (keysafe.governor.lease)
    local_lease = True

    def _transaction(self, fn, *args):
        with self._lock:
            ops = self._ops
            ops.begin()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(ops, *args)
                ops.write()
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def acquire(self, request: AcquireRequest) -> AcquireResult:
        self._count += 1
        if self._count % 1024 == 0:
            with self._lock:
                self._db.execute("DELETE FROM counters_v3 WHERE expires <= ?", (request.now_ms,))
        return self._transaction(_algorithm.acquire, request)

    def settle(self, items: list[SettleItem], now_ms: int) -> None:
        self._transaction(_algorithm.settle, items)

    def freeze(self, key: str, until_ms: int) -> int:
        return self._transaction(_algorithm.freeze, key, until_ms)

    def frozen_until(self, keys: tuple[str, ...]) -> int:
        with self._lock:
            return max((self._ops.get_freeze(k) for k in keys), default=0)

    def release_claim(self, scope: str, claim_id: str) -> None:
        with self._lock:
            self._ops.delete_claim(scope, claim_id)

    def counters(self, keys: list[str]) -> dict[str, Counter]:
        with self._lock:
            self._ops.begin()
            return {k: self._ops.get_counter(k) for k in keys}

    def reset(self) -> None:
        with self._lock:
            self._db.executescript("DELETE FROM counters_v3; DELETE FROM freezes; DELETE FROM claims;")

    def get_meta(self, name: str) -> str | None:
        """A small value shared by the processes (the limits learnt from exchangeInfo), or None."""
        with self._lock:
            row = self._db.execute("SELECT v FROM meta WHERE k=?", (name,)).fetchone()
        return row[0] if row else None

    def put_meta(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (name, value))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"SQLiteStorage({str(self.path)!r})"
