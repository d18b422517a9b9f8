"""Detectors against seeded synthetic activity: recall and precision pinned, plus small unit cases."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from keysafe.events import ActivityEvent
from keysafe.monitor import ActivityStore, Monitor, MonitorConfig
from keysafe.monitor.config import FailureConfig, KeyInfo, RateConfig
from keysafe.monitor.detectors import (
    DETECTORS,
    AfterRetirement,
    FailureRise,
    NewSource,
    OutsideProfile,
    RateSpike,
    RejectedOrders,
    ScanContext,
    UnusualHours,
    WeightPressure,
)
from keysafe.monitor.synthetic import START, false_alerts, generate, score


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """Nothing a test does may touch the user's real keysafe data directory."""
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path / "keysafe-home"))


KINDS = tuple(d.name for d in DETECTORS)


def _scan(scn):
    store = ActivityStore(":memory:")
    store.add_events(scn.events)
    mon = Monitor(store, scn.config, sinks=[])
    alerts = mon.scan(scn.start, scn.end + 1)
    assert mon.detector_errors == {}
    return alerts


@pytest.fixture(scope="module", params=[7, 11])
def scanned(request):
    scn = generate(request.param, weeks=3)
    return scn, _scan(scn)


def test_every_kind_of_anomaly_is_labelled(scanned):
    scn, _ = scanned
    assert {a.kind for a in scn.anomalies} == set(KINDS)


def test_every_labelled_anomaly_is_found(scanned):
    scn, alerts = scanned
    scores = score(alerts, scn.anomalies, KINDS)
    missed = {k: (s.found, s.labelled) for k, s in scores.items() if s.recall < 1.0}
    assert missed == {}


def test_precision_of_each_detector(scanned):
    scn, alerts = scanned
    scores = score(alerts, scn.anomalies, KINDS)
    for kind, s in scores.items():
        assert s.alerts >= 1, kind
        assert s.precision >= 0.9, (kind, s)


