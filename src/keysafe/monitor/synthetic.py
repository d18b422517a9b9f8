"""Seeded synthetic activity: several keys over several weeks, with labelled anomalies.

Used by the tests (precision and recall of every detector), the benchmark (a million
events) and the demo. Normal traffic is what a steady bot does: market data, account
reads, a share of orders with a usual notional, a low background of harmless errors,
at the key's usual hours, from its usual IPs. Each :class:`Anomaly` says which detector
should catch it.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from keysafe.events import ActivityEvent
from keysafe.monitor.config import KeyInfo, MonitorConfig

START = 1772409600.0  # 2026-03-02 00:00 UTC, a Monday


@dataclass(frozen=True)
class BotProfile:
    label: str
    ips: tuple[str, ...]
    hours: tuple[int, int] = (0, 24)  # active from, until (UTC)
    per_minute: float = 1.5
    order_share: float = 0.15
    usual_notional: int = 100
    trading: bool = True
    hourly_burst: int = 0  # a rebalance burst at the top of every active hour
    host: str = "bot-server"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"synthetic:{self.label}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Anomaly:
    kind: str  # the detector that must catch it
    key: str  # fingerprint
    label: str
    start: float
    end: float
    note: str


@dataclass
class Scenario:
    events: list[ActivityEvent]
    anomalies: list[Anomaly]
    config: MonitorConfig
    bots: tuple[BotProfile, ...]
    start: float
    end: float
    weeks: int
    counts: dict[str, int] = field(default_factory=dict)


DEFAULT_BOTS = (
    BotProfile("grid-bot", ("203.0.113.10",), per_minute=1.5, hourly_burst=12),
    BotProfile("dca-bot", ("203.0.113.20", "203.0.113.21"), hours=(7, 21), per_minute=2.0, usual_notional=250),
    BotProfile("portfolio", ("198.51.100.5",), per_minute=0.5, trading=False, host="laptop"),
    BotProfile("old-bot", ("203.0.113.30",), per_minute=1.0, usual_notional=40),
)

_MARKET = (("GET", "/api/v3/ticker/price", 2), ("GET", "/api/v3/depth", 5), ("GET", "/api/v3/klines", 2))
_ACCOUNT = (("GET", "/api/v3/account", 20), ("GET", "/api/v3/openOrders", 6))
_BENIGN_ERRORS = ((400, -1013), (400, -1021), (400, -2011), (400, -1022))
_ATTACKER = "192.0.2.6"


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.events: list[ActivityEvent] = []

    def call(self, bot: BotProfile, t: float, *, ip: str | None = None, method: str | None = None,
             path: str | None = None, status: int = 200, code: int | None = None, notional: str | None = None,
             used: int | None = None, host: str | None = None, order: bool | None = None) -> None:
        rng = self.rng
        weight = 1
        symbol = side = qty = price = None
        if method is None:
            if order if order is not None else (bot.trading and rng.random() < bot.order_share):
                method, path = "POST", "/api/v3/order"
            else:
                method, path, weight = rng.choice(_MARKET if rng.random() < 0.7 else _ACCOUNT)
        if path == "/api/v3/order" and method == "POST":
            symbol, side = "BTCUSDT", rng.choice(("BUY", "SELL"))
            value = notional or str(Decimal(bot.usual_notional * math.exp(rng.gauss(0, 0.3))).quantize(Decimal("0.01")))
            price = "60000.00"
            qty = str((Decimal(value) / Decimal(price)).quantize(Decimal("0.00001")))
            notional, weight = value, 1
        if status == 200 and code is None and rng.random() < 0.004:
            status, code = rng.choice(_BENIGN_ERRORS)
        outcome = "ok" if status < 400 else ("unknown" if status >= 500 else "error")
        self.events.append(ActivityEvent(
            time=t, method=method, path=path or "/api/v3/ping", environment="production", key_label=bot.label,
            key_fingerprint=bot.fingerprint, weight=weight, status=status, error_code=code, outcome=outcome,
            latency_ms=round(rng.uniform(8, 40), 1), used_weight=used if used is not None else rng.randint(50, 2500),
            host=host or bot.host, pid=1000 + len(bot.label), bot=bot.label, client_ip=ip or rng.choice(bot.ips),
            symbol=symbol, side=side, order_type="LIMIT" if symbol else None, quantity=qty, price=price,
            notional=notional))


def _active(bot: BotProfile, t: float) -> bool:
    h = int((t % 86400) // 3600)
    return bot.hours[0] <= h < bot.hours[1]


def normal_traffic(gen: _Gen, bot: BotProfile, start: float, end: float) -> None:
    rng = gen.rng
    t = start
    lam = bot.per_minute / 60.0
    while True:
        t += rng.expovariate(lam)
        if t >= end:
            break
        if _active(bot, t):
            gen.call(bot, t)
    if bot.hourly_burst:
        for hour in range(int(start // 3600), int(end // 3600)):
            t0 = hour * 3600 + 5
            if _active(bot, t0):
                for i in range(bot.hourly_burst + rng.randint(-2, 2)):
                    gen.call(bot, t0 + i * 2.5, method="GET", path="/api/v3/ticker/price")


def generate(seed: int = 7, *, weeks: int = 3, bots: tuple[BotProfile, ...] = DEFAULT_BOTS,
             anomalies: bool = True, start: float = START) -> Scenario:
    """A seeded scenario. With ``anomalies``, every kind is injected after the first week."""
    gen = _Gen(seed)
    end = start + weeks * 7 * 86400
    by = {b.label: b for b in bots}
    retired_at = start + 14 * 86400 if "old-bot" in by and weeks >= 3 else None
    for bot in bots:
        normal_traffic(gen, bot, start, retired_at if bot.label == "old-bot" and retired_at else end)
    labelled: list[Anomaly] = []
    config = MonitorConfig().with_key(by["portfolio"].fingerprint, profile="read-only") if "portfolio" in by else \
        MonitorConfig()
    if "grid-bot" in by:
        config = config.with_key("grid-bot", ip_whitelist=("203.0.113.0/28",))
    if retired_at:
        config = config.with_key("old-bot", retired_at=retired_at)
    if anomalies:
        labelled = _inject(gen, by, start, weeks, retired_at)
    gen.events.sort(key=lambda e: e.time)
    return Scenario(gen.events, labelled, config, bots, start, end, weeks)


def _inject(gen: _Gen, by: dict[str, BotProfile], start: float, weeks: int, retired_at: float | None) -> list[Anomaly]:
    rng = gen.rng
    out: list[Anomaly] = []
    day = 86400

    def at(week: int, d: int, hour: float) -> float:
        return start + (week * 7 + d) * day + hour * 3600 + rng.uniform(0, 600)

    def mark(kind: str, bot: BotProfile, t0: float, t1: float, note: str) -> None:
        out.append(Anomaly(kind, bot.fingerprint, bot.label, t0, t1, note))

    grid, dca, folio = by["grid-bot"], by["dca-bot"], by["portfolio"]
    for week in range(1, weeks):
        # 1. call-rate spike from the usual IP: 400 calls in ~2 minutes
        t = at(week, 1, 10.5)
        for i in range(400):
            gen.call(dca, t + i * 0.3, method="GET", path="/api/v3/ticker/price")
        mark("rate_spike", dca, t, t + 120, "400 calls in 2 min")
        # 2. unfamiliar IP, successful calls
        t = at(week, 2, 12.5)
        for i in range(6):
            gen.call(dca, t + i * 20, ip=f"192.0.2.{10 + week}", method="GET", path="/api/v3/account")
        mark("new_source", dca, t, t + 120, "new IP")
        # 3. outside the whitelist
        t = at(week, 2, 15.5)
        gen.call(grid, t, ip=f"198.18.0.{week}", method="GET", path="/api/v3/account")
        mark("new_source", grid, t, t, "outside whitelist")
        # 4. probing: -2015 / -1022 / -2014 burst from the attacker's IP
        t = at(week, 3, 9.5)
        for i in range(15):
            status, code = rng.choice(((401, -2015), (400, -1022), (401, -2014)))
            gen.call(grid, t + i * 4, ip=f"{_ATTACKER}{week}", method=rng.choice(("GET", "POST")),
                     path=rng.choice(("/api/v3/account", "/api/v3/order", "/sapi/v1/account/apiRestrictions")),
                     status=status, code=code)
        mark("failure_rate", grid, t, t + 60, "probing")
        mark("new_source", grid, t, t + 60, "attacker IP")
        # 5. failure-rate rise without probing codes (from the usual IP)
        t = at(week, 3, 16.5)
        for i in range(25):
            gen.call(dca, t + i * 6, method="POST", path="/api/v3/order", status=400, code=-1013, order=True)
        mark("failure_rate", dca, t, t + 150, "failure rise")
        # 6. repeated rejected orders, -2010
        t = at(week, 4, 11.5)
        for i in range(5):
            gen.call(grid, t + i * 30, order=True, status=400, code=-2010)
        mark("rejected_orders", grid, t, t + 150, "repeated -2010")
        # 7. one large rejected order
        t = at(week, 4, 14.5)
        gen.call(dca, t, order=True, status=400, code=-2010, notional=str(dca.usual_notional * 60))
        mark("rejected_orders", dca, t, t, "large -2010")
        # 8. weight: near the limit, a 429, a 418
        t = at(week, 5, 8.5)
        for i in range(3):
            gen.call(grid, t + i, used=5600 + i * 100, method="GET", path="/api/v3/depth")
        gen.call(grid, t + 5, status=429, code=-1003, used=6100, method="GET", path="/api/v3/depth")
        gen.call(grid, t + 9, status=418, code=-1003, used=6100, method="GET", path="/api/v3/depth")
        mark("weight", grid, t, t + 9, "near limit, 429, 418")
        # 9. outside the profile: a withdrawal on a trading key, an order on a read-only key
        t = at(week, 5, 13.5)
        gen.call(dca, t, method="POST", path="/sapi/v1/capital/withdraw/apply", status=401, code=-2015)
        mark("outside_profile", dca, t, t, "withdrawal on a trading key")
        t = at(week, 5, 17.5)
        gen.call(folio, t, order=True)
        mark("outside_profile", folio, t, t, "order on a read-only key")
        # 10. never-seen hour: dca-bot runs 07-21 UTC; calls at 03:xx
        t = at(week, 6, 2.2 + week)
        for i in range(3):
            gen.call(dca, t + i * 60, method="GET", path="/api/v3/account")
        mark("unusual_hours", dca, t, t + 120, "night hours")
        # 11. use after retirement
        if retired_at and start + (week * 7 + 6) * day > retired_at:
            old = by["old-bot"]
            t = at(week, 6, 12.5)
            gen.call(old, t, method="GET", path="/api/v3/account")
            mark("after_retirement", old, t, t, "retired key used")
    return out


# --------------------------------------------------------------------- scoring


@dataclass
class Score:
    kind: str
    found: int
    labelled: int
    true_alerts: int
    alerts: int

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 1.0


def _matches(alert, a: Anomaly, slack: float) -> bool:  # noqa: ANN001 - an Alert
    return alert.key == a.key and alert.first_time <= a.end + slack and alert.last_time >= a.start - slack


def score(alerts: list, anomalies: list[Anomaly], kinds: tuple[str, ...], slack: float = 900.0) -> dict[str, Score]:
    """Recall (labelled anomalies of each kind found by that detector) and precision (alerts of
    each detector that correspond to some labelled anomaly)."""
    out = {}
    for kind in kinds:
        mine = [al for al in alerts if al.detector == kind]
        labelled = [a for a in anomalies if a.kind == kind]
        found = sum(1 for a in labelled if any(_matches(al, a, slack) for al in mine))
        true = sum(1 for al in mine if any(_matches(al, a, slack) for a in anomalies))
        out[kind] = Score(kind, found, len(labelled), true, len(mine))
    return out


def false_alerts(alerts: list, anomalies: list[Anomaly], slack: float = 900.0) -> list:
    return [al for al in alerts if not any(_matches(al, a, slack) for a in anomalies)]


def key_info_for(scn: Scenario, label: str) -> KeyInfo:
    return scn.config.key_info(label)
