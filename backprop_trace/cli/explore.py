"""backprop-trace explore: the trace as a full-screen app, back and forth through its phases."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from backprop_trace.errors import ScenarioError

from .core import (
    EXIT_BAD_INPUT,
    AllowOutsideData,
    Fractions,
    NumericsChoice,
    NumericsOption,
    Precision,
    _bad_input,
    _choice,
    _Command,
    _load,
    _tell,
    _whole,
    app,
    work_begins,
)

if TYPE_CHECKING:
    from backprop_trace.scenario import Scenario
    from backprop_trace.trace import Trace

KEPT_IN_FULL = 200  # steps kept for browsing: all of a shorter run, else its first and last 100


@app.command(cls=_Command)
def explore(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A scenario file, or a bundled scenario's name."),
    ],
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps", parser=_whole(1), metavar="N", help="Number of steps (overrides the file)."
        ),
    ] = None,
    numerics_name: NumericsOption = None,
    precision: Precision = None,
    fractions: Fractions = False,
    table_limit: Annotated[
        int,
        typer.Option(
            "--table-limit",
            parser=_whole(1),
            metavar="N",
            help="Summarise tensors with more entries than this.",
        ),
    ] = 64,
    allow_outside_data: AllowOutsideData = False,
) -> None:
    """Explore a scenario's steps full-screen: move back and forth through the phases, pick an
    entry and see how it came to be (? lists the keys)."""
    numerics = (
        None if numerics_name is None else _choice("--numerics", numerics_name, NumericsChoice)
    )
    _path, scenario = _load(file, allow_outside_data)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        _tell("explore is full-screen: it needs a terminal (for text, use: backprop-trace run)")
        raise typer.Exit(EXIT_BAD_INPUT)
    mode = numerics.value if numerics is not None else None

    def traced(total: int) -> Trace:
        return _trace(scenario, total, mode)

    trace = traced(steps or scenario.steps)
    from backprop_trace.render.explore import Explorer
    from backprop_trace.render.terminal import RenderOptions

    Explorer(trace, RenderOptions(precision, fractions, table_limit), more=traced).run()


def _trace(scenario: Scenario, total: int, numerics: str | None) -> Trace:
    from backprop_trace.engine import run as run_engine

    def kept(k: int) -> bool:
        return total <= KEPT_IN_FULL or k <= KEPT_IN_FULL // 2 or k > total - KEPT_IN_FULL // 2

    work_begins()
    try:
        return run_engine(scenario, steps=total, numerics=numerics, keep=kept)  # type: ignore[arg-type]
    except ScenarioError as error:
        _bad_input(error)
