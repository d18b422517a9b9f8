"""Runs the benchmarks and writes their tables into docs/benchmarks.md.

    python bench/run.py            # every bench/bench_*.py, in order
    python bench/run.py signing    # only bench/bench_signing.py

Each bench script prints a Markdown section on stdout. This runner puts it between the
``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` markers of docs/benchmarks.md, so one
benchmark can be re-run without disturbing the others' recorded figures.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main(names: list[str]) -> int:
    scripts = sorted((ROOT / "bench").glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
        if not scripts:
            print(f"bench: no benchmark named {', '.join(names)}", file=sys.stderr)
            return 2
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    failed = 0
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        print(f"== {name} ...", flush=True)
        started = time.time()
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            failed += 1
            print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
            continue
        stamp = time.strftime("%Y-%m-%d", time.gmtime())
        section = (
            f"<!-- bench:{name} -->\n{proc.stdout.strip()}\n\n"
            f"_Measured {stamp} on {machine()}; `python bench/run.py {name}` "
            f"({time.time() - started:.0f} s)._\n<!-- /bench:{name} -->"
        )
        pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
        text = pattern.sub(lambda _m: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
        DOC.write_text(text)
        print(proc.stdout)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
