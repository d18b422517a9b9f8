"""``redis://HOST:PORT/DB``: one budget for every host, updated atomically by Lua scripts.

When Redis cannot be reached the storage does not stop trading and does not guess
generously: it falls back to a conservative local share of each limit (``fallback_share``,
a quarter by default, and nothing more in the window during which Redis went away), says
so once through ``on_notice``, and goes back to Redis as soon as it answers again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import redis

from keysafe.governor.model import (
    EXTERNAL_MARGIN,
    MIN_OBSERVED,
    AcquireRequest,
    AcquireResult,
    Charge,
    Counter,
    SettleItem,
)
from keysafe.governor.storage_memory import MemoryStorage

log = logging.getLogger("keysafe.governor")

_ACQUIRE = """
local req = cjson.decode(ARGV[1])
local P = req.prefix
local now = req.now
for _, k in ipairs(req.freeze) do
  local z = tonumber(redis.call('GET', P .. 'z:' .. k) or '0')
  if z > now then return {0, z, 1} end
end
local qkey = P .. 'q:' .. req.scope
local aging = req.aging
local my_eff = req.lane - math.floor((now - req.since) / aging)
local all = redis.call('HGETALL', qkey)
local ahead = {}
local mine = false
for i = 1, #all, 2 do
  local id = all[i]
  if id == req.id then
    mine = true
  else
    local c = cjson.decode(all[i + 1])
    if c[4] <= now then
      redis.call('HDEL', qkey, id)
    else
      local eff = c[1] - math.floor((now - c[2]) / aging)
      if eff < my_eff or (eff == my_eff and (c[2] < req.since or (c[2] == req.since and id < req.id))) then
        for base, cost in pairs(c[3]) do ahead[base] = (ahead[base] or 0) + cost end
      end
    end
  end
end
local wait = 0
local queued_only = true
local seen = {}
for _, ch in ipairs(req.charges) do
  local base, limit, cost, burst, wms = ch[1], ch[2], ch[3], ch[5], ch[6]
  for _, w in ipairs(ch[4]) do
    local v = redis.call('HMGET', P .. 'c:' .. w[1], 'u', 'x')
    local used, ext = tonumber(v[1] or '0'), tonumber(v[2] or '0')
    -- unseen traffic of the two windows before, extrapolated from the part of each that was observed
    local est = 0
    for j, pk in ipairs({w[4], w[6]}) do
      local pv = redis.call('HMGET', P .. 'c:' .. pk, 'x', 's')
      local px, ps = tonumber(pv[1] or '0'), tonumber(pv[2] or '0')
      if px > 0 then
        local frac = math.min(1.0, math.max(req.min_observed, (ps - (w[5] - j * wms)) / wms))
        est = math.max(est, px / frac)
      end
    end
    local expected = math.min(math.ceil(est * req.margin - 1e-9), math.floor(limit / 2))
    local lim = limit - math.max(0, expected - ext)
    local need = used + (ahead[base] or 0) + cost
    if used + cost > lim then
      queued_only = false
      if w[2] > wait then wait = w[2] end
    else
      local paced_wait = 0
      if burst < 1.0 then
        local frac = math.min(1.0, math.max(0.0, (now - w[5]) / wms))
        local paced = math.ceil(limit * math.min(1.0, frac + burst) - 1e-9)
        if need > paced then
          local at = w[5] + math.floor(wms * ((need / limit) - burst)) + 1
          paced_wait = math.min(w[2], math.max(at, now + 1))
        end
      end
      if paced_wait > 0 then
        queued_only = false
        if paced_wait > wait then wait = paced_wait end
      elseif need > lim then
        local t = math.min(w[2], now + req.poll)
        if t > wait then wait = t end
      end
    end
  end
end
if wait > 0 then
  if queued_only then wait = math.min(wait, now + req.poll) end
  redis.call('HSET', qkey, req.id, req.claim)
  redis.call('PEXPIRE', qkey, req.ttl + 60000)
  return {0, wait, 0}
