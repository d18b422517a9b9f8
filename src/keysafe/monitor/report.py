"""The weekly review of the seed article, per key, as one self-contained HTML file.

For every key active in the period: calls over time, weight used against the limit, error
rate, and where the calls came from (charts drawn with matplotlib, Agg backend, embedded as
inline SVG: the file opens offline and references nothing outside itself), then the alerts
of the period with the emergency actions that fit.
"""

from __future__ import annotations

import html
import io
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from keysafe.monitor.alerts import ALL_ACTIONS
from keysafe.monitor.config import MonitorConfig
from keysafe.monitor.detectors.base import FAILED_SQL
from keysafe.monitor.store import NO_KEY, ActivityStore

_STEPS = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400)


@dataclass
class KeySummary:
    key: str
    label: str | None
    calls: int
    failed: int
    peak_weight: int | None
    orders: int
    sources: dict[str, int]
    hosts: dict[str, int]
    bots: dict[str, int]
    first: float
    last: float
    alerts: list[dict[str, Any]] = field(default_factory=list)
    series: list[tuple[float, int, int, int | None]] = field(default_factory=list)  # t, calls, failed, max weight
    step: int = 3600

    @property
    def name(self) -> str:
        return self.label or self.key

    @property
    def error_rate(self) -> float:
        return self.failed / self.calls if self.calls else 0.0


def parse_since(text: str, now: float | None = None) -> float:
    """``7d``, ``12h``, ``30m``, ``90s``, or an ISO 8601 time, to epoch seconds."""
    from keysafe.errors import ConfigurationError
    from keysafe.monitor.config import parse_time

    now = time.time() if now is None else now
    t = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    if t and t[-1] in units and t[:-1].replace(".", "", 1).isdigit():
        return now - float(t[:-1]) * units[t[-1]]
    try:
        return parse_time(text.strip(), "--since")
    except ValueError:
        raise ConfigurationError(f"--since {text!r} is neither a duration nor a time.",
                                 "Use a duration like 7d, 12h, 30m or a time like 2026-05-01T00:00:00Z.") from None


def _step(span: float) -> int:
    for s in _STEPS:
        if span / s <= 200:
            return s
    return _STEPS[-1]


def summarize(store: ActivityStore, start: float, end: float) -> list[KeySummary]:
    rows = store.query(
        f"SELECT key, COUNT(*), SUM(CASE WHEN {FAILED_SQL} THEN 1 ELSE 0 END), MAX(used_weight), "
        "SUM(CASE WHEN notional IS NOT NULL THEN 1 ELSE 0 END), MIN(time), MAX(time) FROM calls "
        "WHERE time >= ? AND time < ? GROUP BY key ORDER BY COUNT(*) DESC", (start, end))
    step = _step(max(end - start, 1))
    alerts = store.alerts(None)
    out = []
    for key, n, failed, peak, orders, t0, t1 in rows:
        where = "key = ? AND time >= ? AND time < ?"
        params = (key, start, end)

        def counts(col: str) -> dict[str, int]:
            return {str(v): c for v, c in store.query(
                f"SELECT {col}, COUNT(*) FROM calls WHERE {where} AND {col} IS NOT NULL GROUP BY {col} "
                "ORDER BY COUNT(*) DESC", params)}

        label = store.query("SELECT key_label FROM calls WHERE key = ? AND key_label IS NOT NULL "
                            "ORDER BY time DESC LIMIT 1", (key,))
        series = [(b * step, c, f, w) for b, c, f, w in store.query(
            f"SELECT CAST(time / ? AS INTEGER) AS b, COUNT(*), SUM(CASE WHEN {FAILED_SQL} THEN 1 ELSE 0 END), "
            f"MAX(used_weight) FROM calls WHERE {where} GROUP BY b ORDER BY b", (step, *params))]
        mine = [a for a in alerts if a["key"] == key and (a["last_time"] or a["time"]) >= start
                and (a["first_time"] or a["time"]) < end]
        out.append(KeySummary(key, label[0][0] if label else None, n, failed or 0, peak, orders or 0,
                              counts("client_ip"), counts("host"), counts("bot"), t0, t1, mine, series, step))
    return out


