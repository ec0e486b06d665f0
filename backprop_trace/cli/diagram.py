"""backprop-trace diagram: the network as an SVG picture, with one step's numbers on it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .core import (
    AllowOutsideData,
    NumericsOption,
    OutputFile,
    Precision,
    _choice,
    _Command,
    _listed,
    _load,
    _one_of,
    _run_to,
    _whole,
    app,
)
from .core import NumericsChoice as _Numerics
from .output import _destination, _write_file

SHOWS = ("weights", "gradients", "updates")  # render.diagram.SHOWS, without importing numpy


@app.command(cls=_Command)
def diagram(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A scenario file, or a bundled scenario's name."),
    ],
    step: Annotated[
        int,
        typer.Option("--step", parser=_whole(1), metavar="K", help="The step to draw."),
    ] = 1,
    show: Annotated[
        str,
        typer.Option(
            "--show",
            metavar=_listed(SHOWS),
            help="What the edges show: the weights before the step, their gradients, or the "
            "updates (new - old).",
        ),
    ] = "weights",
    precision: Precision = None,
    output: OutputFile = None,
    numerics_name: NumericsOption = None,
    allow_outside_data: AllowOutsideData = False,
) -> None:
    """Draw the network as SVG: a node per unit with its values, an edge per weight (colour:
    sign, width: size), dead units and frozen parameters marked; hover for the numbers."""
    from backprop_trace.render.diagram import diagram_svg
    from backprop_trace.render.numbers import DEFAULT_PRECISION, NumberStyle

    _one_of("--show", show, SHOWS)
    if numerics_name is not None:
        _choice("--numerics", numerics_name, _Numerics)  # before the scenario is read
    if output is not None:
        _destination(output, "written")
    path, scenario = _load(file, allow_outside_data)
    trace = _run_to(scenario, step, numerics_name)
    num = NumberStyle(
        DEFAULT_PRECISION if precision is None else precision, explicit=precision is not None
    )
    svg = diagram_svg(trace, step=step, show=show, num=num)
    if output is None:
        sys.stdout.write(svg)
    else:
        _write_file(output, svg, protect=path)