end
local out = {1, 0, 0}
for _, ch in ipairs(req.charges) do
  for _, w in ipairs(ch[4]) do
    local key = P .. 'c:' .. w[1]
    redis.call('HINCRBY', key, 'u', ch[3])
    redis.call('HINCRBY', key, 'f', ch[3])
    out[#out + 1] = redis.call('HINCRBY', key, 'r', ch[3])
    redis.call('PEXPIRE', key, w[3])
  end
end
if mine then redis.call('HDEL', qkey, req.id) end
return out
"""

_SETTLE = """
local items = cjson.decode(ARGV[1])
local P = ARGV[2]
for _, it in ipairs(items) do
  local key = P .. 'c:' .. it[1]
  local v = redis.call('HMGET', key, 'u', 'f', 'r', 'x')
  local used, inflight, reserved = tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or '0')
  local ext = tonumber(v[4] or '0')
  inflight = math.max(0, inflight - it[2])
  used = math.max(0, used - it[2] + it[3])
  if it[4] >= 0 then
    redis.call('HSET', key, 's', string.format('%d', math.max(tonumber(redis.call('HGET', key, 's') or '0'), it[8])))
    local later = math.min(inflight, math.max(0, reserved - it[6]))
    local view = it[4] + later
    if it[5] == 'set' then
      used = view
    elseif view > used then
      ext = ext + view - used
      used = view
    end
  end
  redis.call('HSET', key, 'u', used, 'f', inflight, 'r', reserved, 'x', ext)
  redis.call('PEXPIRE', key, it[7])
