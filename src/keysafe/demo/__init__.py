"""The guided tour that `make demo` runs: one chapter per feature, offline, a few seconds each.

A chapter is a module of this package with a ``CHAPTER`` attribute; the order of
``_CHAPTER_MODULES`` is the order of the tour.
"""

from __future__ import annotations

import importlib
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule


class Tour:
    """What a chapter gets: a console, a private scratch directory, and a few helpers."""

    #: Where the tour leaves what a person should open afterwards (ignored by git).
    KEEP_DIR = Path(".keysafe-demo")

    def __init__(self, console: Console, workdir: Path) -> None:
        self.console = console
        self.workdir = workdir

    def keep(self, name: str) -> Path:
        """A path for a file the tour leaves behind on purpose (a report to open)."""
        self.KEEP_DIR.mkdir(exist_ok=True)
        return self.KEEP_DIR / name

    def step(self, text: str) -> None:
        self.console.print(f"\n[bold cyan]▸[/] {text}")

    def say(self, text: str) -> None:
        self.console.print(f"  {text}", soft_wrap=True)

    def show(self, label: str, value: str) -> None:
        self.console.print(f"  [dim]{label}:[/] ", end="")
        self.console.print(value, markup=False, highlight=False, soft_wrap=True)

    def ok(self, text: str) -> None:
        self.console.print(f"  [green]✓[/] {text}")

    def warn(self, text: str) -> None:
        self.console.print(f"  [yellow]![/] {text}")


@dataclass(frozen=True)
class Chapter:
    name: str
    title: str
    run: Callable[[Tour], None]


_CHAPTER_MODULES = (
    "keysafe.demo.signing",
    "keysafe.demo.sandbox",
    "keysafe.demo.client",
    "keysafe.demo.vault",
    "keysafe.demo.scan",
    "keysafe.demo.monitor",
)


def _load() -> list[Chapter]:
    return [importlib.import_module(m).CHAPTER for m in _CHAPTER_MODULES]


CHAPTERS: list[Chapter] = _load()


def run_demo(names: Iterable[str] | None = None, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    wanted = set(names) if names else None
    unknown = (wanted or set()) - {c.name for c in CHAPTERS}
    if unknown:
        raise SystemExit(f"keysafe: no demo chapter named {', '.join(sorted(unknown))}; see `keysafe demo --list`.")
    console.print(Panel.fit(
        "[bold]keysafe[/] — the safety layer between your code and the Binance API.\n"
        "This tour runs offline against keysafe's embedded sandbox. Nothing here touches Binance.",
        border_style="cyan",
    ))
    with tempfile.TemporaryDirectory(prefix="keysafe-demo-") as tmp:
        tour = Tour(console, Path(tmp))
        for i, chapter in enumerate(CHAPTERS, 1):
            if wanted and chapter.name not in wanted:
                continue
            console.print(Rule(f"[bold]Chapter {i}: {chapter.title}[/]"))
            started = time.perf_counter()
            chapter.run(tour)
            console.print(f"  [dim]({time.perf_counter() - started:.1f} s)[/]")
    console.print(Rule("[bold green]Tour complete[/]"))
