"""--check: central differences beside every analytic gradient."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from backprop_trace import layers as L
from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app

runner = CliRunner()
SCENARIOS = sorted(scenarios_dir().glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_check_passes_on_every_bundled_scenario(path: Path) -> None:
    trace = run(load_scenario(path), check=True)
    for step in trace.steps:
        assert step.check is not None and step.check.passed, step.check
        assert step.check.max_error < 1e-6  # an order of magnitude below the threshold
    assert any(step.check and step.check.compared for step in trace.steps), "nothing compared"


def test_kinks_are_reported_not_compared() -> None:
    check = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"), check=True).steps[0].check
    assert check is not None
    kinks = sorted(e.name for e in check.entries if e.kink)
    assert kinks == ["W1[0][0]", "W1[2][0]", "W1[3][0]", "b1[0]"]  # unit 0 sits exactly at 0
    assert all(e.analytic == 0 and e.numerical != 0 for e in check.entries if e.kink)


def test_a_wrong_gradient_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    right = L.Linear.backward

    def wrong(self, nx, x, y, grad_y, params, need_x=True):  # type: ignore[no-untyped-def]
        gx, grads = right(self, nx, x, y, grad_y, params, need_x)
        return gx, {name: g * 1.01 if g.ndim == 2 else g for name, g in grads.items()}

    monkeypatch.setattr(L.Linear, "backward", wrong)
    result = runner.invoke(app, ["run", "tanh_regression", "--check"], env={"COLUMNS": "100"})
    assert result.exit_code == 4
    assert "Gradient check: FAIL" in result.stdout and "✗" in result.stdout
    assert "gradient check failed at step 1" in result.stderr
    data = json.loads(
        runner.invoke(app, ["run", "tanh_regression", "--check", "-f", "json"]).stdout
    )
    assert data["steps"][0]["check"]["passed"] is False


def test_large_tensors_are_sampled() -> None:
    check = run(load_scenario(scenarios_dir() / "mnist_sized.yaml"), check=True).steps[0].check
    assert check is not None and check.total == 101_770
    assert len(check.entries) < 300 and check.passed
    assert np.isfinite([e.numerical for e in check.entries]).all()
