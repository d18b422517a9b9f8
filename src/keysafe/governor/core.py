"""The governor: one weight and order budget for every caller that shares an IP or an account.

Rules, strategy and storage are separate (as in alisaifee/limits): the rules are
Binance's limiters (:class:`keysafe.spec.RateLimit`, from exchangeInfo), the strategy is
here (fixed windows aligned to the *server's* clock, a guard band at each boundary,
reserve before sending and settle from the response headers, priority lanes with
ageing, freezes on 429/418), and the storage (memory, SQLite, Redis) only has to apply
the reserve and settle steps atomically.

A request that may land on either side of a window boundary (clock uncertainty,
latency, the guard band) is charged to both windows, so neither can overflow.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from keysafe.errors import ConfigurationError, KeysafeError
from keysafe.governor.model import (
    HEADER_MAX,
    HEADER_SET,
    AcquireRequest,
    AcquireResult,
    Charge,
    SettleItem,
    Storage,
)
from keysafe.governor.lease import LeaseBook
from keysafe.governor.uri import storage_from_uri
from keysafe.governor.usage import LimitUsage, Usage
from keysafe.spec.endpoints import Lane
from keysafe.spec.limits import (
    DEFAULT_RATE_LIMITS,
    RateLimit,
    RateLimitType,
    rate_limits_from_exchange_info,
    rate_limits_to_exchange_info,
)

DEFAULT_GUARD_MS = 10.0
#: Weight pacing: at a fraction f of a window, at most f + DEFAULT_BURST of the limit is used,
#: so a program on the same IP that keysafe does not manage still finds room late in a window.
DEFAULT_BURST = 0.1
#: A settlement handed to the next acquire is written by itself after this long (seconds)
#: when no acquire comes (an idle caller), so the others see the corrected counts.
SETTLE_FLUSH_S = 0.005
#: the mark of a settlement that reserved nothing (a bare observation): no request counts as "later"
_NO_MARK = 2**53 - 1
_LIMITS_META = "limits"


class BudgetExhaustedError(KeysafeError):
    """The shared budget has no room now (or a 429/418 froze it); raised when on_limit="raise"."""

    def __init__(self, message: str, remedy: str = "", *, retry_after: float = 0.0, frozen: bool = False) -> None:
        self.retry_after = retry_after
        self.frozen = frozen
        super().__init__(message, remedy)


@dataclass(frozen=True, slots=True)
class Reservation:
    """What :meth:`Governor.try_acquire` reserved; hand it back to :meth:`Governor.settle`."""

    charges: tuple[Charge, ...]
    marks: tuple[int, ...]
    sent_ms: int  # server time when it was granted
    weight: int
    orders: int
    lease: object | None = None  # the local lease it was spent from (keysafe.governor.lease)

    @property
    def items(self) -> list[tuple[Charge, int, int]]:
        out, i = [], 0
        for ch in self.charges:
            for w in ch.windows:
                out.append((ch, w, self.marks[i] if i < len(self.marks) else 0))
                i += 1
        return out


@dataclass(frozen=True, slots=True)
class Wait:
    """No room yet: try again at ``until_ms`` (server time)."""

    until_ms: int
    frozen: bool = False


def ip_scope(ip: str | None) -> str:
    return f"ip:{ip or 'default'}"


def account_scope(account: str | None) -> str:
    return f"acct:{account or 'default'}"


class Governor:
    """Reserve before sending, settle after the response. Thread-safe; share one per process.

    ``storage`` is a Storage or a URI (``memory://``, ``sqlite:///PATH``, ``redis://HOST:PORT/DB``;
    None: the default SQLite file). ``limits`` defaults to the spec's; the client replaces
    them with exchangeInfo's at start (:meth:`set_limits`).
    """

    def __init__(
        self,
        storage: Storage | str | None = None,
        limits: Iterable[RateLimit] = DEFAULT_RATE_LIMITS,
        *,
        guard_ms: float = DEFAULT_GUARD_MS,
        burst: float = DEFAULT_BURST,
        on_notice: Callable[[str], None] | None = None,
        lease: bool = True,
    ) -> None:
        self.notices: list[str] = []
        self._on_notice = on_notice
        self.storage: Storage = (
            storage if storage is not None and not isinstance(storage, str)
            else storage_from_uri(storage, on_notice=self._notice)
        )
        self.guard_ms = float(guard_ms)
        if not 0 < burst <= 1:
            raise ConfigurationError(f"burst={burst} is not a fraction in (0, 1].",
                                     "Use 0.1 (the default pacing) or 1.0 to let a window be used at once.")
        self.burst = float(burst)
        self._limits: tuple[RateLimit, ...] = ()
        # settlements waiting for the next acquire's transaction (storages with settle_in_acquire)
        self._defer_settle = bool(getattr(self.storage, "settle_in_acquire", False))
        self._pending: list[SettleItem] = []
        self._pending_now = 0
        self._pending_cv = threading.Condition(threading.Lock())
        self._flusher: threading.Thread | None = None
        self._closed = False
        # local leases (keysafe.governor.lease) for storages shared by processes; lease=False: every
        # request goes to the shared storage
        self._leases = LeaseBook(self) if lease and getattr(self.storage, "local_lease", False) else None
        self.set_limits(limits)
        # Limits the caller did not choose are the spec's defaults until exchangeInfo says otherwise;
        # until then every acquire looks whether another process sharing the storage learnt them.
        self._limits_known = limits is not DEFAULT_RATE_LIMITS or not hasattr(self.storage, "get_meta")

    def _load_shared_limits(self) -> None:
        raw = self.storage.get_meta(_LIMITS_META)  # type: ignore[attr-defined]
        if not raw:
            return
        try:
            self.set_limits(rate_limits_from_exchange_info({"rateLimits": json.loads(raw)}))
        except (ValueError, TypeError, ConfigurationError):
            return  # unreadable: exchangeInfo will tell
        self._limits_known = True

    def _notice(self, message: str) -> None:
        self.notices.append(message)
        if self._on_notice is not None:
            self._on_notice(message)

    @classmethod
    def from_uri(cls, uri: str | None = None, **kw) -> Governor:
        return cls(uri, **kw)

    # ------------------------------------------------------------ rules

    @property
    def limits(self) -> tuple[RateLimit, ...]:
        return self._limits

    def set_limits(self, limits: Iterable[RateLimit]) -> None:
        limits = tuple(limits)
        if not limits:
            raise ConfigurationError("The governor was given no rate limits.", "Pass exchangeInfo's rateLimits.")
        leases = getattr(self, "_leases", None)
        if leases is not None:
            leases.retire_all(0)  # a slice leased under the old limits must not be spent under the new ones
        self._limits = limits
        # per limiter, computed once: (limit, kind, window ms, base suffix, lower-case usage header)
        self._plan = tuple(
            (lim, lim.type, max(1, int(lim.window_seconds * 1000)), f"|{lim.type}|{lim.suffix}|",
             lim.header.lower() if lim.header else None)
            for lim in limits
        )
        self._header_index = {}
        for lim, _type, _wms, mid, header in self._plan:
            if header is not None:
                self._header_index[header] = mid
                self._header_index[lim.header] = mid
        self._kinds: dict[str, tuple[RateLimitType, str]] = {}
        weight = [lim for lim in limits if lim.type is RateLimitType.REQUEST_WEIGHT]
        self.window_ms = int(min((w.window_seconds for w in weight), default=60) * 1000)

    def adopt_limits(self, limits: Iterable[RateLimit], *, now_ms: int, ip: str | None = None,
                     account: str | None = None, early_ms: float = 0.0, late_ms: float = 0.0) -> bool:
        """Switch to the server's limits (exchangeInfo); True when they differ from those in use.

        The limits are stored for the other processes sharing the storage: one that starts later
        governs its very first request by them. What was sent before under other limits
        (exchangeInfo itself, the clock samples, processes starting at the same moment) was
        counted in the old limits' windows, so the new windows know nothing of it: when the
        limits change, the request-weight window(s) a request sent now could land in are taken
        as full, and requests wait for the next window, the first one the new counters see whole
        (a start-up sends no orders, and a few raw requests do not matter). Unchanged limits
        (Binance's usual answer) cost nothing.
        """
        limits = tuple(limits)
        self._limits_known = True
        if {(lim.type, lim.window_seconds, lim.limit) for lim in limits} == \
                {(lim.type, lim.window_seconds, lim.limit) for lim in self._limits}:
            return False
        self.set_limits(limits)
        put = getattr(self.storage, "put_meta", None)
        if put is not None:  # the processes that start later govern their first requests by these
            put(_LIMITS_META, json.dumps(rate_limits_to_exchange_info(limits), separators=(",", ":")))
        charges = self.charges(ip=ip, account=account, weight=1, orders=0, now_ms=now_ms, early_ms=early_ms,
                               late_ms=late_ms)
        # "set", not "max": a full window, but not traffic of other programs to expect again later
        items = [SettleItem(ch.key(w), 0, 0, ch.limit, HEADER_SET, _NO_MARK, (w + 3) * ch.window_ms, now_ms)
                 for ch in charges if "|REQUEST_WEIGHT|" in ch.base for w in ch.windows]
        if items:
            self.storage.settle(items, now_ms)
        return True

    @property
    def weight_limit(self) -> RateLimit | None:
        return next((lim for lim in self._limits if lim.type is RateLimitType.REQUEST_WEIGHT), None)

    def charges(self, *, ip: str | None, account: str | None, weight: int, orders: int, now_ms: int,
                early_ms: float = 0.0, late_ms: float = 0.0) -> tuple[Charge, ...]:
        """The charges of one request sent at server time ``now_ms`` that may land up to
        ``early_ms`` before or ``late_ms`` after it (plus the guard band)."""
        lo = now_ms - early_ms - self.guard_ms
        hi = now_ms + late_ms + self.guard_ms
        out = []
        for lim, type_, wms, mid, _header in self._plan:
            if type_ is RateLimitType.REQUEST_WEIGHT:
                cost, scope = weight, ip_scope(ip)
            elif type_ is RateLimitType.RAW_REQUESTS:
                cost, scope = 1, ip_scope(ip)
            else:
                cost, scope = orders, account_scope(account)
            if cost <= 0:
                continue
            if cost > lim.limit:
                raise ConfigurationError(
                    f"A request costing {cost} can never fit the {lim.type} limit of {lim.limit} per "
                    f"{lim.human_interval}.",
                    "Split the request (e.g. a smaller limit= or fewer symbols).",
                )
            windows = tuple(range(int(lo // wms), int(hi // wms) + 1))
            burst = self.burst if type_ is RateLimitType.REQUEST_WEIGHT else 1.0
            out.append(Charge(f"{scope}{mid}{wms}", lim.limit, wms, cost, windows, burst))
        return tuple(out)

    # ------------------------------------------------------------ reserve

    def try_acquire(
        self,
        *,
        weight: int,
        now_ms: int,
        ip: str | None = None,
        account: str | None = None,
        orders: int = 0,
        lane: Lane | int = Lane.MARKET,
        claim_id: str | None = None,
        since_ms: int | None = None,
        early_ms: float = 0.0,
        late_ms: float = 0.0,
    ) -> Reservation | Wait:
        """Reserve now or say when to come back. Never blocks beyond the storage's own operation."""
        if not self._limits_known:
            self._load_shared_limits()
        leases = self._leases if not orders else None
        if leases is not None:
            got = leases.take(ip, weight, now_ms, early_ms, late_ms)
            if got is not None:
                return got
        charges = self.charges(ip=ip, account=account, weight=weight, orders=orders, now_ms=now_ms,
                               early_ms=early_ms, late_ms=late_ms)
        freeze_keys = (ip_scope(ip),) + ((account_scope(account),) if orders else ())
        request = AcquireRequest(
            now_ms=now_ms,
            charges=charges,
            freeze_keys=freeze_keys,
            claim_scope=ip_scope(ip),
            claim_id=claim_id or uuid.uuid4().hex,
            lane=int(lane),
            since_ms=since_ms if since_ms is not None else now_ms,
            aging_ms=self.window_ms,
            claim_ttl_ms=2 * self.window_ms + 2000,
            poll_ms=max(2, self.window_ms // 100),
        )
        if self._pending:
            with self._pending_cv:
                pending, self._pending = self._pending, []
            if pending:
                request = replace(request, settle_first=tuple(pending))
        if leases is not None:
            try:
                got, consumed = leases.open(ip, request, weight, now_ms, early_ms, late_ms)
            except BaseException:
                self._requeue(request)
                raise
            if got is not None:
                return got
            if consumed:
                request = replace(request, settle_first=())
        try:
            result: AcquireResult = self.storage.acquire(request)
        except BaseException:
            self._requeue(request)
            raise
        if result.granted:
            return Reservation(charges, result.marks, now_ms, weight, orders)
        until = result.wait_until_ms
        if not result.frozen:
            until = int(until + self.guard_ms + early_ms)
        return Wait(max(until, now_ms + 1), result.frozen)

    def acquire(
        self,
        *,
        weight: int,
        ip: str | None = None,
        account: str | None = None,
        orders: int = 0,
        lane: Lane | int = Lane.MARKET,
        now: Callable[[], int] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_limit: str = "wait",
        early_ms: float = 0.0,
        late_ms: float = 0.0,
        max_wait: float | None = None,
    ) -> Reservation:
        """Blocking acquire: waits (``on_limit="wait"``) or raises :class:`BudgetExhaustedError`."""
        now = now or (lambda: int(time.time() * 1000))
        claim_id = uuid.uuid4().hex
        since = now()
        while True:
            t = now()
            got = self.try_acquire(weight=weight, now_ms=t, ip=ip, account=account, orders=orders, lane=lane,
                                   claim_id=claim_id, since_ms=since, early_ms=early_ms, late_ms=late_ms)
            if isinstance(got, Reservation):
                return got
            delay = max(0.0, (got.until_ms - t) / 1000)
            if on_limit == "raise" or (max_wait is not None and (t - since) / 1000 + delay > max_wait):
                self.storage.release_claim(ip_scope(ip), claim_id)
                raise exhausted(delay, got.frozen)
            sleep(delay)

    def _requeue(self, request: AcquireRequest) -> None:
        if request.settle_first:
            with self._pending_cv:
                self._pending[:0] = request.settle_first

    def release(self, ip: str | None, claim_id: str) -> None:
        """Give up a place in the queue (a caller that stops waiting)."""
        self.storage.release_claim(ip_scope(ip), claim_id)

    # ------------------------------------------------------------ settle

    def settle(
        self,
        reservation: Reservation,
        *,
        actual_weight: int | None = None,
        orders_counted: bool = True,
        headers: Mapping[str, str] | None = None,
        arrival_ms: int | None = None,
        arrival_range: tuple[int, int] | None = None,
    ) -> None:
        """Replace the reservation by what the request really cost.

        ``actual_weight``: the weight charged (None: as reserved); ``orders_counted``: False
        when no order was created; ``headers``: the response's, whose X-MBX-* counts correct
        the local ones for the window the request landed in (``arrival_ms``, server time, or
        ``arrival_range``: the earliest and latest server time it may have been counted at; a
        header is used only when that range lies in one window, since a count attributed to the
        wrong window would be wrong twice).
        """
        header_values = self._header_values(headers)
        arrival = arrival_ms if arrival_ms is not None else reservation.sent_ms
        if reservation.lease is not None:
            assert self._leases is not None
            self._leases.settle(reservation, reservation.weight if actual_weight is None else actual_weight,
                                header_values, arrival_range if arrival_range is not None else (arrival, arrival))
            return
        seen = arrival_range[0] if arrival_range is not None else arrival
        items = []
        kinds = self._kinds
        for ch, w, mark in reservation.items:
            kind = kinds.get(ch.base)
            if kind is None:
                _scope, type_name, suffix, _wms = ch.base.split("|")
                kind = kinds[ch.base] = (RateLimitType(type_name), f"|{type_name}|{suffix}|")
            type_, mid = kind
            if type_ is RateLimitType.REQUEST_WEIGHT:
                actual = ch.cost if actual_weight is None else actual_weight
                mode = HEADER_MAX
            elif type_ is RateLimitType.ORDERS:
                actual = ch.cost if orders_counted else 0
                mode = HEADER_SET
            else:
                actual, mode = ch.cost, HEADER_MAX
            if arrival_range is not None:
                landed = arrival_range[0] // ch.window_ms == arrival_range[1] // ch.window_ms == w
            else:
                landed = arrival // ch.window_ms == w
            header = header_values.get(mid) if landed else None
            items.append(SettleItem(ch.key(w), ch.cost, actual, header, mode, mark, (w + 3) * ch.window_ms, seen))
        if items:
            self._submit(items, reservation.sent_ms)

    def _header_values(self, headers: Mapping[str, str] | None) -> dict[str, int]:
        header_values: dict[str, int] = {}
        if headers:
            index = self._header_index
            # one pass over the headers (httpx.Headers.get would scan them once per limiter)
            pairs = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
            for name, raw in pairs:
                mid = index.get(name) or index.get(name.lower())
                if mid is not None:
                    try:
                        header_values[mid] = int(raw)
                    except ValueError:
                        pass
        return header_values

    def _submit(self, items: list[SettleItem], now_ms: int) -> None:
        if not self._defer_settle:
            self.storage.settle(items, now_ms)
            return
        with self._pending_cv:
            if not self._pending:
                self._pending_at = time.monotonic()
            self._pending.extend(items)
            self._pending_now = max(self._pending_now, now_ms)
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_loop, name="keysafe-governor-settle",
                                                 daemon=True)
                self._flusher.start()
            elif self._flusher_idle:
                self._pending_cv.notify()

    _flusher_idle = False
    _pending_at = 0.0

    def flush(self, now_ms: int | None = None) -> None:
        """Write the settlements not yet handed to an acquire (usage, close and an idle caller), and
        end the local leases that have expired by ``now_ms`` (server time)."""
        if self._leases is not None and now_ms is not None:
            self._leases.retire_all(now_ms, expired_only=True)
        with self._pending_cv:
            pending, self._pending = self._pending, []
        if pending:
            self.storage.settle(pending, self._pending_now)

    def _flush_loop(self) -> None:
        cv = self._pending_cv
        while True:
            with cv:
                while not self._pending and not self._closed:
                    self._flusher_idle = True
                    cv.wait()
                self._flusher_idle = False
                if self._closed:
                    return
                due = self._pending_at + SETTLE_FLUSH_S - time.monotonic()
                if due > 0:
                    cv.wait(due)
                    continue
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the next acquire applies them, or the next flush
                time.sleep(SETTLE_FLUSH_S)

    def freeze(self, *, ip: str | None = None, account: str | None = None, until_ms: int) -> int:
        """Stop every caller of this IP (or, for -1015, this account's orders) until ``until_ms``."""
        key = account_scope(account) if account is not None else ip_scope(ip)
        if self._leases is not None and account is None:
            self._leases.drop(ip, int(time.time() * 1000))
        return self.storage.freeze(key, until_ms)

    def frozen_until(self, *, ip: str | None = None, account: str | None = None) -> int:
        keys = (ip_scope(ip),) + ((account_scope(account),) if account is not None else ())
        return self.storage.frozen_until(keys)

    # ------------------------------------------------------------ usage

    def usage(self, *, now_ms: int, ip: str | None = None, account: str | None = None) -> Usage:
        """The current window of every limiter, as counted in the shared storage."""
        self.flush(now_ms)
        keys: list[tuple[RateLimit, str]] = []
        for lim in self._limits:
            scope = account_scope(account) if lim.type is RateLimitType.ORDERS else ip_scope(ip)
            wms = max(1, int(lim.window_seconds * 1000))
            keys.append((lim, f"{scope}|{lim.type}|{lim.suffix}|{wms}|{now_ms // wms}"))
        counters = self.storage.counters([k for _lim, k in keys])
        frozen = self.frozen_until(ip=ip)
        return Usage(tuple(LimitUsage(lim, counters[k].used) for lim, k in keys),
                     frozen if frozen > now_ms else None)

    def reset(self) -> None:
        with self._pending_cv:
            self._pending = []
        self.storage.reset()

    def close(self) -> None:
        try:
            if self._leases is not None:
                self._leases.retire_all(0)
            self.flush()
        except KeysafeError:
            pass
        with self._pending_cv:
            self._closed = True
            self._pending_cv.notify_all()
        self.storage.close()

    def __repr__(self) -> str:
        return f"Governor({self.storage.uri!r})"


def exhausted(delay: float, frozen: bool) -> BudgetExhaustedError:
    if frozen:
        return BudgetExhaustedError(
            f"Binance froze this IP's budget (429/418); nothing may be sent for {delay:.2f} s.",
            "Wait for it (on_limit='wait') or retry after retry_after seconds.",
            retry_after=delay, frozen=True,
        )
    return BudgetExhaustedError(
        f"The shared rate-limit budget is used up for this window; room again in {delay:.2f} s.",
        "Wait (on_limit='wait', the default) or retry after retry_after seconds.",
        retry_after=delay,
    )
