"""The terminal trace: a header, then each step phase by phase, as rich tables.

``phases(trace, options, width)`` yields the output one phase at a time (so ``--step`` can pause
between them); ``render_text`` prints them all. Pure functions of the Trace: nothing is computed
here that the trace does not hold, beyond differences and comparisons for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.table import Table

from backprop_trace.insights import step_notes
from backprop_trace.render.backward import BackwardPhase
from backprop_trace.render.console import terminal_console
from backprop_trace.render.forward import ForwardPhase
from backprop_trace.render.grids import Grids
from backprop_trace.render.large import LargeTensors
from backprop_trace.render.outputs import OutputsPhase
from backprop_trace.render.summary import RunSummary
from backprop_trace.render.tables import _fit, _t
from backprop_trace.render.update import UpdatePhase
from backprop_trace.render.view import Phase, RenderOptions, View
from backprop_trace.trace import Trace

PHASES = ("forward", "loss", "backward", "update", "verify")
PHASE_TITLES = {
    "forward": "1. Forward pass",
    "loss": "2. Loss",
    "backward": "3. Backward pass",
    "update": "4. Update",
    "verify": "5. Verify",
}


def print_trace(
    trace: Trace,
    options: RenderOptions,
    *,
    go_on: Callable[[str, bool], str] | None = None,
    only_summary: bool = False,
    stderr: bool = False,
) -> None:
    """Print to the terminal (standard output, or ``stderr``): colour and bold there; bold but
    no colour with NO_COLOR; plain text when piped or with TERM=dumb. Between phases,
    ``go_on(next title, whether there is a phase to go back to)`` says 'next', 'back' (the
    phase before is printed again) or 'quit'."""
    console = terminal_console(highlight=False, stderr=stderr)
    with np.errstate(all="ignore"):  # inf - inf in a diverged step is shown, not warned about
        shown = list(phases(trace, options, console.width))
    if only_summary:
        shown = [phase for phase in shown if phase.name == "summary"]
    i = 0
    while i < len(shown):
        print_phase(console, shown[i])
        if go_on is None or i == len(shown) - 1:
            i += 1
            continue
        action = go_on(shown[i + 1].title, i > 0)
        while action == "back" and i == 0:  # nothing before the first phase: ask again
            action = go_on(shown[i + 1].title, False)
        if action == "quit":
            return
        i = i - 1 if action == "back" and i > 0 else i + 1


def render_text(trace: Trace, console: Console, options: RenderOptions | None = None) -> None:
    with np.errstate(all="ignore"):
        for phase in phases(trace, options or RenderOptions(), console.width):
            print_phase(console, phase)


def print_phase(console: Console, phase: Phase) -> None:
    """Print one phase; lines carry no trailing spaces (rich pads tables to their width). A
    recording console (HTML, SVG export) gets the renderables themselves."""
    if console.record:
        _print_body(console, phase)
        return
    with console.capture() as captured:
        _print_body(console, phase)
    lines = captured.get().split("\n")
    console.file.write("\n".join(line.rstrip(" ") for line in lines))
    console.file.flush()


def _print_body(console: Console, phase: Phase) -> None:
    if phase.step is not None:
        console.print()
        console.rule(_t(phase.title), align="left")
    for item in phase.body:
        if isinstance(item, (Table, Group)):
            console.print()
        parts: list[RenderableType] = [item]
        if isinstance(item, Table):
            parts = _fit(console, item)
        elif isinstance(item, Group):
            parts = [
                piece
                for child in item.renderables
                for piece in (_fit(console, child) if isinstance(child, Table) else [child])
            ]
        for part in parts:
            console.print(part)


def phases(trace: Trace, options: RenderOptions, width: int) -> Iterator[Phase]:
    view = View(trace, options, width)
    large = LargeTensors(view)
    grids = Grids(view, large)
    shown = {
        "forward": ForwardPhase(view, large, grids).forward,
        "loss": OutputsPhase(view).loss,
        "backward": BackwardPhase(view, large, grids).backward,
        "update": UpdatePhase(view, large).update,
        "verify": OutputsPhase(view).verify,
    }
    yield view.header()
    previous = 0
    for step in trace.steps:
        notes = step_notes(trace, step, view.num)
        for name in PHASES:
            body = shown[name](step)
            body += view.notes([n for n in notes if n.phase == name])
            if name == "backward" and options.explain:
                from backprop_trace.render.explain import in_phase

                body += in_phase(trace, step.step, options.explain, view.num, view.table_limit)
            if name == "forward" and step.step > previous + 1:
                skipped = (
                    f"step {previous + 1}"
                    if step.step == previous + 2
                    else f"steps {previous + 1}–{step.step - 1}"
                )
                body.insert(
                    0, _t(f"({skipped} ran without being shown: --show picks steps)", "dim")
                )
            heading = f"Step {step.step}"
            if trace.total_steps > 1:
                heading += f" of {trace.total_steps}"
            yield Phase(step.step, name, f"{heading} · {PHASE_TITLES[name]}", body)
        previous = step.step
    if trace.total_steps > 1 or not trace.steps:
        yield RunSummary(view).summary()


__all__ = ["Phase", "RenderOptions", "phases", "print_phase", "print_trace", "render_text"]
