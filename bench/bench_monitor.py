"""Activity monitor: ingest rate, the cost an event adds to a client call, detectors over 1M events.

Peers measured in the same run:
* ingest: one INSERT + COMMIT per event (a naive SQLite logger) and the stdlib ``logging``
  module writing JSON lines to a file;
* per-call cost: EventBus.publish with no subscriber (the floor), a synchronous
  ``logging`` FileHandler, and the stdlib's own non-blocking ``QueueHandler``;
* detectors: reading the same million rows into Python once, doing nothing with them
  (the floor of any detector written in Python over the same store).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import queue
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from keysafe.events import ActivityEvent, EventBus
from keysafe.monitor import ActivityStore, ActivityWriter, Monitor
from keysafe.monitor.store import event_row
from keysafe.monitor.synthetic import DEFAULT_BOTS, generate

EV = ActivityEvent(time=1772409600.0, method="GET", path="/api/v3/account", environment="production",
                   key_label="grid-bot", key_fingerprint="0123456789abcdef", weight=20, status=200,
                   used_weight=120, latency_ms=12.3, client_ip="203.0.113.10", bot="grid-bot")


def per_call_ns(fn, n: int = 200_000, repeats: int = 5) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(n):
            fn(EV)
        runs.append((time.perf_counter_ns() - start) / n)
    return statistics.median(runs)


def ingest(tmp: Path, events: list[ActivityEvent]) -> dict[str, float]:
    out = {}
    store = ActivityStore(tmp / "batch.db")
    rows = [event_row(e) for e in events]
    start = time.perf_counter()
    for i in range(0, len(rows), 2000):
        store.add_rows(rows[i:i + 2000])
    out["keysafe store, batches of 2,000"] = len(rows) / (time.perf_counter() - start)
    store.close()

    bus = EventBus()
    writer = ActivityWriter(tmp / "writer.db", max_queue=len(events))
    bus.subscribe(writer)
    start = time.perf_counter()
    for e in events:
        bus.publish(e)
    writer.close()
    assert writer.stats.written == len(events) and writer.stats.unstored == 0
    out["keysafe publish → background writer → stored (all of them)"] = len(events) / (time.perf_counter() - start)

    naive = ActivityStore(tmp / "naive.db")
    sample = rows[:5000]
    start = time.perf_counter()
    for r in sample:
        naive.add_rows([r])  # one transaction per event
    out["peer: SQLite, one INSERT+COMMIT per event"] = len(sample) / (time.perf_counter() - start)

    log = logging.getLogger("bench.jsonl")
    log.propagate = False
    handler = logging.FileHandler(tmp / "log.jsonl")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    start = time.perf_counter()
    for e in events[:100_000]:
        log.info(json.dumps(e.to_json()))
    handler.close()
    out["peer: stdlib logging, JSON lines to a file"] = 100_000 / (time.perf_counter() - start)
    return out


def call_cost(tmp: Path) -> dict[str, float]:
    out = {}
    bus = EventBus()
    out["EventBus.publish, no subscriber (floor)"] = per_call_ns(lambda e: bus.publish(e))
    writer = ActivityWriter(tmp / "cost.db", max_queue=10_000_000)
    bus.subscribe(writer)
    out["keysafe: publish + writer enqueue"] = per_call_ns(lambda e: bus.publish(e))
    writer.close()

    sync_log = logging.getLogger("bench.sync")
    sync_log.propagate = False
    fh = logging.FileHandler(tmp / "sync.log")
    sync_log.addHandler(fh)
    sync_log.setLevel(logging.INFO)
    out["peer: logging.info(json) to a FileHandler"] = per_call_ns(lambda e: sync_log.info(json.dumps(e.to_json())),
                                                                  n=50_000)
    fh.close()

    q: queue.Queue = queue.Queue()
    q_log = logging.getLogger("bench.queue")
    q_log.propagate = False
    q_log.addHandler(logging.handlers.QueueHandler(q))
    q_log.setLevel(logging.INFO)
    listener = logging.handlers.QueueListener(q, logging.NullHandler())
    listener.start()
    out["peer: logging.info(event) via stdlib QueueHandler"] = per_call_ns(lambda e: q_log.info("%s", e), n=50_000)
    listener.stop()
    return out


def detectors(tmp: Path) -> tuple[int, dict[str, float], int]:
    bots = tuple(replace(b, per_minute=b.per_minute * 7) for b in DEFAULT_BOTS)
    scn = generate(1, weeks=4, bots=bots)
    store = ActivityStore(tmp / "million.db")
    rows = [event_row(e) for e in scn.events]
    del scn.events[:]
    for i in range(0, len(rows), 20_000):
        store.add_rows(rows[i:i + 20_000])
    n = len(rows)
    del rows
    out = {}
    mon = Monitor(store, scn.config, sinks=[])
    lo, hi = store.time_range()
    start = time.perf_counter()
    alerts = mon.run_detectors(lo, hi + 1)
    out["keysafe: all 8 detectors over the whole store"] = time.perf_counter() - start
    for det in mon.detectors:
        from keysafe.monitor.detectors import ScanContext

        t = time.perf_counter()
        det.run(ScanContext(store, scn.config, lo, hi + 1))
        out[f"  {det.name}"] = time.perf_counter() - t
    start = time.perf_counter()
    for _row in store._db.execute("SELECT * FROM calls"):
        pass
    out["peer floor: read every row into Python once"] = time.perf_counter() - start
    return n, out, len(alerts)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        events = [replace(EV, time=EV.time + i * 0.01) for i in range(300_000)]
        rates = ingest(tmp, events)
        costs = call_cost(tmp)
        n, secs, n_alerts = detectors(tmp)
    ks_rate = rates["keysafe store, batches of 2,000"]
    ks_cost = costs["keysafe: publish + writer enqueue"] / 1000
    ks_det = secs["keysafe: all 8 detectors over the whole store"]
    print("## Activity monitor\n")
    print("Ingest (events per second into the SQLite store, WAL, file on disk):\n")
    print("| writer | events/s |\n|---|---:|")
    for name, v in rates.items():
        print(f"| {name} | {v:,.0f} |")
    print(f"\nGoal ≥ 50,000 events/s in batches: **{'met' if ks_rate >= 50_000 else 'NOT met'}** ({ks_rate:,.0f}).\n")
    print("Cost an event adds to a client call (time in the caller's thread, median of 5 runs):\n")
    print("| what the caller pays | µs per event |\n|---|---:|")
    for name, v in costs.items():
        print(f"| {name} | {v / 1000:.2f} |")
    print(f"\nGoal < 10 µs: **{'met' if ks_cost < 10 else 'NOT met'}** ({ks_cost:.2f} µs).\n")
    print(f"Detectors over {n:,} events (4 keys, 4 weeks, labelled anomalies; {n_alerts} alerts raised):\n")
    print("| run | seconds |\n|---|---:|")
    for name, v in secs.items():
        print(f"| {name} | {v:.2f} |")
    print(f"\nGoal < 10 s for every detector over one million events: **{'met' if ks_det < 10 else 'NOT met'}** "
          f"({ks_det:.2f} s).")
    load = os.getloadavg()[0]
    print(f"\nLoad average during the run: {load:.1f} on {os.cpu_count()} cores (other work shares this machine).")


if __name__ == "__main__":
    sys.exit(main())
