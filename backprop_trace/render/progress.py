"""A progress bar for long runs: on a terminal only (standard error), gone when the run ends."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from backprop_trace.render.console import terminal_console

LONG_RUN = 200  # steps; shorter runs finish before a bar would help

Report = Callable[[int, float, object], None]


@contextlib.contextmanager
def progress(total: int) -> Iterator[Report | None]:
    console = terminal_console(stderr=True)
    if total < LONG_RUN or not console.is_terminal:
        yield None
        return
    # only a long run on a terminal pays for rich.progress (and rich.live) to be imported
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("step"),
        MofNCompleteColumn(),
        BarColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("training", total=total, loss="…")

        def report(step: int, loss: float, _: object) -> None:
            bar.update(task, completed=step, loss=f"{loss:.4g}")

        yield report
