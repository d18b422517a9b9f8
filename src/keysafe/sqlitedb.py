"""Opening keysafe's shared SQLite files (governor budgets, activity log) safely when several
processes start at the same moment."""

from __future__ import annotations

import random
import sqlite3
import time


def set_up_wal(db: sqlite3.Connection, schema: str, *, synchronous: str = "NORMAL", attempts: int = 100) -> None:
    """WAL mode, the synchronous level and the tables (``CREATE ... IF NOT EXISTS``).

    Bots started together race to set up a new file, and SQLite answers "database is locked"
    at once (no busy wait) to a journal-mode change that meets another; retry for up to ~5 s,
    then raise the error.
    """
    for attempt in range(attempts):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={synchronous}")
            db.executescript(schema)
            return
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if attempt == attempts - 1 or ("locked" not in text and "busy" not in text):
                raise
            time.sleep(0.01 + random.random() * 0.04)
