"""The server clock: round-trip compensation, refresh and resync, with injected time (no sleeping)."""

from __future__ import annotations

import pytest

from keysafe.clock import Sample, ServerClock
from keysafe.errors import ConfigurationError


def test_the_sample_with_the_smallest_round_trip_wins():
    clock = ServerClock(time_source=lambda: 1_000.0)
    best = clock.update([
        Sample(1_000_000, 1_000_900, 1_000_400),  # 400 ms round trip: offset +700, uncertain
        Sample(1_000_000, 1_000_505, 1_000_010),  # 10 ms: offset +500
        Sample(1_000_000, 1_000_300, 1_000_200),
    ])
    assert best.rtt_ms == 10
    assert clock.offset_ms == 500 and clock.uncertainty_ms == 5
    assert clock.now_ms() == 1_000_000 + 500


def test_sync_takes_several_samples_through_the_callers_fetch():
    local = [5_000.0]
    calls = []

    def fetch():  # the server is 2 s ahead; each call takes 4 ms of local time
        calls.append(1)
        local[0] += 0.002
        server = local[0] * 1000 + 2000
        local[0] += 0.002
        return server

    clock = ServerClock(time_source=lambda: local[0], samples=4)
    clock.sync(fetch)
    assert len(calls) == 4 and clock.offset_ms == pytest.approx(2000, abs=0.01)
    assert clock.rtt_ms == pytest.approx(4, abs=0.01)


def test_refresh_is_periodic_and_on_demand():
    mono = [0.0]
    clock = ServerClock(monotonic=lambda: mono[0], refresh_seconds=300)
    assert clock.needs_sync() and not clock.synced and clock.uncertainty_ms == 1000
    clock.update([Sample(0, 0, 1)])
    assert not clock.needs_sync()
    mono[0] = 299.0
    assert not clock.needs_sync()
    mono[0] = 300.0
    assert clock.needs_sync()
    clock.update([Sample(0, 0, 1)])
    clock.invalidate()  # e.g. after a -1021
    assert clock.needs_sync()


def test_a_skewed_local_clock_is_corrected():
    skew = 0.5  # this machine is 500 ms fast
    clock = ServerClock(time_source=lambda: 1_700_000_000.0 + skew)
    server_ms = 1_700_000_000_000
    clock.update([Sample(clock.local_ms() - 1, server_ms, clock.local_ms() + 1)])
    assert clock.now_ms() == server_ms


def test_bad_settings_are_explained():
    with pytest.raises(ConfigurationError, match="samples=0"):
        ServerClock(samples=0)
    with pytest.raises(ConfigurationError, match="refresh_seconds"):
        ServerClock(refresh_seconds=0)
    with pytest.raises(ConfigurationError, match="No clock samples"):
        ServerClock().update([])
