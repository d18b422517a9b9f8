"""`keysafe monitor watch|alerts|import` and `keysafe report`: the activity monitor's commands."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import click
from rich.console import Group
from rich.live import Live
from rich.table import Table

from keysafe.cli._common import console, err_console
from keysafe.monitor import ActivityStore, Monitor, import_file, load_config
from keysafe.monitor.alerts import Dispatcher, JsonlSink, WebhookSink
from keysafe.monitor.engine import sinks_from_config
from keysafe.monitor.report import parse_since, render_html, summarize

_SEV = {"info": "cyan", "warning": "yellow", "high": "bold red", "critical": "bold white on red"}


def _ts(t: float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime(fmt) if t else "-"


def _open(db: str | None) -> ActivityStore:
    return ActivityStore(db)


db_option = click.option("--db", type=click.Path(dir_okay=False), default=None,
                         help="Activity database (default: $KEYSAFE_HOME/activity.sqlite3).")
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                             help="Monitor settings (default: $KEYSAFE_HOME/monitor.toml).")


@click.group("monitor")
def monitor_group() -> None:
    """Activity log, detectors for the signs of a stolen key, and alerts."""


def _alerts_table(alerts: list[dict], title: str = "Alerts") -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    for col in ("severity", "when (UTC)", "key", "what"):
        table.add_column(col, overflow="fold")
    for a in alerts:
        sev = a["severity"]
        table.add_row(f"[{_SEV[sev]}]{sev}[/]", _ts(a["first_time"] or a["time"]), a["key_label"] or a["key"],
                      a["summary"])
    return table


@monitor_group.command("alerts")
@click.option("--since", default="7d", show_default=True, help="Period: 7d, 12h, 30m or an ISO time.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert, for scripts.")
@click.option("--scan/--no-scan", default=True, show_default=True,
              help="Run the detectors over the period first, so imported activity is reviewed too.")
@db_option
@config_option
def alerts_command(since: str, as_json: bool, scan: bool, db: str | None, config_path: str | None) -> None:
    """List the alerts raised in a period (default: the last 7 days)."""
    start = parse_since(since)
    store = _open(db)
    if scan:
        Monitor(store, load_config(config_path), sinks=[]).scan(start, None)
    alerts = [a for a in store.alerts(None) if (a["last_time"] or a["time"]) >= start]
    if as_json:
        for a in alerts:
            click.echo(json.dumps(a, default=str, sort_keys=True))
        return
    if not alerts:
        console.print(f"[green]No alert since {_ts(start)} UTC.[/] ({store.count('time >= ?', (start,))} calls reviewed)")
        return
    console.print(_alerts_table(alerts, f"{len(alerts)} alert(s) since {_ts(start)} UTC"))
    serious = [a for a in alerts if a["severity"] in ("high", "critical")]
    if serious:
        console.print("\n[bold]What to do[/] (for the most serious):")
        worst = max(serious, key=lambda a: ("warning", "high", "critical").index(a["severity"]))
        for action in worst["actions"]:
            console.print(f"  → {action}", markup=False)


@monitor_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--source", default=None, help="Name recorded as the rows' source (default: import:FILENAME).")
@click.option("--scan/--no-scan", default=True, show_default=True, help="Run the detectors over what was imported.")
@db_option
@config_option
def import_command(files: tuple[str, ...], source: str | None, scan: bool, db: str | None,
                   config_path: str | None) -> None:
    """Load JSON-lines activity: the sandbox's request record or another host's event export."""
    store = _open(db)
    bad = 0
    for name in files:
        with err_console.status(f"importing {name} ..."):
            result = import_file(store, name, source=source)
        dup = f", {result.duplicates} already present" if result.duplicates else ""
        console.print(f"{name}: [green]{result.imported}[/] call(s) imported from {result.lines} line(s){dup}"
                      + (f", [red]{len(result.errors)} line(s) skipped[/]" if result.errors else ""), soft_wrap=True)
        for line in result.error_lines()[:20]:
            err_console.print(f"  {line}", markup=False, soft_wrap=True)
        if len(result.errors) > 20:
            err_console.print(f"  ... and {len(result.errors) - 20} more malformed line(s)")
        bad += len(result.errors)
    if scan:
        new = Monitor(store, load_config(config_path), sinks=[]).scan()
        if new:
            console.print(_alerts_table([_as_dict(a) for a in new], f"{len(new)} new alert(s)"))
        else:
            console.print("No new alert.")
    if bad:
        raise SystemExit(1)


def _as_dict(alert) -> dict:  # noqa: ANN001
    return {"severity": alert.severity, "first_time": alert.first_time, "time": alert.time,
            "key_label": alert.key_label, "key": alert.key, "summary": alert.summary}


@monitor_group.command("watch")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between refreshes.")
@click.option("--rows", default=15, show_default=True, help="Recent calls shown.")
@click.option("--once", is_flag=True, help="Review and draw once, then exit (for scripts).")
@db_option
@config_option
def watch_command(interval: float, rows: int, once: bool, db: str | None, config_path: str | None) -> None:
    """Live view of the calls your bots make and the alerts they raise (Ctrl-C to stop)."""
    store = _open(db)
    config = load_config(config_path)
    sinks = [s for s in sinks_from_config(config, console=False) if isinstance(s, (JsonlSink, WebhookSink))]
    monitor = Monitor(store, config, sinks=Dispatcher(sinks))
    started = time.time()

    def frame() -> Group:
        monitor.check()
        calls = store.rows("1", (), limit=rows, order="time DESC, id DESC")[::-1]
        table = Table(title=f"Recent calls · {store.count()} recorded", title_justify="left")
        for col in ("time (UTC)", "key", "bot", "source", "call", "status", "weight"):
            table.add_column(col, overflow="fold")
        for r in calls:
            failed = (r["status"] or 0) >= 400
            status = f"{r['status'] or '-'}" + (f" {r['error_code']}" if r["error_code"] else "")
            table.add_row(_ts(r["time"], "%H:%M:%S"), r["key_label"] or r["key"], r["bot"] or "-",
                          r["client_ip"] or r["host"] or "-", f"{r['method']} {r['path']}",
                          f"[red]{status}[/]" if failed else status, str(r["used_weight"] or r["weight"] or ""))
        recent = [a for a in store.alerts(started - 3600)][-10:]
        parts = [table, _alerts_table(recent, f"Alerts (last hour) · {len(recent)}") if recent
                 else "[green]No alert in the last hour.[/]"]
        if monitor.dispatcher.last_error:
            parts.append(f"[yellow]{monitor.dispatcher.last_error}[/]")
        return Group(*parts)

    if once:
        console.print(frame())
        return
    try:
        with Live(frame(), console=console.get(), refresh_per_second=4, screen=False) as live:
            while True:
                time.sleep(interval)
                live.update(frame())
    except KeyboardInterrupt:
        console.print("stopped.")


@click.command("report")
@click.option("--since", default="7d", show_default=True, help="Period: 7d, 12h, 30m or an ISO time.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default=None,
              help="Write the review with charts to this self-contained HTML file.")
@db_option
@config_option
def report_command(since: str, html_path: str | None, db: str | None, config_path: str | None) -> None:
    """The weekly review: per key, calls, failures, weight, sources and alerts."""
    start = parse_since(since)
    end = time.time() + 1
    store = _open(db)
    config = load_config(config_path)
    with err_console.status("reviewing activity ..."):
        Monitor(store, config, sinks=[]).scan(start, end)
    keys = summarize(store, start, end)
    table = Table(title=f"Activity since {_ts(start)} UTC", title_justify="left")
    for col in ("key", "calls", "failed", "peak weight", "orders", "sources", "alerts"):
        table.add_column(col, overflow="fold")
    for k in keys:
        worst = max((a["severity"] for a in k.alerts), key=("info", "warning", "high", "critical").index, default=None)
        table.add_row(k.name, str(k.calls), f"{k.failed} ({k.error_rate:.1%})", str(k.peak_weight or "-"),
                      str(k.orders), ", ".join(list(k.sources)[:3]) or ", ".join(k.hosts) or "-",
                      f"[{_SEV[worst]}]{len(k.alerts)} ({worst})[/]" if worst else "0")
    console.print(table if keys else "No activity recorded in this period.")
    if html_path:
        with err_console.status("drawing charts ..."):
            text = render_html(store, start, end, config)
        Path(html_path).write_text(text, encoding="utf-8")
        console.print(f"Report written to {html_path} (self-contained; open it in any browser, offline).",
                      soft_wrap=True)
