"""``sqlite:///PATH``: one budget for every process of one host (the default storage).

Each operation is one ``BEGIN IMMEDIATE`` transaction, so processes serialise on the
file's write lock. WAL mode and ``synchronous=OFF`` keep an acquire in the 100 us range:
the budget is about the next minute, durability across a power cut does not matter.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from keysafe.errors import ConfigurationError
from keysafe.governor import _algorithm
from keysafe.governor.model import AcquireRequest, AcquireResult, Claim, Counter, SettleItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters_v3 (k TEXT PRIMARY KEY, used INTEGER, inflight INTEGER, reserved INTEGER,
                                     external INTEGER, seen INTEGER, expires INTEGER);
CREATE TABLE IF NOT EXISTS freezes (k TEXT PRIMARY KEY, until INTEGER);
CREATE TABLE IF NOT EXISTS claims (scope TEXT, id TEXT, data TEXT, PRIMARY KEY (scope, id));
"""


class _Ops:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get_counter(self, key: str) -> Counter:
        row = self.db.execute("SELECT used, inflight, reserved, external, seen FROM counters_v3 WHERE k=?", (key,)).fetchone()
        return Counter(*row) if row else Counter()

    def put_counter(self, key: str, counter: Counter, expires_ms: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO counters_v3 VALUES (?,?,?,?,?,?,?)",
            (key, counter.used, counter.inflight, counter.reserved, counter.external, counter.seen, expires_ms),
        )

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


class SQLiteStorage:
    """Budgets in a SQLite file shared by the processes of this host."""

    def __init__(self, path: str | Path, uri: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self.uri = uri or f"sqlite:///{self.path}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"The governor's budget file {self.path} cannot be opened ({exc}).",
                "Point KEYSAFE_HOME or the sqlite:/// URI at a writable directory.",
            ) from None
        self._ops = _Ops(self._db)
        self._lock = threading.Lock()
        self._count = 0

    def _transaction(self, fn, *args):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._ops, *args)
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
            return {k: self._ops.get_counter(k) for k in keys}

    def reset(self) -> None:
        with self._lock:
            self._db.executescript("DELETE FROM counters_v3; DELETE FROM freezes; DELETE FROM claims;")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"SQLiteStorage({str(self.path)!r})"
