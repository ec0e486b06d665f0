"""The start-up floor of the tool's libraries: the least a tool of this kind does with them.

A typer command taking the options `backprop-trace run` takes reads a scenario with
ruamel.yaml (round trip, as the tool reads it to locate problems), validates it with a
pydantic model, makes a numpy array of its first layer's weights and prints a rich table of
its top-level keys. No tracing, no phases. Typer (from 0.29) coerces every option through
a pydantic TypeAdapter, so pydantic is part of this floor whatever the tool validates with.
Like the tool, it collects no garbage while it starts up.

    python benchmarks/floor.py SCENARIO.yaml
"""

from __future__ import annotations

import gc

gc.disable()  # as backprop-trace starts up: no collections while modules are imported

from typing import Annotated, Any  # noqa: E402

import typer  # noqa: E402

app = typer.Typer(add_completion=False)


@app.command()
def run(
    file: str,
    format_name: Annotated[str, typer.Option("--format", "-f")] = "text",
    steps: Annotated[int | None, typer.Option("--steps")] = None,
    numerics: Annotated[str | None, typer.Option("--numerics")] = None,
    precision: Annotated[int | None, typer.Option("--precision")] = None,
    fractions: Annotated[bool, typer.Option("--fractions")] = False,
    step: Annotated[bool, typer.Option("--step")] = False,
    show: Annotated[str | None, typer.Option("--show")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    check: Annotated[bool, typer.Option("--check")] = False,
    output: Annotated[str | None, typer.Option("--output", "-o")] = None,
    save: Annotated[str | None, typer.Option("--save")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
    table_limit: Annotated[int, typer.Option("--table-limit")] = 64,
    explain: Annotated[list[str] | None, typer.Option("--explain")] = None,
) -> None:
    import numpy as np
    from pydantic import BaseModel, ConfigDict
    from rich.console import Console
    from rich.table import Table
    from ruamel.yaml import YAML

    class Scenario(BaseModel):
        model_config = ConfigDict(extra="allow")
        name: str
        layers: list[dict[str, Any]]
        loss: str
        optimizer: dict[str, Any]
        data: dict[str, Any]

    with open(file, encoding="utf-8") as stream:
        data = YAML(typ="rt").load(stream)
    scenario = Scenario.model_validate(data)
    np.array(scenario.layers[0].get("weight", [[0.0]]), dtype=np.float64)
    table = Table("key", "value", title=scenario.name)
    for key, value in data.items():
        table.add_row(str(key), str(value)[:60])
    Console().print(table)


if __name__ == "__main__":
    app()
