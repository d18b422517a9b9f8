"""The weekly report (self-contained HTML with charts), the CLI commands and the TOML settings."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from keysafe.cli import cli
from keysafe.errors import ConfigurationError
from keysafe.events import ActivityEvent
from keysafe.monitor import ActivityStore, Monitor, load_config
from keysafe.monitor.report import parse_since, render_html
from keysafe.monitor.synthetic import generate


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """Nothing a test does may touch the user's real keysafe data directory."""
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path / "keysafe-home"))


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    scn = generate(3, weeks=2)
    db = tmp_path_factory.mktemp("r") / "a.db"
    store = ActivityStore(db)
    store.add_events(scn.events)
    Monitor(store, scn.config, sinks=[]).scan()
    return scn, store, db


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href") and value and not value.startswith(("#", "data:")):
                self.external.append(value)
            if tag == "link":
                self.external.append(str(attrs))


def test_report_is_self_contained_with_charts_per_key(week):
    scn, store, _ = week
    text = render_html(store, scn.end - 7 * 86400, scn.end)
    refs = _Refs()
    refs.feed(text)
    assert refs.external == [] and "script" not in refs.tags
    assert text.count("<svg") == len(scn.bots)
    for title in ("Calls over time", "Weight used against the limit", "Error rate", "Sources (calls)"):
        assert text.count(title) == len(scn.bots)
    for bot in scn.bots:
        assert f"<h2>{bot.label}</h2>" in text
    assert "Revoke the suspicious API key immediately" in text  # serious alerts in week 2
    assert "withdrawal attempt" in text


def test_report_escapes_what_it_did_not_write(tmp_path):
    store = ActivityStore(tmp_path / "a.db")
    store.add_events([ActivityEvent(time=1000.0 + i, method="GET", path="/api/v3/time", environment="testnet",
                                    key_label="<script>alert(1)</script>", key_fingerprint="k", status=200)
                      for i in range(3)])
    text = render_html(store, 0, 2000)
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_cli_report_and_alerts(week, tmp_path):
    scn, _, db = week
    out = tmp_path / "weekly.html"
    since = "2026-03-09T00:00:00Z"
    res = CliRunner().invoke(cli, ["report", "--since", since, "--html", str(out), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert out.read_text().startswith("<!DOCTYPE html>") and "grid-bot" in res.output
    res = CliRunner().invoke(cli, ["monitor", "alerts", "--since", since, "--json", "--db", str(db)])
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert {r["detector"] for r in rows} >= {"rate_spike", "new_source", "failure_rate", "rejected_orders", "weight"}
    res = CliRunner().invoke(cli, ["monitor", "alerts", "--since", since, "--db", str(db)])
    assert res.exit_code == 0 and "alert(s) since 2026-03-09" in res.output and "What to do" in res.output
    res = CliRunner().invoke(cli, ["monitor", "watch", "--once", "--db", str(db)])
    assert res.exit_code == 0 and "Recent calls" in res.output


def test_cli_corrupt_database_is_one_line(tmp_path):
    db = tmp_path / "bad.db"
    db.write_bytes(b"not sqlite at all" * 300)
    from keysafe.cli import main

    with pytest.raises(SystemExit) as info:
        main(["monitor", "alerts", "--db", str(db)])
    assert info.value.code == 2


def test_since_parsing():
    assert parse_since("7d", now=1_000_000) == 1_000_000 - 7 * 86400
    assert parse_since("30m", now=1000) == -800
    assert parse_since("2026-03-02T00:00:00Z") == 1772409600
    with pytest.raises(ConfigurationError, match="--since"):
        parse_since("last tuesday")


def test_config_file_overrides_defaults_and_rejects_mistakes(tmp_path, monkeypatch):
    monkeypatch.setenv("KEYSAFE_HOME", str(tmp_path))
    assert load_config().rate.factor == 3.0  # no file: defaults
    (tmp_path / "monitor.toml").write_text(
        '[rate]\nfactor = 5\n[keys.grid-bot]\nprofile = "read-only"\nip_whitelist = ["10.0.0.0/8"]\n'
        'retired_at = "2026-05-01T00:00:00Z"\n[sinks]\nwebhook = "http://127.0.0.1:9/hook"\n')
    cfg = load_config()
    assert cfg.rate.factor == 5.0 and cfg.keys["grid-bot"].ip_whitelist == ("10.0.0.0/8",)
    assert cfg.keys["grid-bot"].retired_at == 1777593600 and cfg.sinks.webhook.endswith("/hook")
    for bad, needle in (("[rate]\nfactr = 2\n", "unknown setting `factr`"), ("[rate]\nmin_calls = 'x'\n", "whole number"),
                        ("[nope]\n", "unknown section"), ("rate = [\n", "not valid TOML"),
                        ('[keys.a]\nretired_at = "soon"\n', "retired_at"), ('default_profile = "god"\n', "not a known")):
        (tmp_path / "monitor.toml").write_text(bad)
        with pytest.raises(ConfigurationError, match=re.escape(needle)) as info:
            load_config()
        assert "\n" not in str(info.value)
