"""How long the explorer takes to answer a key: each press of Right (and Left, n, e, d) timed
with Textual's own test driver (Pilot), the press and the redraw it causes, for a small
network and for mnist_sized (784-128-10). Goals: <= 50 ms and <= 200 ms.

    python benchmarks/explore_keys.py
"""

from __future__ import annotations

import asyncio
import statistics
import time

from backprop_trace import load_scenario, run
from backprop_trace.render.explore import Explorer
from backprop_trace.render.terminal import RenderOptions

KEYS = ["right", "right", "right", "right", "left", "left", "e", "down", "d", "right", "left"]


async def _presses(name: str, rounds: int, size: tuple[int, int]) -> tuple[list[float], float]:
    """Each key's time, and the median time of a key bound to nothing (the driver's own)."""
    trace = run(load_scenario(name))
    app = Explorer(trace, RenderOptions())
    times: list[float] = []
    idle: list[float] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for _ in range(5):
            started = time.perf_counter()
            await pilot.press("x")  # bound to nothing: what Pilot itself takes
            await pilot.pause()
            idle.append(time.perf_counter() - started)
        for _ in range(rounds):
            for key in KEYS:
                started = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()  # the redraw the key caused
                times.append(time.perf_counter() - started)
            await pilot.press("home")
            app.panels = {"network": False, "explain": False}
            app._go(app.place.__class__(0, "forward"))
    return times, statistics.median(idle)


def key_press_times(
    name: str, rounds: int = 3, size: tuple[int, int] = (120, 40)
) -> tuple[float, float, float]:
    """(median, largest) seconds a key press takes to redraw, and what a key bound to nothing
    takes through the same driver."""
    times, idle = asyncio.run(_presses(name, rounds, size))
    return statistics.median(times), max(times), idle


def rows() -> list[tuple[str, str, str, str]]:
    out = []
    for name, goal in (("diagonal_flip", 0.05), ("mnist_sized", 0.2)):
        median, largest, idle = key_press_times(name)
        out.append(
            (
                f"explore: a key press redrawn, {name} (Pilot, 120×40)",
                f"median {median * 1000:.0f} ms, largest {largest * 1000:.0f} ms; a key bound "
                f"to nothing {idle * 1000:.0f} ms",
                f"≤ {goal * 1000:.0f} ms",
                "yes" if median <= goal else "no",
            )
        )
    return out


if __name__ == "__main__":
    for row in rows():
        print("| " + " | ".join(row) + " |")
