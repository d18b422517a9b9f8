"""Bots started at the same moment share one new SQLite file (the governor's budgets, the
activity log): every one must open it."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import pytest


def _open(kind: str, path: str, start_at: float, q) -> None:
    from keysafe.governor.storage_sqlite import SQLiteStorage
    from keysafe.monitor.store import ActivityStore

    time.sleep(max(0.0, start_at - time.time()))
    try:
        (SQLiteStorage if kind == "governor" else ActivityStore)(path)
        q.put("ok")
    except Exception as exc:  # the test reports what a bot would have crashed with
        q.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.parametrize("kind", ["governor", "monitor"])
def test_processes_started_together_all_open_a_new_shared_file(tmp_path: Path, kind: str) -> None:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    failures = []
    for round_ in range(6):  # each round a fresh file: the race is on creating it
        start_at = time.time() + 1.5  # after every process has started and imported keysafe
        procs = [ctx.Process(target=_open, args=(kind, str(tmp_path / f"{kind}{round_}.sqlite3"), start_at, q))
                 for _ in range(6)]
        for p in procs:
            p.start()
        outcomes = [q.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        failures += [o for o in outcomes if o != "ok"]
    assert failures == []