def test_at_most_one_false_alert_per_key_week(scanned):
    scn, alerts = scanned
    wrong = false_alerts(alerts, scn.anomalies)
    per_key_week = Counter((a.key, int((a.first_time - scn.start) // (7 * 86400))) for a in wrong)
    assert all(n <= 1 for n in per_key_week.values()), [a.line() for a in wrong]


def test_normal_traffic_alone_stays_quiet():
    scn = generate(5, weeks=3, anomalies=False)
    alerts = _scan(scn)
    per_key_week = Counter((a.key, int((a.first_time - scn.start) // (7 * 86400))) for a in alerts)
    assert all(n <= 1 for n in per_key_week.values()), [a.line() for a in alerts]
    assert len(alerts) <= len(scn.bots) * scn.weeks


def test_alerts_carry_evidence_actions_and_one_line_summary(scanned):
    _, alerts = scanned
    for a in alerts:
        assert a.evidence and "\n" not in a.summary and a.actions
        assert all("time" in row and "path" in row for row in a.evidence)
    probing = [a for a in alerts if a.detector == "failure_rate" and a.summary.startswith("probing")]
    assert probing and all(a.severity == "critical" for a in probing)
    assert probing[0].actions[0].startswith("Revoke")


def test_rescanning_raises_nothing_twice(scanned):
    scn, _ = scanned
    store = ActivityStore(":memory:")
    store.add_events(scn.events)
    mon = Monitor(store, scn.config, sinks=[])
    first = mon.scan(scn.start, scn.end + 1)
    assert first and mon.scan(scn.start, scn.end + 1) == []


# ------------------------------------------------------------------ small unit cases

def ev(t, *, key="k1", label="bot", ip="10.0.0.1", method="GET", path="/api/v3/account", status=200, code=None,
       **kw) -> ActivityEvent:
    return ActivityEvent(time=t, method=method, path=path, environment="testnet", key_label=label,
                         key_fingerprint=key, status=status, error_code=code, client_ip=ip, host="h1", **kw)


def run(detector, events, config=None, start=None, end=None):
    store = ActivityStore(":memory:")
    store.add_events(events)
    lo = min(e.time for e in events)
    hi = max(e.time for e in events) + 1
    return detector.run(ScanContext(store, config or MonitorConfig(), lo if start is None else start,
                                    hi if end is None else end))


def test_new_ip_needs_a_learnt_key_first():
    early = [ev(START + i) for i in range(5)] + [ev(START + 10, ip="10.9.9.9")]
    assert run(NewSource(), early) == []
    learnt = [ev(START + i) for i in range(25)] + [ev(START + 30, ip="10.9.9.9")]
    (alert,) = run(NewSource(), learnt)
    assert "10.9.9.9" in alert.summary and alert.severity == "high"


def test_whitelist_accepts_cidr_and_flags_outsiders_at_once():
    cfg = MonitorConfig().with_key("bot", ip_whitelist=("10.0.0.0/24",))
    events = [ev(START), ev(START + 1, ip="10.0.0.77"), ev(START + 2, ip="172.16.0.1")]
    (alert,) = run(NewSource(), events, cfg)
    assert alert.severity == "critical" and "172.16.0.1" in alert.summary and "whitelist" in alert.summary


def test_probing_needs_a_burst_and_is_named():
    base = [ev(START + i * 10) for i in range(40)]
    one = base + [ev(START + 500, status=401, code=-2015)]
    assert run(FailureRise(), one) == []
    burst = base + [ev(START + 500 + i, status=401, code=c) for i, c in enumerate((-2015, -2015, -1022, -2014))]
    (alert,) = run(FailureRise(), burst)
    assert alert.summary.startswith("probing") and "-2015 (2)" in alert.summary


def test_thresholds_come_from_the_config():
    burst = [ev(START + i * 10) for i in range(40)] + [ev(START + 500 + i, status=401, code=-2015) for i in range(3)]
    assert run(FailureRise(), burst)
    strict = replace(MonitorConfig(), failures=FailureConfig(probing_min=5))
    assert run(FailureRise(), burst, strict) == []


def test_rate_spike_against_the_keys_own_baseline():
    cfg = replace(MonitorConfig(), rate=RateConfig(bucket_seconds=10, baseline_hours=0.1, factor=3, min_calls=20))
    steady = [ev(START + i) for i in range(0, 600, 2)]  # 5 per 10 s for 10 minutes
    assert run(RateSpike(), steady, cfg) == []
    spike = steady + [ev(START + 600 + i * 0.1, ip="10.6.6.6") for i in range(60)]
    (alert,) = run(RateSpike(), spike, cfg)
    assert "10.6.6.6" in alert.summary


def test_rejected_orders_repeated_and_large():
    orders = [ev(START + i, method="POST", path="/api/v3/order", notional="100.00", symbol="BTCUSDT")
              for i in range(10)]
    two = orders + [ev(START + 20 + i, method="POST", path="/api/v3/order", notional="100", status=400, code=-2010)
                    for i in range(2)]
    assert run(RejectedOrders(), two) == []
    large = orders + [ev(START + 30, method="POST", path="/api/v3/order", notional="5000", status=400, code=-2010)]
    (alert,) = run(RejectedOrders(), large)
    assert alert.severity == "critical" and "5000" in alert.summary and "50x" in alert.summary


def test_weight_near_limit_429_and_418():
    events = [ev(START, used_weight=100), ev(START + 1, used_weight=5000), ev(START + 2, status=429, code=-1003),
              ev(START + 3, status=418, code=-1003)]
    alerts = run(WeightPressure(), events)
    assert sorted(a.severity for a in alerts) == ["critical", "high", "warning"]


def test_withdrawal_on_a_trading_key_and_allowed_on_a_withdrawal_profile():
    events = [ev(START), ev(START + 1, method="POST", path="/sapi/v1/capital/withdraw/apply")]
    (alert,) = run(OutsideProfile(), events)
    assert alert.severity == "critical" and alert.summary.startswith("withdrawal attempt")
    allowed = MonitorConfig().with_key("k1", profile="withdrawal")
    assert run(OutsideProfile(), events, allowed) == []


def test_never_seen_hour_after_learning():
    days = [ev(START + d * 86400 + 9 * 3600 + m * 60) for d in range(8) for m in range(0, 60, 10)]
    assert run(UnusualHours(), days) == []
    night = days + [ev(START + 8 * 86400 + 2 * 3600)]
    (alert,) = run(UnusualHours(), night)
    assert "02:00-02:59 UTC" in alert.summary and "09" in alert.summary


def test_use_after_retirement():
    cfg = MonitorConfig().with_key("bot", retired_at=START + 100)
    assert run(AfterRetirement(), [ev(START), ev(START + 50)], cfg) == []
    (alert,) = run(AfterRetirement(), [ev(START), ev(START + 150, ip="10.7.7.7")], cfg)
    assert alert.severity == "critical" and "10.7.7.7" in alert.summary
    gone = MonitorConfig().with_key("k1", deleted_at=START + 100)
    assert "deleted" in run(AfterRetirement(), [ev(START + 150)], gone)[0].summary


def test_key_info_by_label_or_fingerprint():
    cfg = MonitorConfig().with_key("bot", profile="read-only")
    assert cfg.key_info("k1", "bot").profile == "read-only"
    assert cfg.key_info("k1", None) == KeyInfo()