end
return 1
"""

_FREEZE = """
local key = ARGV[1] .. 'z:' .. ARGV[2]
local z = math.max(tonumber(redis.call('GET', key) or '0'), tonumber(ARGV[3]))
redis.call('SET', key, string.format('%d', z), 'PX', tonumber(ARGV[4]))
return z
"""

_REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class RedisStorage:
    """Budgets in Redis, shared by every host that points at the same server and database."""

    #: every operation is a network round trip (up to the socket timeout when Redis is frozen or
    #: gone): AsyncClient runs them off its event loop
    blocking_io = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "keysafe:",
        fallback_share: float = 0.25,
        retry_seconds: float = 1.0,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.uri = url
        self.prefix = prefix
        self.fallback_share = fallback_share
        self.retry_seconds = retry_seconds
        self.on_notice = on_notice
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.5,
                                           health_check_interval=0)
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._settle = self._redis.register_script(_SETTLE)
        self._freeze = self._redis.register_script(_FREEZE)
        self._fallback: MemoryStorage | None = None
        self._fallback_since_ms = 0
        self._next_retry = 0.0
        self._resume_at_ms: int | None = None
        self._lock = threading.Lock()
        self.fallbacks = 0  # how many times Redis was lost
        self.recoveries = 0

    # ------------------------------------------------------------ fallback

    @property
    def in_fallback(self) -> bool:
        return self._fallback is not None

    def _notice(self, message: str) -> None:
        log.warning(message)
        if self.on_notice is not None:
            try:
                self.on_notice(message)
            except Exception:  # noqa: BLE001 - a notice must not break a request
                pass

    def _lost(self, exc: BaseException, now_ms: int) -> MemoryStorage:
        with self._lock:
            self._resume_at_ms = None
            if self._fallback is None:
                self._fallback = MemoryStorage("memory://fallback")
                self._fallback_since_ms = now_ms
                self.fallbacks += 1
                self._notice(
                    f"keysafe governor: Redis at {self._where()} is unreachable ({type(exc).__name__}); "
                    f"using a local {self.fallback_share:.0%} share of each limit until it returns."
                )
            self._next_retry = time.monotonic() + self.retry_seconds
            return self._fallback

    def _active(self, now_ms: int | None = None, window_ms: int = 0) -> MemoryStorage | None:
        """The fallback storage while Redis is away; None when Redis should be used.

        Once Redis answers again, the switch back happens at the next window boundary, so
        that no window is counted partly here and partly there (every process that noticed
        the return during a window switches at the same boundary).
        """
        if self._fallback is None:
            return None
        if self._resume_at_ms is not None:
            if now_ms is not None and now_ms >= self._resume_at_ms:
                with self._lock:
                    self._fallback = None
                    self._resume_at_ms = None
                    self.recoveries += 1
                self._notice(f"keysafe governor: Redis at {self._where()} is back; the shared budget is in use "
                             "again.")
                return None
            return self._fallback
        if time.monotonic() < self._next_retry or now_ms is None or not window_ms:
            return self._fallback
        try:
            self._redis.ping()
        except _REDIS_ERRORS:
            self._next_retry = time.monotonic() + self.retry_seconds
            return self._fallback
        window = max(1, window_ms or 1000)
        # Every process must come back at the same boundary, or one would spend the shared budget
        # in Redis while another still spends its local share in the same window. The first process
        # to see Redis again proposes a boundary at least one retry period away (by then every
        # active process has pinged too) and stores it; the others adopt the stored one.
        retry_ms = int(self.retry_seconds * 1000)
        proposal = ((now_ms + retry_ms) // window + 1) * window
        key = self.prefix + "resume"
        try:
            self._redis.set(key, proposal, nx=True, px=retry_ms + 2 * window + 1000)
            agreed = int(self._redis.get(key) or proposal)
        except (_REDIS_ERRORS + (TypeError, ValueError)):
            self._next_retry = time.monotonic() + self.retry_seconds
            return self._fallback
        self._resume_at_ms = agreed if agreed > now_ms else (now_ms // window + 1) * window
        return self._fallback

    def _where(self) -> str:
        kw = self._redis.connection_pool.connection_kwargs
        return f"{kw.get('host', '?')}:{kw.get('port', '?')}/{kw.get('db', 0)}"

    def _local_charges(self, charges: tuple[Charge, ...]) -> tuple[Charge, ...]:
        out = []
        for ch in charges:
            limit = int(ch.limit * self.fallback_share)
            if ch.window_ms <= 60_000 and "|RAW_REQUESTS|" not in ch.base and any(
                w * ch.window_ms <= self._fallback_since_ms < (w + 1) * ch.window_ms for w in ch.windows
            ):
                limit = 0  # the window Redis was lost in: others may have used it all
            out.append(replace(ch, limit=limit))
        return tuple(out)

    # ------------------------------------------------------------ operations

    def acquire(self, request: AcquireRequest) -> AcquireResult:
        window = min((c.window_ms for c in request.charges if "|REQUEST_WEIGHT|" in c.base), default=1000)
        local = self._active(request.now_ms, window)
        if local is None:
            try:
                return self._acquire_redis(request)
            except _REDIS_ERRORS as exc:
                local = self._lost(exc, request.now_ms)
        result = local.acquire(replace(request, charges=self._local_charges(request.charges)))
        if not result.granted and not result.frozen:
            # never ask the caller to wait past the moment Redis may be back
            retry_ms = request.now_ms + int(self.retry_seconds * 1000)
            result = replace(result, wait_until_ms=min(result.wait_until_ms, max(retry_ms, request.now_ms + 1)))
        return result

    def _acquire_redis(self, req: AcquireRequest) -> AcquireResult:
        charges = [
            [ch.base, ch.limit, ch.cost,
             [[ch.key(w), (w + 1) * ch.window_ms, max(1000, (w + 3) * ch.window_ms - req.now_ms + 1000),
               ch.key(w - 1), w * ch.window_ms, ch.key(w - 2)]
              for w in ch.windows], ch.burst, ch.window_ms]
            for ch in req.charges
        ]
        claim = json.dumps([req.lane, req.since_ms, {c.base: c.cost for c in req.charges},
                            req.now_ms + req.claim_ttl_ms], separators=(",", ":"))
        payload = {
            "prefix": self.prefix, "now": req.now_ms, "freeze": list(req.freeze_keys), "scope": req.claim_scope,
            "id": req.claim_id, "lane": req.lane, "since": req.since_ms, "aging": max(1, req.aging_ms),
            "poll": req.poll_ms, "ttl": req.claim_ttl_ms, "margin": EXTERNAL_MARGIN,
            "min_observed": MIN_OBSERVED, "claim": claim, "charges": charges,
        }
        out = self._acquire(args=[json.dumps(payload, separators=(",", ":"))])
        if int(out[0]) == 1:
            return AcquireResult(True, marks=tuple(int(x) for x in out[3:]))
        return AcquireResult(False, int(out[1]), frozen=bool(int(out[2])))

    def settle(self, items: list[SettleItem], now_ms: int) -> None:
        local = self._active(now_ms)
        if local is None:
            rows = [[it.key, it.reserved, it.actual, -1 if it.header is None else it.header, it.header_mode,
                     it.mark, max(1000, it.expires_ms - now_ms + 1000), it.seen_ms] for it in items]
            try:
                self._settle(args=[json.dumps(rows, separators=(",", ":")), self.prefix])
                return
            except _REDIS_ERRORS as exc:
                local = self._lost(exc, now_ms)
        local.settle(items, now_ms)

    def freeze(self, key: str, until_ms: int) -> int:
        local = self._active()
        if local is None:
            ttl = max(1000, until_ms - int(time.time() * 1000) + 60_000)
            try:
                return int(self._freeze(args=[self.prefix, key, until_ms, ttl]))
            except _REDIS_ERRORS as exc:
                local = self._lost(exc, until_ms)
        return local.freeze(key, until_ms)

    def frozen_until(self, keys: tuple[str, ...]) -> int:
        local = self._active()
        if local is None:
            try:
                values = self._redis.mget([self.prefix + "z:" + k for k in keys]) if keys else []
                return max((int(v) for v in values if v is not None), default=0)
            except _REDIS_ERRORS:
                return 0
        return local.frozen_until(keys)

    def release_claim(self, scope: str, claim_id: str) -> None:
        local = self._active()
        if local is None:
            try:
                self._redis.hdel(self.prefix + "q:" + scope, claim_id)
                return
            except _REDIS_ERRORS:
                return
        local.release_claim(scope, claim_id)

    def counters(self, keys: list[str]) -> dict[str, Counter]:
        local = self._active()
        if local is not None:
            return local.counters(keys)
        out: dict[str, Counter] = {}
        try:
            pipe = self._redis.pipeline(transaction=False)
            for k in keys:
                pipe.hmget(self.prefix + "c:" + k, "u", "f", "r", "x", "s")
            for k, v in zip(keys, pipe.execute(), strict=True):
                out[k] = Counter(*(int(x or 0) for x in v))
        except _REDIS_ERRORS:
            return {k: Counter() for k in keys}
        return out

    def reset(self) -> None:
        for key in self._redis.scan_iter(match=self.prefix + "*", count=1000):
            self._redis.delete(key)
        if self._fallback is not None:
            self._fallback.reset()

    def get_meta(self, name: str) -> str | None:
        """A small value shared by every host (the limits learnt from exchangeInfo), or None."""
        try:
            value = self._redis.get(self.prefix + "meta:" + name)
        except _REDIS_ERRORS:
            return None
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value

    def put_meta(self, name: str, value: str) -> None:
        try:
            self._redis.set(self.prefix + "meta:" + name, value)
        except _REDIS_ERRORS:
            pass  # the next process learns the limits from exchangeInfo itself

    def close(self) -> None:
        self._redis.close()

    def __repr__(self) -> str:
        return f"RedisStorage({self._where()!r})"
