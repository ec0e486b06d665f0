"""backprop-trace diagram: the network as an SVG picture, with one step's numbers on it."""

from __future__ import annotations

from typing import Annotated

import typer

from .core import (
    AllowOutsideData,
    NumericsOption,
    OutputFile,
    Precision,
    _Command,
    _listed,
    _one_of,
    _run_to,
    _whole,
    app,
)
from .output import _deliver, _number_style, _read_for_output

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

    _one_of("--show", show, SHOWS)
    path, scenario = _read_for_output(file, output, numerics_name, allow_outside_data)
    trace = _run_to(scenario, step, numerics_name)
    svg = diagram_svg(trace, step=step, show=show, num=_number_style(precision))
    _deliver(svg, output, path)
