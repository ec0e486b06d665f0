"""The run summary after a run of many steps: the loss chart and what moved most."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.cli import app

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
    assert trace.numerics == "exact" and list(trace.losses_before) == [1, Fraction(1, 1_000_000), 0]
    result = runner.invoke(app, ["run", str(path), "--quiet"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "(log scale); a loss of 0 draws nothing" in result.stdout


def test_one_step_chart_labels_are_exact_and_its_axis_reads_1() -> None:
    out = runner.invoke(app, ["run", "diagonal_flip", "--quiet"], env={"COLUMNS": "80"}).stdout
    lines = out.splitlines()
    assert "0.8963 ┤▁" in out and "0.8962" not in out
    assert lines[lines.index(next(ln for ln in lines if "└" in ln)) + 1].strip() == "1"
