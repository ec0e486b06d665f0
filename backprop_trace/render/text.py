"""Plain terminal rendering of a Trace (a short summary; the full phase tables build on it)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from backprop_trace.trace import Trace


def render_text(trace: Trace, console: Console | None = None) -> None:
    console = console or Console()
    scenario = trace.scenario
    console.print(f"[bold]{escape(scenario.name)}[/]  ({escape(trace.numerics_reason)})")
    for step in trace.steps:
        changed = sum(int((p.old != p.new).sum()) for p in step.params)
        total = sum(p.old.size for p in step.params)
        console.print(
            f"step {step.step}: loss {float(step.loss_before):.6g} -> "
            f"{float(step.loss_after):.6g}; {changed} of {total} parameters changed"
        )
