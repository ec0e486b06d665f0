"""The commands about scenario files: export torch, new, schema, validate, list."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from backprop_trace.bundled import bundled, resolve, scenarios_dir
from backprop_trace.errors import ScenarioError
from backprop_trace.visible import visible
from backprop_trace.wording import of_total

from .core import (
    EXIT_BAD_INPUT,
    AllowOutsideData,
    _bad_input,
    _Command,
    _load,
    _one_of,
    _rate,
    _shown_as,
    _tell,
    _whole,
    app,
)
from .output import (
    _deliver,
    _destination,
    _refuse_to_replace,
    _write_file,
)

if TYPE_CHECKING:
    pass

export_app = typer.Typer(help="Write a scenario in another form.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("torch", cls=_Command)
def export_torch(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A scenario file, or a bundled scenario's name."),
    ],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the script to this file."),
    ] = None,
    allow_outside_data: AllowOutsideData = False,
) -> None:
    """Write a standalone PyTorch script that trains the scenario and prints the same JSON."""
    from backprop_trace.export_torch import torch_script

    if output is not None:
        _destination(output, "written")
    path, scenario = _load(file, allow_outside_data)
    script = torch_script(scenario)
    _deliver(script, output, path)


@app.command(cls=_Command)
def new(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="The scenario file to write.")],
    sizes: Annotated[
        str,
        typer.Option("--sizes", metavar="SIZES", help="Layer sizes, input first: 4,3,2."),
    ] = "2,3,1",
    activation: Annotated[
        str,
        typer.Option(
            "--activation",
            metavar="KIND",
            help="The hidden units' activation: relu, tanh, gelu, ... (a wrong name lists them).",
        ),
    ] = "relu",
    loss: Annotated[
        str,
        typer.Option("--loss", metavar="LOSS", help="The loss function: mse, sse, bce, ..."),
    ] = "mse",
    optimizer: Annotated[
        str,
        typer.Option(
            "--optimizer",
            metavar="NAME",
            help="The optimizer: sgd, adam, adamw, ... (torch.optim's defaults for the rest).",
        ),
    ] = "sgd",
    lr: Annotated[
        float,
        typer.Option("--lr", parser=_rate, metavar="RATE", help="The learning rate."),
    ] = 0.1,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", parser=_whole(0), metavar="N", help="Seed of the random starting weights."
        ),
    ] = 0,
    copy_of: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="NAME",
            help="Copy a bundled scenario (or a file) as it is, with any data file it reads.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace FILE (and its data files) if they exist.")
    ] = False,
) -> None:
    """Write a commented starter scenario, weights drawn from --seed and written out; or, with
    --from, a copy of a bundled scenario to edit."""
    from backprop_trace.starter import starter_text
    from backprop_trace.yaml_text import readable_numbers

    if copy_of is not None:
        given = ("sizes", "activation", "loss", "optimizer", "lr", "seed")
        mixed = [
            f"--{name}"
            for name in given
            if getattr(ctx.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"
        ]
        if mixed:
            raise typer.BadParameter(
                f"--from copies a scenario as it is: leave out {', '.join(mixed)}",
                param_hint="--from",
            )
        _copy_scenario(copy_of, file, force)
        return
    from backprop_trace.starter import choices

    offered = choices()  # the registries': every activation kind, loss and optimizer there is
    for option, value in (
        ("--activation", activation),
        ("--loss", loss),
        ("--optimizer", optimizer),
    ):
        _one_of(option, value, offered[option])
    from backprop_trace.number_text import NumberTextError, read_whole

    try:
        layer_sizes = [read_whole(s) for s in sizes.split(",")]
    except NumberTextError:
        raise typer.BadParameter(
            "whole numbers separated by commas", param_hint="--sizes"
        ) from None
    if len(layer_sizes) < 2 or not all(1 <= s <= 1000 for s in layer_sizes):
        raise typer.BadParameter("at least two sizes, each 1 to 1000", param_hint="--sizes")
    numbers = sum((a + 1) * b for a, b in itertools.pairwise(layer_sizes))
    if numbers > readable_numbers():
        raise typer.BadParameter(
            f"{numbers:,} weights and biases; a starter writes each one out, at most "
            f"{readable_numbers():,} (so the file reads back). For a larger network, write "
            "its layers as {type: linear, in: 1000, out: 1000, init: torch}",
            param_hint="--sizes",
        )
    if not math.isfinite(lr):
        raise typer.BadParameter(f"{lr}: a learning rate is a finite number", param_hint="--lr")
    target = _destination(file, "written")
    _refuse_to_replace([target], force)
    name = target.stem.replace("_", " ").capitalize()
    _write_file(file, starter_text(name, layer_sizes, activation, loss, optimizer, lr, seed))
    _tell(f"try:  backprop-trace run {file}")


def _copy_scenario(name: str, file: str, force: bool) -> None:
    """``new FILE --from NAME``: the scenario's text byte for byte, and each data file it reads
    at the same place relative to the copy, so that the copy runs from its new folder."""
    from backprop_trace.files import same_file
    from backprop_trace.scenario import load_scenario

    target = _destination(file, "written")
    source = resolve(name)
    try:
        scenario = load_scenario(source, display_name=_shown_as(name, source))
    except ScenarioError as error:
        _bad_input(error)
    copies = [(source, target)]
    for data in dict.fromkeys(scenario.data_files.values()):
        try:
            relative = data.resolve().relative_to(source.resolve().parent)
        except ValueError:
            _tell(
                f"{file}: not written: {source} reads {data}, outside its folder; "
                "copy the scenario and its data by hand"
            )
            raise typer.Exit(EXIT_BAD_INPUT) from None
        copies.append((data, target.parent / relative))
    for origin, destination in copies:
        if same_file(destination, origin):
            _tell(f"{destination}: not written: that is the file being copied")
            raise typer.Exit(EXIT_BAD_INPUT)
    _refuse_to_replace([destination for _, destination in copies], force)
    for origin, destination in copies:
        destination.parent.mkdir(parents=True, exist_ok=True)
        _write_file(str(destination), origin.read_bytes())
    _tell(f"try:  backprop-trace run {file}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors: completion and validation)."""
    import json

    from backprop_trace.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@app.command(cls=_Command)
