"""The run summary: the loss chart (the loss after 0, 1, …, n steps) and its axis."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app
from backprop_trace.render.numbers import NumberStyle
from backprop_trace.render.summary import step_ticks
from backprop_trace.render.terminal import RenderOptions, phases, print_phase


def summary_lines(scenario: str, steps: int, width: int = 80) -> list[str]:
    """The summary as --quiet prints it: no step kept in full, so even one step has one."""
    path = scenarios_dir() / f"{scenario}.yaml"
    trace = run(load_scenario(path), steps=steps, keep=lambda k: False)
    console = Console(width=width, file=io.StringIO(), color_system=None)
    for phase in phases(trace, RenderOptions(), width):
        if phase.name == "summary":
            print_phase(console, phase)
    return console.file.getvalue().splitlines()  # type: ignore[attr-defined,no-any-return]


def chart(lines: list[str]) -> tuple[list[str], str]:
    """The chart's rows (from the top) and the line of step labels under its axis."""
    first = next(i for i, line in enumerate(lines) if "┤" in line)
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[first:axis], lines[axis + 1]


def test_a_one_step_run_draws_the_loss_before_and_after_the_step() -> None:
    trace = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"), steps=1)
    rows, ticks = chart(summary_lines("diagonal_flip", 1))
    num = NumberStyle()
    top, bottom = rows[0].split("┤")[0].strip(), rows[-1].split("┤")[0].strip()
    assert (top, bottom) == (num(trace.losses_before[0]), num(trace.losses_after[0]))
    assert top != bottom
    assert ticks.split() == ["0", "1"]
    drawn = rows[-1].split("┤")[1]
    assert len(set(drawn)) == 2, "two losses, two bars of different heights"


@pytest.mark.parametrize("steps", [2, 3, 12])
def test_a_short_run_labels_every_step_apart(steps: int) -> None:
    _, ticks = chart(summary_lines("diagonal_flip", steps))
    assert ticks.split() == [str(k) for k in range(steps + 1)]


def test_the_loss_after_the_last_step_is_plotted() -> None:
    steps = 5
    trace = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"), steps=steps)
    assert trace.losses_after[-1] < min(trace.losses_before), "the loss falls every step here"
    rows, _ = chart(summary_lines("diagonal_flip", steps))
    assert rows[-1].split("┤")[0].strip() == NumberStyle()(trace.losses_after[-1])


def test_a_long_run_labels_the_first_and_last_step() -> None:
    lines = summary_lines("diagonal_flip", 300, width=60)
    _, ticks = chart(lines)
    axis = next(line for line in lines if "└" in line)
    assert ticks.split() == ["0", "300"]
    assert len(ticks.rstrip()) == len(axis), "the last step's label ends under the last column"
    assert ticks.index("0") == axis.index("└") + 1, "the first under the first column"


@pytest.mark.parametrize("steps", [1, 2, 9, 10, 99, 100, 1000])
@pytest.mark.parametrize("room", [4, 10, 40, 90])
def test_step_ticks_never_run_together(steps: int, room: int) -> None:
    points = steps + 1
    columns = min(points, room)
    cell = max(1, min(4, room // points))
    ticks = step_ticks(steps, columns, cell)
    assert len(ticks) <= max(columns * cell, len(str(steps)) + 2)
    labels = ticks.split()
    assert labels[0] == "0" and labels[-1] == str(steps)
    assert labels == sorted(labels, key=int) and len(set(labels)) == len(labels)


runner = CliRunner()

# Two examples, one per step, with lr 1/2 and mse: a step on example 0 puts its prediction exactly
# on the target. Losses before each step, exactly: 1, 1/1000000, 0.
REACHES_ZERO = """\
name: reaches zero
layers:
  - type: linear
    weight: [[0], [0]]
loss: mse
optimizer: {type: sgd, lr: "1/2"}
data:
  inputs: [[1, 0], [0, 1]]
  targets: [1, "1/1000"]
  batch_size: 1
steps: 3
"""


def test_log_scale_survives_a_loss_of_exactly_zero(tmp_path: Path) -> None:
    path = tmp_path / "zero.yaml"
    path.write_text(REACHES_ZERO)
    trace = run(load_scenario(path))
    assert trace.numerics == "exact"
    assert list(trace.losses_before) == [1, Fraction(1, 1_000_000), 0]
    result = runner.invoke(app, ["run", str(path), "--quiet"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "(log scale); a loss of 0 draws nothing" in " ".join(result.stdout.split())


def test_one_step_chart_labels_are_exact_and_its_axis_reads_0_1() -> None:
    out = runner.invoke(app, ["run", "diagonal_flip", "--quiet"], env={"COLUMNS": "80"}).stdout
    lines = out.splitlines()
    assert "0.8963 ┤█" in out and "0.8962" not in out
    assert lines[lines.index(next(ln for ln in lines if "└" in ln)) + 1].split() == ["0", "1"]
