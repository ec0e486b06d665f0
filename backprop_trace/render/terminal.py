"""The terminal trace: a header, then each step phase by phase, as rich tables.

``phases(trace, options, width)`` yields the output one phase at a time (so ``--step`` can pause
between them); ``render_text`` prints them all. Pure functions of the Trace: nothing is computed
here that the trace does not hold, beyond differences and comparisons for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

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
from backprop_trace.trace import StepTrace, Trace

PHASES = ("forward", "loss", "backward", "update", "verify")
PHASE_NAMES = (*PHASES, "summary")  # what --phase picks
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
    for part in body_parts(console, phase.body):
        console.print(part)


def body_parts(console: Console, body: list[RenderableType]) -> list[RenderableType]:
    """A phase's body as printed, piece by piece: a blank line before each table, and each
    table fitted to the console's width (_fit)."""
    out: list[RenderableType] = []
    for item in body:
        if isinstance(item, (Table, Group)):
            out.append(Text())
        if isinstance(item, Table):
            out += _fit(console, item)
        elif isinstance(item, Group):
            out += [
                piece
                for child in item.renderables
                for piece in (_fit(console, child) if isinstance(child, Table) else [child])
            ]
        else:
            out.append(item)
    return out


class PhaseMaker:
    """Any one phase of a trace, made when asked (the explorer moves back and forth): the
    header, a step's phase, the run summary."""

    def __init__(
        self, trace: Trace, options: RenderOptions, width: int, *, picking: bool = False
    ) -> None:
        """``picking``: cells that show an entry carry its name (View.pick), for the explorer."""
        self.trace, self.options = trace, options
        self.view = view = View(trace, options, width, picking=picking)
        large = LargeTensors(view)
        grids = Grids(view, large)
        self._shown = {
            "forward": ForwardPhase(view, large, grids).forward,
            "loss": OutputsPhase(view).loss,
            "backward": BackwardPhase(view, large, grids).backward,
            "update": UpdatePhase(view, large).update,
            "verify": OutputsPhase(view).verify,
        }
        self._notes: dict[int, list[Any]] = {}

    def header(self) -> Phase:
        return self.view.header()

    def title(self, step: int, name: str) -> str:
        return self.title_of(self.trace, step, name)

    @staticmethod
    def title_of(trace: Trace, step: int, name: str) -> str:
        """'Step 1 · 3. Backward pass' ('Step 1 of 3 · …' in a run of several steps)."""
        heading = f"Step {step}"
        if trace.total_steps > 1:
            heading += f" of {trace.total_steps}"
        return f"{heading} · {PHASE_TITLES[name]}"

    def phase(self, step: StepTrace, name: str, previous: int | None = None) -> Phase:
        """One phase of a step; ``previous``: the step shown before it (to say what ran
        unseen in between)."""
        if step.step not in self._notes:
            self._notes[step.step] = step_notes(self.trace, step, self.view.num)
        notes = self._notes[step.step]
        body = self._shown[name](step)
        body += self.view.notes([n for n in notes if n.phase == name])
        if name == "backward" and self.options.explain:
            from backprop_trace.render.explain import in_phase

            body += in_phase(
                self.trace, step.step, self.options.explain, self.view.num, self.view.table_limit
            )
        if name == "forward" and previous is not None and step.step > previous + 1:
            skipped = (
                f"step {previous + 1}"
                if step.step == previous + 2
                else f"steps {previous + 1}–{step.step - 1}"
            )
            body.insert(0, _t(f"({skipped} ran without being shown: --show picks steps)", "dim"))
        return Phase(step.step, name, self.title(step.step, name), body)

    def summary(self) -> Phase:
        return RunSummary(self.view).summary()


def phases(trace: Trace, options: RenderOptions, width: int) -> Iterator[Phase]:
    """The output, phase by phase: the header, each kept step's five phases, and for a run of
    several steps its summary; with ``options.phases``, only the phases named there (no
    header: one phase fills a slide)."""
    maker = PhaseMaker(trace, options, width)
    chosen = set(options.phases or (*PHASES, "summary"))
    if not options.phases:
        yield maker.header()
    previous = 0
    for step in trace.steps:
        for name in PHASES:
            if name in chosen:
                yield maker.phase(step, name, previous)
        previous = step.step
    if "summary" in chosen and (trace.total_steps > 1 or not trace.steps):
        yield maker.summary()


__all__ = [
    "Phase",
    "PhaseMaker",
    "RenderOptions",
    "phases",
    "print_phase",
    "print_trace",
    "render_text",
]
