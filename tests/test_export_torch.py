"""`export torch`: the scripts run under real PyTorch and reproduce the tool's traces."""

from __future__ import annotations

import contextlib
import io
import json
import runpy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app
from backprop_trace.export_torch import torch_script
from backprop_trace.numerics import to_float

CASES = sorted((Path(__file__).parent / "torch_cases").glob("*.yaml")) + sorted(
    scenarios_dir().glob("*.yaml")
)


def run_script(script: str, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "script.py"
    path.write_text(script)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name="__main__")
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def close(ours: Any, theirs: Any, what: str) -> None:
    np.testing.assert_allclose(
        to_float(np.asarray(ours, dtype=object)),
        np.asarray(theirs, dtype=float),
        rtol=1e-9,
        atol=1e-12,
        err_msg=what,
    )


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_exported_script_reproduces_the_trace_under_torch(case: Path, tmp_path: Path) -> None:
    scenario = load_scenario(case)
    theirs = run_script(torch_script(scenario), tmp_path)
    ours = run(scenario, numerics="float64")
    assert theirs["format"] == "backprop-trace/1" and theirs["scenario"] == scenario.name
    assert len(theirs["steps"]) == scenario.steps
    for mine, step in zip(ours.steps, theirs["steps"], strict=False):
        if any(layer.near_kink for layer in mine.layers):
            # float64 rounding decides which side of the kink a unit falls: the trace says so,
            # and torch's summation order may decide differently. Nothing to compare from here.
            break
        at = f"{case.stem} step {mine.step}"
        assert list(mine.examples) == step["examples"], at
        close(mine.loss_before, step["loss_before"], at + " loss_before")
        close(mine.loss_after, step["loss_after"], at + " loss_after")
        close(mine.outputs_after, step["outputs_after"], at + " outputs_after")
        for p, q in zip(mine.params, step["params"], strict=True):
            assert p.name == q["name"] and p.trainable == q["trainable"]
            close(p.old, q["old"], f"{at} {p.name} old")
            close(p.new, q["new"], f"{at} {p.name} new")
            assert (p.grad is None) == (q["grad"] is None)
            if p.grad is not None:
                close(p.grad, q["grad"], f"{at} {p.name} grad")
        for layer, theirs_layer in zip(mine.layers, step["layers"], strict=True):
            close(layer.output, theirs_layer["output"], f"{at} {layer.name} output")
            if theirs_layer["grad_output"] is not None:
                close(layer.grad_output, theirs_layer["grad_output"], f"{at} {layer.name} flow")


@pytest.mark.torch
def test_diagonal_flip_shows_why_exact_arithmetic_matters(tmp_path: Path) -> None:
    scenario = load_scenario(scenarios_dir() / "diagonal_flip.yaml")
    theirs = run_script(torch_script(scenario), tmp_path)["steps"][0]
    exact = run(scenario).steps[0]
    assert exact.loss_after == pytest.approx(0.7257526444625)
    floats = run(scenario, numerics="float64").steps[0]
    assert floats.layers[1].near_kink == ((0, 0),)  # the tool flags what torch decides by rounding
    # Whichever side torch's rounding puts unit 0 on, the rest follows from it: a gradient through
    # the unit exactly when torch's loss after the step differs from the exact one.
    unit0_alive = any(row[0] != 0 for row in theirs["params"][0]["grad"])
    same_as_exact = theirs["loss_after"] == pytest.approx(float(exact.loss_after), rel=1e-12)
    assert unit0_alive != same_as_exact


def test_the_script_reads_as_a_lesson_and_compiles_without_torch() -> None:
    for path in sorted(scenarios_dir().glob("*.yaml")):
        script = torch_script(load_scenario(path))
        compile(script, path.name, "exec")
        for line in ("optimizer.zero_grad()", "loss.backward()", "optimizer.step()"):
            assert line in script
    learning = torch_script(load_scenario(scenarios_dir() / "learning_flow.yaml"))
    assert "ReLUAt(1.0)" in learning  # grad_at_zero 1 needs its own autograd function
    frozen = torch_script(load_scenario(scenarios_dir() / "frozen_layer.yaml"))
    assert "params['W1'].requires_grad_(False)" in frozen


def test_export_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "lesson.py"
    result = CliRunner().invoke(app, ["export", "torch", "diagonal_flip", "-o", str(out)])
    assert result.exit_code == 0 and "loss.backward()" in out.read_text()
    result = CliRunner().invoke(
        app, ["export", "torch", str(Path(__file__).parent / "bad" / "empty.yaml")]
    )
    assert result.exit_code == 2
