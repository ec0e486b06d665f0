"""How long the explorer takes to answer a key, from the key to the frame that shows it.

Textual's own test driver (Pilot) presses each key; the app's every frame is timed where
Textual hands it to the terminal (``App._display``, with the frame turned into the bytes a
terminal would get, which the headless driver would skip). For each key: the time to the
first frame after it (what the eye sees change) and to the last one (the screen settled: no
frame for 0.3 s after). A person's pace: each key waits for the screen to settle and for the
phases next to the new one to be drawn ahead (as they are when no key comes for a moment).

    python benchmarks/explore_keys.py

Goals (issue "explore"): a key redrawn in <= 50 ms for diagonal_flip, <= 200 ms for
mnist_sized (784-128-10).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from backprop_trace import load_scenario, run
from backprop_trace.render.explore import IDLE, Explorer
from backprop_trace.render.terminal import RenderOptions

# phases forward and back, a pick moved, the explanation and the network opened and closed
KEYS = ["right", "right", "right", "right", "left", "left", "down", "tab", "e", "e", "d", "d"]
SETTLED = 0.3  # seconds without a frame: the key's work is done


async def _presses(name: str, rounds: int, size: tuple[int, int]) -> list[tuple[float, float]]:
    """(to the first frame, to the last frame) in seconds, for each key pressed."""
    app = Explorer(run(load_scenario(name)), RenderOptions())
    frames: list[float] = []
    display = app._display

    def timed(screen: Any, renderable: Any) -> None:
        if hasattr(renderable, "render_segments"):
            renderable.render_segments(app.console)  # the bytes a terminal would be sent
        frames.append(time.perf_counter())
        display(screen, renderable)

    app._display = timed  # type: ignore[method-assign]
    out: list[tuple[float, float]] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await asyncio.sleep(IDLE + SETTLED)
        for _ in range(rounds):
            for key in KEYS:
                frames.clear()
                started = time.perf_counter()
                await pilot.press(key)
                while not frames or time.perf_counter() - frames[-1] < SETTLED:
                    await asyncio.sleep(0.02)
                    if not frames and time.perf_counter() - started > 2:
                        raise SystemExit(f"{name}: no frame after {key!r}: the key did nothing")
                out.append((frames[0] - started, frames[-1] - started))
            app.selected = None  # the next round as the first: from the top, nothing picked
            app._go(app.place.__class__(0, "forward"))
            await asyncio.sleep(IDLE + SETTLED)
    return out


def key_times(name: str, rounds: int = 3, size: tuple[int, int] = (120, 40)) -> dict[str, float]:
    """Medians and the largest of the first and the last frame after a key, in seconds."""
    times = asyncio.run(_presses(name, rounds, size))
    first, last = [t[0] for t in times], [t[1] for t in times]
    return {
        "first": statistics.median(first),
        "first_max": max(first),
        "last": statistics.median(last),
        "last_max": max(last),
    }


def rows() -> list[tuple[str, str, str, str]]:
    out = []
    for name, goal in (("diagonal_flip", 0.05), ("mnist_sized", 0.2)):
        t = {k: round(v * 1000) for k, v in key_times(name).items()}
        out.append(
            (
                f"explore: a key to its frame, {name} (Pilot, 120×40; {len(KEYS)} keys × 3)",
                f"first frame median {t['first']} ms (largest {t['first_max']}); "
                f"settled median {t['last']} ms (largest {t['last_max']})",
                f"≤ {goal * 1000:.0f} ms",
                "yes" if t["last"] <= goal * 1000 else "no",
            )
        )
    return out


if __name__ == "__main__":
    for row in rows():
        print("| " + " | ".join(row) + " |")
