"""Start-up per command, side by side with the bare imports: `--help`, `list`, `validate`,
`explain`, `diagram`, and `explore` until its first screen shows (in a pseudo-terminal: the
time from starting it to the moment the first phase's heading is on the screen).

    python benchmarks/startup.py
"""

from __future__ import annotations

import os
import pty
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ENV, IMPORTS, TOOL

COMMANDS = {
    "`--help`": ["--help"],
    "`list`": ["list"],
    "`validate diagonal_flip`": ["validate", "diagonal_flip"],
    "`run diagonal_flip`": ["run", "diagonal_flip"],
    "`explain diagonal_flip W1[0][0]`": ["explain", "diagonal_flip", "W1[0][0]"],
    "`diagram diagonal_flip`": ["diagram", "diagonal_flip"],
}


def _once(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, env=ENV, check=True)
    return time.perf_counter() - started


def explore_first_screen(cwd: Path) -> float:
    """Seconds from starting `explore diagonal_flip` in a pseudo-terminal to its first phase's
    heading on the screen; then q."""
    main, child = pty.openpty()
    env = {**ENV, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    del env["NO_COLOR"]
    started = time.perf_counter()
    process = subprocess.Popen(
        [*TOOL, "explore", "diagonal_flip"],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    os.close(child)
    seen = b""
    try:
        while b"Forward pass" not in seen:
            ready, _, _ = select.select([main], [], [], 30)
            if not ready:
                raise SystemExit("explore showed no first screen within 30 s")
            seen += os.read(main, 65536)
        elapsed = time.perf_counter() - started
        os.write(main, b"q")
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    return elapsed


def rows(cwd: Path, repeats: int = 7) -> list[tuple[str, str, str, str]]:
    """Each command's median against the bare imports' (runs alternating)."""
    out = []
    for label, arguments in COMMANDS.items():
        times, base = [], []
        _once([*TOOL, *arguments], cwd), _once(IMPORTS, cwd)
        for _ in range(repeats):
            times.append(_once([*TOOL, *arguments], cwd))
            base.append(_once(IMPORTS, cwd))
        a, b = statistics.median(times), statistics.median(base)
        out.append(
            (
                f"Start-up: {label} vs the bare imports",
                f"{a:.3f} s / {b:.3f} s = {a / b:.2f}×",
                "",
                "",
            )
        )
    times, base = [], []
    explore_first_screen(cwd), _once(IMPORTS, cwd)
    for _ in range(repeats):
        times.append(explore_first_screen(cwd))
        base.append(_once(IMPORTS, cwd))
    a, b = statistics.median(times), statistics.median(base)
    out.append(
        (
            "Start-up: `explore diagonal_flip` to its first screen vs the bare imports",
            f"{a:.3f} s / {b:.3f} s = {a / b:.2f}×",
            "",
            "",
        )
    )
    return out


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for row in rows(Path(folder)):
            print("| " + " | ".join(row) + " |")
