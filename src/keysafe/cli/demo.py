"""`keysafe demo`: the guided tour (what `make demo` runs)."""

from __future__ import annotations

import click


@click.command("demo")
@click.option("--chapter", "chapters", multiple=True, help="Run only these chapters (by name).")
@click.option("--list", "list_only", is_flag=True, help="List the chapters and exit.")
def demo_command(chapters: tuple[str, ...], list_only: bool) -> None:
    """A guided tour of keysafe against the embedded sandbox, fully offline."""
    from keysafe.demo import CHAPTERS, run_demo

    if list_only:
        for chapter in CHAPTERS:
            click.echo(f"{chapter.name:12} {chapter.title}")
        return
    run_demo(chapters or None)
