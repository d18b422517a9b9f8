"""AsyncClient with the Redis governor: the event loop never waits for Redis, even frozen."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest
from conftest_redis import redis_server  # noqa: F401  (fixture)

from keysafe import AsyncClient, Credential
from keysafe.sandbox import run_sandbox


@pytest.fixture(scope="module")
def sb():
    with run_sandbox(scale=60) as sandbox:  # 1 s windows: the fallback's wait for a fresh window stays short
        yield sandbox


def test_a_frozen_redis_does_not_stall_the_event_loop(sb, redis_server):  # noqa: F811
    """A Redis host that stops answering (here: SIGSTOP) costs each governor call its socket
    timeout (0.5 s) before the local fallback takes over. An async bot's other work (streams,
    heartbeats) must go on meanwhile, and its requests must still be served."""
    key = sb.create_key(label="async-redis")
    cred = Credential.from_secret(key.api_key, key.secret_key, environment="sandbox", label=key.label)
    gaps: list[float] = []

    async def heartbeat(stop: asyncio.Event) -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async def main():
        stop = asyncio.Event()
        beat = asyncio.create_task(heartbeat(stop))
        async with AsyncClient(cred, base_url=sb.url, governor=redis_server.url, local_address="127.0.0.18") as c:
            await c.server_time()  # limits and clock loaded, Redis in use
            before = max(gaps, default=0.0)
            os.kill(redis_server.proc.pid, signal.SIGSTOP)
            try:
                answers = await asyncio.gather(*(c.ticker_price("BTCUSDT") for _ in range(5)))
                in_fallback = c.governor.storage.in_fallback
            finally:
                os.kill(redis_server.proc.pid, signal.SIGCONT)
        stop.set()
        await beat
        return answers, in_fallback, before

    answers, in_fallback, before = asyncio.run(main())
    assert [a.status for a in answers] == [200] * 5
    assert in_fallback  # the governor did meet the frozen Redis, and fell back to its local share
    assert max(gaps) < 0.3, f"the event loop stalled {max(gaps):.2f} s (before the freeze: {before:.2f} s)"