def _chart(s: KeySummary, limit: int) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["svg.hashsalt"] = "keysafe"
    times = [datetime.fromtimestamp(t, timezone.utc) for t, *_ in s.series]
    calls = [c for _, c, _, _ in s.series]
    errors = [(f / c if c else 0.0) * 100 for _, c, f, _ in s.series]
    weight = [w if w is not None else 0 for *_, w in s.series]
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import ScalarFormatter

    few = len(times) <= 3  # a line of one or two points is invisible: show the points
    style = {"drawstyle": "steps-post", "marker": "o" if few else None, "markersize": 4}
    fig, axes = plt.subplots(2, 2, figsize=(11, 5.6))
    ax = axes[0][0]
    ax.plot(times, calls, color="#1f77b4", **style)
    ax.set_title("Calls over time")
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"calls per {_human(s.step)}")
    ax = axes[0][1]
    ax.plot(times, weight, color="#9467bd", label="used weight (max)", **style)
    ax.axhline(limit, color="#d62728", linestyle="--", label=f"limit {limit}/min")
    ax.set_ylim(0, max(limit * 1.1, max(weight, default=0) * 1.1))
    ax.set_title("Weight used against the limit")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[1][0]
    ax.plot(times, errors, color="#ff7f0e", **style)
    ax.set_ylim(0, 100)
    ax.set_title("Error rate")
    ax.set_ylabel("% of calls failed")
    ax = axes[1][1]
    sources = {**{f"IP {k}": v for k, v in s.sources.items()}} or {f"host {k}": v for k, v in s.hosts.items()}
    names = list(sources)[:8]
    bars = ax.barh(names[::-1], [sources[n] for n in names][::-1], color="#2ca02c")
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.set_xscale("symlog")  # a handful of calls from a stranger stays visible next to thousands
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_title("Sources (calls)")
    if times:
        pad = timedelta(seconds=s.step)
        span = (times[0] - pad, times[-1] + pad)
    for a in (axes[0][0], axes[0][1], axes[1][0]):
        locator = AutoDateLocator()
        a.xaxis.set_major_locator(locator)
        a.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        if times:
            a.set_xlim(*span)
        a.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE (external DTD reference)


def _human(step: int) -> str:
    for unit, n in (("day", 86400), ("h", 3600), ("min", 60)):
        if step % n == 0:
            return f"{step // n} {unit}" if step != n else unit
    return f"{step} s"


def _ts(t: float | None) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if t else "-"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{margin-bottom:.2em} .muted{color:#666} table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;font-size:.92em}
.sev-critical{background:#b00020;color:#fff} .sev-high{background:#e53935;color:#fff}
.sev-warning{background:#ffb300} .sev-info{background:#90caf9}
.badge{padding:.1em .5em;border-radius:.3em;font-weight:600;font-size:.85em}
section.key{border-top:2px solid #eee;margin-top:2em;padding-top:1em} svg{max-width:100%;height:auto}
.ok{color:#2e7d32;font-weight:600}
"""


def render_html(store: ActivityStore, start: float, end: float, config: MonitorConfig | None = None) -> str:
    config = config or MonitorConfig()
    keys = summarize(store, start, end)
    e = html.escape
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>keysafe weekly review</title>"
           f"<style>{_CSS}</style></head><body>",
           "<h1>keysafe weekly review</h1>",
           f"<p class='muted'>{e(_ts(start))} to {e(_ts(end))} · generated {e(_ts(time.time()))} · "
           f"{len(keys)} key(s)</p>"]
    total_alerts = sum(len(k.alerts) for k in keys)
    serious = [a for k in keys for a in k.alerts if a["severity"] in ("critical", "high")]
    if serious:
        out.append("<h2>Emergency actions</h2><p>Serious alerts were raised this period. The seed article's "
                   "emergency actions:</p><ol>" + "".join(f"<li>{e(a)}</li>" for a in ALL_ACTIONS) + "</ol>")
    elif keys:
        out.append(f"<p class='ok'>No serious alert this period ({total_alerts} minor).</p>")
    out.append("<h2>Keys</h2><table><tr><th>key</th><th>calls</th><th>failed</th><th>peak weight</th>"
               "<th>orders</th><th>IPs</th><th>hosts</th><th>alerts</th><th>last call</th></tr>")
    for k in keys:
        if k.key == NO_KEY:
            continue
        out.append(f"<tr><td><a href='#k-{e(k.key)}'>{e(k.name)}</a></td><td>{k.calls}</td>"
                   f"<td>{k.failed} ({k.error_rate:.1%})</td><td>{k.peak_weight or '-'}</td><td>{k.orders}</td>"
                   f"<td>{e(', '.join(k.sources) or '-')}</td><td>{e(', '.join(k.hosts) or '-')}</td>"
                   f"<td>{len(k.alerts)}</td><td>{e(_ts(k.last))}</td></tr>")
    out.append("</table>")
    for k in keys:
        if k.key == NO_KEY:
            continue
        out.append(f"<section class='key' id='k-{e(k.key)}'><h2>{e(k.name)}</h2>"
                   f"<p class='muted'>fingerprint {e(k.key)} · bots {e(', '.join(k.bots) or '-')} · "
                   f"{k.calls} calls, {k.error_rate:.1%} failed</p>")
        out.append(_chart(k, config.weight.limit))
        if k.alerts:
            out.append("<h3>Alerts</h3><table><tr><th>severity</th><th>when</th><th>what</th><th>do</th></tr>")
            for a in k.alerts:
                out.append(f"<tr><td><span class='badge sev-{e(a['severity'])}'>{e(a['severity'])}</span></td>"
                           f"<td>{e(_ts(a['first_time']))}</td><td>{e(a['summary'])}</td>"
                           f"<td>{'<br>'.join(e(x) for x in a['actions'])}</td></tr>")
            out.append("</table>")
        else:
            out.append("<p class='ok'>No alert for this key.</p>")
        out.append("</section>")
    if not keys:
        out.append("<p>No activity recorded in this period. Attach the monitor to your client "
                   "(<code>keysafe.monitor.attach(client)</code>) or import activity "
                   "(<code>keysafe monitor import FILE</code>).</p>")
    out.append("</body></html>")
    return "\n".join(out)
