"""What every benchmark runs, and how: the tool as its installed entry point starts it, Python
with the bytecode caches a pip install writes, medians of alternating runs.

The tool is started as ``backprop-trace`` beside this Python (a console script: Python, then
``backprop_trace.cli:main``), never through a shell shim such as pyenv's, which would add its
own start-up to one side only; without one, ``python -m backprop_trace``. Every command runs
with PYTHONDONTWRITEBYTECODE removed from its environment, so that the first (warm-up) run
writes the caches that pip writes at install time and the timed runs read them, as a user's
do.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
_SCRIPT = Path(sys.executable).with_name("backprop-trace")
TOOL = [str(_SCRIPT)] if _SCRIPT.is_file() else [PY, "-m", "backprop_trace"]
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "NO_COLOR": "1",
    "COLUMNS": "100",
}
# the bare imports: what any tool built on these libraries pays before its first line runs
IMPORTS = [PY, "-c", "import numpy, rich.console, rich.table, typer, ruamel.yaml"]
# the same libraries used as a tool like this one must use them: a typer command with the
# options of `run`, a scenario read with ruamel.yaml and validated by a pydantic model, a rich
# table printed (benchmarks/floor.py): start-up that no tool on this stack can go below
FLOOR = [PY, str(Path(__file__).resolve().parent / "floor.py")]


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """(seconds, peak resident memory in MiB) of one run of a command."""
    started = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], cwd=cwd, capture_output=True, text=True, env=ENV
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    kib = int(result.stderr.strip().splitlines()[-1])
    return elapsed, kib // 1024


def compare(commands: list[list[str]], cwd: Path, repeats: int) -> list[float]:
    """Each command's median seconds, the commands run in turn (A, B, C, A, B, C, ...) after
    one warm-up run each."""
    for command in commands:
        timed(command, cwd)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(repeats):
        for command, spent in zip(commands, times, strict=True):
            spent.append(timed(command, cwd)[0])
    return [statistics.median(spent) for spent in times]