def validate(
    files: Annotated[
        list[str],
        typer.Argument(metavar="FILE...", help="Scenario files, or bundled scenarios' names."),
    ],
    allow_outside_data: AllowOutsideData = False,
) -> None:
    """Check scenario files without running them: every problem in every file."""
    from backprop_trace.scenario import load_scenario

    bad = 0
    for file in files:
        path = resolve(file)
        try:
            load_scenario(
                path, display_name=_shown_as(file, path), allow_outside_data=allow_outside_data
            )
        except ScenarioError as error:
            bad += 1
            for problem in error.problems:
                typer.echo(str(problem), err=True)
            continue
        typer.echo(visible(f"{file}: ok"))
    if bad:
        typer.echo(f"{of_total(bad, len(files), 'file', 'has')} problems.", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command("list")
def list_scenarios() -> None:
    """List the bundled scenarios, and the folder they are in."""
    import shutil
    import textwrap

    from backprop_trace.render.console import MAX_WIDTH
    from backprop_trace.source import read_yaml

    width = min(shutil.get_terminal_size((100, 24)).columns, MAX_WIDTH)
    for path in bundled():
        # the name and description as written: the bundled scenarios are valid (tested), so
        # listing them reads them without building them
        data, _ = read_yaml(path.read_text(encoding="utf-8"), path.name)
        summary = str(data.get("description", "")).split(". ")[0].rstrip(".")
        text = f"{data['name']}: {summary}"
        lines = textwrap.wrap(text, max(20, width - 30)) or [""]
        typer.echo(f"{path.name:28}  {lines[0]}")
        for line in lines[1:]:
            typer.echo(" " * 30 + line)
    typer.echo(f"\nThese files are in {_folder_shown(scenarios_dir())}")
    typer.echo("To edit one, copy it: backprop-trace new FILE --from NAME")


def _folder_shown(folder: Path) -> str:
    """A folder below the current one as a relative path; any other in full."""
    try:
        return str(folder.resolve().relative_to(Path.cwd().resolve())) + "/"
    except ValueError:
        return str(folder.resolve()) + "/"
