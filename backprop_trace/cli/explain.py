"""backprop-trace explain: how one number of a step came to be, the chain rule with its values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from backprop_trace.visible import visible

from .core import (
    EXIT_BAD_INPUT,
    AllowOutsideData,
    Fractions,
    NumericsOption,
    OutputFile,
    Precision,
    _Command,
    _listed,
    _one_of,
    _run_to,
    _tell,
    _whole,
    app,
)
from .output import _deliver, _number_style, _read_for_output

if TYPE_CHECKING:
    from backprop_trace.explain import Target
    from backprop_trace.scenario import Scenario


EXPLAIN_FORMATS = ("text", "markdown", "html", "json")


@app.command(cls=_Command)
def explain(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A scenario file, or a bundled scenario's name."),
    ],
    param: Annotated[
        str,
        typer.Argument(
            metavar="PARAM",
            help="What to explain: a parameter entry (W1[0][2], conv1.weight[0][0][1][1]), a "
            "whole tensor (W1), a unit's learning flow (relu1[2]) or loss[j].",
        ),
    ],
    step: Annotated[
        int,
        typer.Option("--step", parser=_whole(1), metavar="K", help="The step to explain."),
    ] = 1,
    example: Annotated[
        int | None,
        typer.Option(
            "--example",
            parser=_whole(0),
            metavar="E",
            help="The example (data row) to expand [default: the batch's first].",
        ),
    ] = None,
    precision: Precision = None,
    fractions: Fractions = False,
    format_name: Annotated[
        str,
        typer.Option("--format", "-f", metavar=_listed(EXPLAIN_FORMATS), help="What to print."),
    ] = "text",
    output: OutputFile = None,
    numerics_name: NumericsOption = None,
    table_limit: Annotated[
        int,
        typer.Option(
            "--table-limit",
            parser=_whole(1),
            metavar="N",
            help="A whole tensor: explain at most this many entries, the largest first.",
        ),
    ] = 64,
    allow_outside_data: AllowOutsideData = False,
) -> None:
    """Show how a gradient, learning flow or update came to be: the chain rule, with this
    step's numbers in."""
    from backprop_trace.explain import TooLarge
    from backprop_trace.explain import explain as explain_target

    _one_of("--format", format_name, EXPLAIN_FORMATS)
    path, scenario = _read_for_output(file, output, numerics_name, allow_outside_data)
    target = read_target(scenario, param)
    rows = scenario.batch_indices(step)
    if example is not None and example not in rows:
        raise typer.BadParameter(
            f"example {example} is not in step {step}'s batch, which holds examples "
            f"{rows.start}–{rows.stop - 1}",
            param_hint="--example",
        )
    trace = _run_to(scenario, step, numerics_name)
    if fractions and trace.numerics != "exact":
        _tell("note: --fractions shows exact values; this trace is float64")
    try:
        explained = explain_target(trace, target, step=step, example=example, limit=table_limit)
    except TooLarge as error:
        _tell(f"{visible(param)}: {error}; explain one entry, or a smaller part")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    num = _number_style(precision, fractions and trace.numerics == "exact")
    from backprop_trace.render import explain as formats

    if format_name == "text" and output is None:
        from backprop_trace.render.console import terminal_console

        formats.print_explanation(terminal_console(highlight=False), explained, num)
        return
    content = {
        "text": formats.plain,
        "markdown": formats.markdown,
        "html": formats.html_page,
    }.get(format_name)
    text = formats.render_json(explained) if content is None else content(explained, num)
    _deliver(text, output, path)


def read_target(scenario: Scenario, text: str, option: str = "PARAM") -> Target:
    """PARAM read against the scenario, or a message naming what exists and exit status 2."""
    from backprop_trace.explain import TargetError, parse_target

    try:
        return parse_target(scenario, text, output_shapes(scenario))
    except TargetError as error:
        raise typer.BadParameter(
            f"{visible(error.message)}\n  hint: {visible(error.hint)}", param_hint=option
        ) from None


def output_shapes(scenario: Scenario) -> list[tuple[int, ...]]:
    """Each layer's output shape for one example."""
    shape = tuple(int(n) for n in scenario.inputs.shape[1:])
    out = []
    for layer in scenario.layers:
        shape = tuple(int(n) for n in layer.output_shape(shape))
        out.append(shape)
    return out
