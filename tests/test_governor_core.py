"""The governor's rules, run against every storage: memory, a temp SQLite file, a real Redis."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
import uuid

import pytest

from conftest_redis import redis_server  # noqa: F401  (fixture)
from keysafe.errors import ConfigurationError
from keysafe.governor import BudgetExhaustedError, Governor, Reservation, Wait, storage_from_uri
from keysafe.spec import Lane, RateLimit, RateLimitType

W = 1000  # window length in ms for these tests
T0 = 1_700_000_000_000  # a window boundary (divisible by 1000)
LIMITS = (
    RateLimit(RateLimitType.REQUEST_WEIGHT, "MINUTE", 1, 100, window_ms=W),
    RateLimit(RateLimitType.ORDERS, "SECOND", 10, 10, window_ms=W),
    RateLimit(RateLimitType.RAW_REQUESTS, "MINUTE", 5, 100_000, window_ms=5 * W),
)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def storage_uri(request, tmp_path):
    if request.param == "memory":
        return f"memory://{uuid.uuid4().hex}"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gov.sqlite3'}"
    server = request.getfixturevalue("redis_server")
    server.flush()
    return server.url


@pytest.fixture
def gov(storage_uri):
    g = Governor(storage_uri, LIMITS, guard_ms=0, burst=1.0)
    yield g
    g.close()


def take(g: Governor, weight: int, t: int, **kw) -> Reservation | Wait:
    return g.try_acquire(weight=weight, now_ms=t, **kw)


def test_fills_a_window_exactly_then_waits_for_the_next(gov):
    for i in range(10):
        assert isinstance(take(gov, 10, T0 + 100 + i), Reservation)
    wait = take(gov, 1, T0 + 200)
    assert isinstance(wait, Wait) and not wait.frozen
    assert wait.until_ms == T0 + W  # the next window, aligned to the server clock
    assert isinstance(take(gov, 10, T0 + W + 1), Reservation)
    assert gov.usage(now_ms=T0 + 500).used_weight == 100
    assert gov.usage(now_ms=T0 + W + 1).used_weight == 10


def test_a_request_near_a_boundary_is_charged_to_both_windows(storage_uri):
    g = Governor(storage_uri, LIMITS, guard_ms=20, burst=1.0)
    r = take(g, 30, T0 + W - 5)
    assert isinstance(r, Reservation)
    assert g.usage(now_ms=T0 + 1).used_weight == 30
    assert g.usage(now_ms=T0 + W + 1).used_weight == 30
    g.close()


def test_successful_orders_cost_no_weight_after_settling(gov):
    r = take(gov, 1, T0 + 10, orders=1, lane=Lane.ORDER)
    assert isinstance(r, Reservation)
    gov.settle(r, actual_weight=0, headers={"X-MBX-ORDER-COUNT-10S": "1"}, arrival_ms=T0 + 11)
    u = gov.usage(now_ms=T0 + 20)
    assert u.used_weight == 0 and u.order_count_10s == 1


def test_header_reveals_traffic_the_governor_could_not_see(gov):
    r = take(gov, 5, T0 + 10)
    # another program on this IP already used 60: the server says 65
    gov.settle(r, headers={"X-MBX-USED-WEIGHT-1M": "65"}, arrival_ms=T0 + 11)
    assert gov.usage(now_ms=T0 + 20).used_weight == 65
    assert isinstance(take(gov, 35, T0 + 30), Reservation)
    assert isinstance(take(gov, 1, T0 + 40, claim_id="z"), Wait)
    gov.release(None, "z")
    # next window: room is kept for the other program's share (60 plus a 25% margin, at most half)
    t = T0 + W + 10
    assert isinstance(take(gov, 50, t, claim_id="a"), Reservation)
    assert isinstance(take(gov, 1, t + 1, claim_id="b"), Wait)
    gov.release(None, "b")
    r = take(gov, 5, T0 + 2 * W + 10)  # ...and as it shows up, what it used counts against it
    gov.settle(r, headers={"X-MBX-USED-WEIGHT-1M": "80"}, arrival_ms=T0 + 2 * W + 11)
    assert isinstance(take(gov, 20, T0 + 2 * W + 20), Reservation)
    assert isinstance(take(gov, 1, T0 + 2 * W + 30), Wait)


def test_a_header_never_lowers_the_weight_but_fills_lower_the_order_count(gov):
    r1 = take(gov, 10, T0 + 10, orders=1)
    r2 = take(gov, 10, T0 + 11, orders=1)
    gov.settle(r1, headers={"X-MBX-USED-WEIGHT-1M": "3", "X-MBX-ORDER-COUNT-10S": "0"}, arrival_ms=T0 + 12)
    u = gov.usage(now_ms=T0 + 20)
    assert u.used_weight == 20  # the server had not counted r2 yet; never trust a lower figure
    assert u.order_count_10s == 1  # r1 filled (count 0 at the server) + r2 still in flight
    gov.settle(r2, headers={"X-MBX-USED-WEIGHT-1M": "20", "X-MBX-ORDER-COUNT-10S": "0"}, arrival_ms=T0 + 13)
    assert gov.usage(now_ms=T0 + 20).order_count_10s == 0


def test_freeze_stops_every_caller_until_it_ends(storage_uri):
    a = Governor(storage_uri, LIMITS, guard_ms=0, burst=1.0)
    b = Governor(storage_uri, LIMITS, guard_ms=0, burst=1.0)  # another process sharing the storage
    a.freeze(until_ms=T0 + 3 * W)
    for g in (a, b):
        w = take(g, 1, T0 + 10)
        assert isinstance(w, Wait) and w.frozen and w.until_ms == T0 + 3 * W
    assert isinstance(take(b, 1, T0 + 3 * W + 1), Reservation)
    with pytest.raises(BudgetExhaustedError) as info:
        a.freeze(until_ms=int(time.time() * 1000) + 60_000)
        a.acquire(weight=1, on_limit="raise")
    assert info.value.frozen and info.value.retry_after > 50
    a.close()
    b.close()


def test_a_cancel_waiting_for_room_goes_before_market_data(gov):
    for i in range(9):
        take(gov, 10, T0 + i)
    assert isinstance(take(gov, 20, T0 + 20, lane=Lane.CANCEL, claim_id="cancel", since_ms=T0 + 20), Wait)
    # market data asks later in the same window: it must not take the room of the queued cancel
    # when the next window opens
    assert isinstance(take(gov, 85, T0 + 30, lane=Lane.MARKET, claim_id="md", since_ms=T0 + 30), Wait)
    assert isinstance(take(gov, 85, T0 + W + 1, lane=Lane.MARKET, claim_id="md", since_ms=T0 + 30), Wait)
    assert isinstance(take(gov, 20, T0 + W + 2, lane=Lane.CANCEL, claim_id="cancel", since_ms=T0 + 20),
                      Reservation)
    # within a lane it is first come, first served: a later small request does not jump the queue
    assert isinstance(take(gov, 5, T0 + W + 3, lane=Lane.MARKET, claim_id="md2", since_ms=T0 + W + 3), Wait)
    assert isinstance(take(gov, 85, T0 + 2 * W + 1, lane=Lane.MARKET, claim_id="md", since_ms=T0 + 30),
                      Reservation)


def test_a_waiting_low_lane_ages_past_fresh_high_lane_requests(gov):
    take(gov, 100, T0)
    assert isinstance(take(gov, 60, T0 + 1, lane=Lane.MARKET, claim_id="old", since_ms=T0 + 1), Wait)
    # three windows later it has aged to the top lane and beats a fresh order placement
    t = T0 + 3 * W + 5
    assert isinstance(take(gov, 60, t, lane=Lane.ORDER, claim_id="new", since_ms=t), Wait)
    assert isinstance(take(gov, 60, t + 1, lane=Lane.MARKET, claim_id="old", since_ms=T0 + 1), Reservation)


def test_a_heavy_request_is_not_starved_by_light_ones(gov):
    """weight-50 under weight-1 saturation gets in at the latest in the next window."""
    t = T0
    heavy_granted_at = None
    heavy_since = T0 + 5
    while t < T0 + 3 * W and heavy_granted_at is None:
        for _ in range(3):  # light callers keep the budget saturated
            take(gov, 1, t, lane=Lane.MARKET)
        if t >= heavy_since:
            got = take(gov, 50, t, lane=Lane.MARKET, claim_id="heavy", since_ms=heavy_since)
            if isinstance(got, Reservation):
                heavy_granted_at = t
        t += 7
    assert heavy_granted_at is not None and heavy_granted_at < T0 + 2 * W


def test_pacing_spreads_a_window_and_leaves_room_late_in_it(storage_uri):
    g = Governor(storage_uri, LIMITS, guard_ms=0, burst=0.1)
    granted = 0
    while isinstance(take(g, 1, T0 + 100, claim_id="p"), Reservation):
        granted += 1
    assert granted == 20  # 10% of the window elapsed + 10% burst
    w = take(g, 10, T0 + 100, claim_id="p")
    assert isinstance(w, Wait) and T0 + 190 < w.until_ms <= T0 + 301
    g.release(None, "p")
    assert isinstance(take(g, 70, T0 + 900), Reservation)  # full use by 90% of the window
    g.close()


def test_a_request_that_can_never_fit_is_refused_clearly(gov):
    with pytest.raises(ConfigurationError, match="can never fit"):
        take(gov, 101, T0)


def test_unknown_storage_uri_says_what_is_accepted(tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError, match="memory://, sqlite:///PATH"):
        storage_from_uri("mongodb://x")
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path))
    s = storage_from_uri(None)
    assert str(tmp_path) in s.uri and (tmp_path / "governor.sqlite3").exists()
    s.close()


def test_threads_never_overrun_a_window(gov):
    granted: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + 1.2

    def worker():
        while time.monotonic() < stop:
            now = int(time.time() * 1000)
            got = take(gov, 3, now)
            if isinstance(got, Reservation):
                with lock:
                    granted[now // W] = granted.get(now // W, 0) + 3
            else:
                time.sleep(max(0, got.until_ms - now) / 1000)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert granted and max(granted.values()) <= 100
    assert sum(granted.values()) >= 99  # a full window was used


def _hammer(uri: str, seconds: float, queue) -> None:
    g = Governor(uri, LIMITS, guard_ms=0, burst=1.0)
    counts: dict[int, int] = {}
    stop = time.time() + seconds
    while time.time() < stop:
        now = int(time.time() * 1000)
        got = g.try_acquire(weight=2, now_ms=now)
        if isinstance(got, Reservation):
            counts[now // 200] = counts.get(now // 200, 0) + 2
        else:
            time.sleep(max(0, got.until_ms - now) / 1000)
    queue.put(counts)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_processes_share_one_budget_atomically(kind, tmp_path, request):
    uri = f"sqlite:///{tmp_path / 'gov.sqlite3'}" if kind == "sqlite" else request.getfixturevalue("redis_server").url
    if kind == "redis":
        request.getfixturevalue("redis_server").flush()
    Governor(uri, LIMITS).close()  # create the schema once
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(uri, 1.5, q)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [q.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(10)
    # windows are 1000 ms; the test counted grants per 200 ms slot: sum slots per window
    per_window: dict[int, int] = {}
    for counts in results:
        for slot, n in counts.items():
            per_window[slot // 5] = per_window.get(slot // 5, 0) + n
    assert max(per_window.values()) <= 100
    assert len(per_window) >= 1 and max(per_window.values()) >= 98  # saturated, not starved


def test_redis_lost_falls_back_to_a_local_share_and_recovers(tmp_path):
    from conftest_redis import RedisServer
    from helpers import free_port

    server = RedisServer(free_port())
    server.start()
    notices: list[str] = []
    g = Governor(server.url, LIMITS, guard_ms=0, burst=1.0, on_notice=notices.append)
    g.storage.retry_seconds = 0.05
    t = T0
    assert isinstance(take(g, 10, t), Reservation)
    server.kill()
    # the window Redis was lost in is closed to this caller: others may have used it all
    assert isinstance(take(g, 1, t + 10, claim_id="c"), Wait)
    assert isinstance(take(g, 1, t + 20, claim_id="c"), Wait)
    g.release(None, "c")
    assert len(notices) == 1 and "unreachable" in notices[0] and "25%" in notices[0]
    # next window: a quarter of the limit, no more
    got = [take(g, 5, t + W + i, claim_id=f"q{i}") for i in range(10)]
    assert sum(isinstance(x, Reservation) for x in got) == 5
    for i in range(10):
        g.release(None, f"q{i}")  # those callers gave up waiting
    server.start()
    time.sleep(0.1)
    # Redis answers again: the switch back waits for the next window boundary
    assert isinstance(take(g, 5, t + 2 * W + 1), Reservation)
    assert isinstance(take(g, 50, t + 2 * W + 2), Wait) and len(notices) == 1
    assert isinstance(take(g, 50, t + 3 * W + 1), Reservation)
    assert len(notices) == 2 and "back" in notices[1]
    assert g.storage.counters([]) == {} and not g.storage.in_fallback
    g.close()
    server.kill()


# ---------------------------------------------------------------- local leases (SQLite)

BIG = (  # Binance-sized budgets: a 2% slice holds several requests, so leases are used
    RateLimit(RateLimitType.REQUEST_WEIGHT, "MINUTE", 1, 1000, window_ms=W),
    RateLimit(RateLimitType.RAW_REQUESTS, "MINUTE", 5, 100_000, window_ms=5 * W),
)


def test_a_lease_is_shared_budget_and_what_it_did_not_use_goes_back(tmp_path):
    uri = f"sqlite:///{tmp_path / 'gov.sqlite3'}"
    a = Governor(uri, BIG, guard_ms=0, burst=1.0)
    b = Governor(uri, BIG, guard_ms=0, burst=1.0)  # another process on the same file
    r = take(a, 2, T0 + 100)
    assert isinstance(r, Reservation) and r.lease is not None
    assert b.usage(now_ms=T0 + 101).used_weight == 20  # the whole slice is taken from the shared budget
    for i in range(3):  # spent from the lease without touching the file
        r2 = take(a, 2, T0 + 102 + i)
        assert isinstance(r2, Reservation) and r2.lease is r.lease
        a.settle(r2, headers={}, arrival_ms=T0 + 103 + i)
    a.settle(r, headers={"X-MBX-USED-WEIGHT-1M": "8"}, arrival_ms=T0 + 110)
    assert b.usage(now_ms=T0 + 111).used_weight == 20
    a.flush(T0 + 200)  # the lease has ended: what was used replaces the slice
    assert b.usage(now_ms=T0 + 201).used_weight == 8
    a.close()
    b.close()


def test_a_freeze_set_elsewhere_stops_leased_requests_at_once(tmp_path):
    uri = f"sqlite:///{tmp_path / 'gov.sqlite3'}"
    a = Governor(uri, BIG, guard_ms=0, burst=1.0)
    b = Governor(uri, BIG, guard_ms=0, burst=1.0)
    assert isinstance(take(a, 2, T0 + 100), Reservation)
    b.freeze(until_ms=T0 + 500)
    w = take(a, 2, T0 + 101)
    assert isinstance(w, Wait) and w.frozen and w.until_ms == T0 + 500
    a.close()
    b.close()


def test_a_lease_never_crosses_a_window_boundary(tmp_path):
    g = Governor(f"sqlite:///{tmp_path / 'gov.sqlite3'}", BIG, guard_ms=10, burst=1.0)
    r = take(g, 2, T0 + W - 25)  # the request fits this window; a lease's span would reach the next
    assert isinstance(r, Reservation) and r.lease is None
    assert g.usage(now_ms=T0 + W - 20).used_weight == 2  # reserved alone, as before leases
    assert g.usage(now_ms=T0 + W + 1).used_weight == 0
    g.close()


def _hammer_settled(uri: str, seconds: float, queue) -> None:
    g = Governor(uri, BIG, guard_ms=0, burst=1.0)
    counts: dict[int, int] = {}
    leased = 0
    stop = time.time() + seconds
    claim = uuid.uuid4().hex  # one place in the queue per request, kept while it waits (as the client does)
    while time.time() < stop:
        now = int(time.time() * 1000)
        got = g.try_acquire(weight=2, now_ms=now, claim_id=claim)
        if isinstance(got, Reservation):
            claim = uuid.uuid4().hex
            counts[now // 200] = counts.get(now // 200, 0) + 2
            leased += got.lease is not None
            g.settle(got, headers={}, arrival_ms=now)
        else:
            time.sleep(max(0, got.until_ms - now) / 1000)
    g.close()
    queue.put((counts, leased))


def test_processes_spending_leases_never_overrun_a_window(tmp_path):
    uri = f"sqlite:///{tmp_path / 'gov.sqlite3'}"
    Governor(uri, BIG).close()
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_hammer_settled, args=(uri, 2.5, q)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [q.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(10)
    per_window: dict[int, int] = {}
    for counts, _leased in results:
        for slot, n in counts.items():
            per_window[slot // 5] = per_window.get(slot // 5, 0) + n
    assert max(per_window.values()) <= 1000
    assert sum(leased for _c, leased in results) > 100  # the leases were used
    full = sorted(per_window)[1:-1]  # the first and last windows are partial
    assert full and min(per_window[w] for w in full) >= 900, per_window  # and the budget still fills


# ------------------------------------------------------------------ limits learnt from exchangeInfo

def test_a_lease_taken_under_the_old_limits_is_not_spent_under_new_ones(tmp_path):
    """Before exchangeInfo answers, the defaults are in force and a lease may be large; once the
    server's (smaller) limits are adopted, nothing may be spent from that lease any more."""
    g = Governor(f"sqlite:///{tmp_path / 'gov.sqlite3'}", BIG, guard_ms=0, burst=1.0)
    first = take(g, 2, T0 + 100)
    assert isinstance(first, Reservation) and first.lease is not None
    g.set_limits(LIMITS)  # 100 weight per window
    for i in range(60):  # 120 weight asked within the old lease's lifetime
        r = take(g, 2, T0 + 101 + i // 10)
        if isinstance(r, Reservation):
            assert r.lease is not first.lease
    assert g.usage(now_ms=T0 + 120).used_weight <= 100
    g.close()


def test_new_limits_take_the_current_window_as_full_and_are_shared(storage_uri):
    """What was sent under the defaults is invisible in the new windows: the current one counts as
    full. The limits are stored, so a process starting later governs its first request by them."""
    big = (RateLimit(RateLimitType.REQUEST_WEIGHT, "MINUTE", 1, 6000),)
    a = Governor(storage_uri, guard_ms=0, burst=1.0)  # the spec's defaults, as a client starts
    assert isinstance(take(a, 20, T0 + 100), Reservation)  # exchangeInfo, under the defaults
    assert a.adopt_limits(LIMITS, now_ms=T0 + 150) is True
    wait = take(a, 5, T0 + 160)
    assert isinstance(wait, Wait) and wait.until_ms == T0 + W  # the next window, seen whole
    assert isinstance(take(a, 5, T0 + W + 1), Reservation)
    assert a.adopt_limits(LIMITS, now_ms=T0 + W + 2) is False  # the same limits again: nothing happens
    assert isinstance(take(a, 5, T0 + W + 3), Reservation)

    later = Governor(storage_uri, guard_ms=0, burst=1.0)  # another process on the same storage
    assert isinstance(take(later, 5, T0 + W + 4), Reservation)
    assert later.weight_limit.limit == 100  # governed by the learnt limits from its first request
    assert later.adopt_limits(LIMITS, now_ms=T0 + W + 5) is False  # so its start-up costs no window
    chosen = Governor(storage_uri, big, guard_ms=0, burst=1.0)  # limits given by the caller stay
    take(chosen, 5, T0 + W + 6)
    assert chosen.weight_limit.limit == 6000
    for g in (a, later, chosen):
        g.close()
