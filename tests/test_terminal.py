"""The terminal trace through the CLI: --step, options, plain output, literal text."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path
from typing import Any

from rich.console import Console
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app
from backprop_trace.render.terminal import RenderOptions, render_text
from backprop_trace.scenario import scenario_from_dict

runner = CliRunner()
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}


def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin, env=ENV)


def test_all_five_phases_and_the_counts() -> None:
    result = invoke("run", "diagonal_flip.yaml")
    assert result.exit_code == 0
    out = result.stdout
    for title in ("1. Forward pass", "2. Loss", "3. Backward pass", "4. Update", "5. Verify"):
        assert f"Step 1 · {title}" in out
    assert "(exactly 717/800)" in out
    assert "Loss exactly: 717/800 → 58060211557/80000000000" in out
    assert "12 of 31 parameters changed; 19 unchanged (19 zero gradient)." in out
    assert "Weight         Old   Gradient   η × grad       New" in out
    assert "\x1b[" not in out  # no colour when piped


def test_step_pauses_at_every_phase_and_q_quits() -> None:
    result = invoke("run", "diagonal_flip", "--step", stdin="\n\nq\n")
    assert result.exit_code == 0
    assert "1. Forward pass" in result.stdout and "2. Loss" in result.stdout
    assert "3. Backward pass" not in result.stdout
    assert result.stderr.count("q: quit") == 3


def test_step_runs_to_the_end_with_enter_and_pauses_between_phases() -> None:
    result = invoke("run", "adam_first_steps", "--step", stdin="\n" * 100)
    assert result.exit_code == 0
    # header + 3 steps of 5 phases + summary = 17 screens, 16 pauses between them
    assert result.stderr.count("q: quit") == 16
    assert "Run summary" in result.stdout


def test_step_ends_cleanly_at_end_of_input() -> None:
    result = invoke("run", "diagonal_flip", "--step", stdin="")
    assert result.exit_code == 0
    assert "stopped: end of input" in result.stderr
    assert "1. Forward pass" not in result.stdout
    assert "Traceback" not in result.output


def test_step_does_not_go_with_json() -> None:
    result = invoke("run", "diagonal_flip", "--step", "--format", "json")
    assert result.exit_code == 2


def test_precision_and_fractions() -> None:
    assert (
        "L = mean((y - t)²) = 0.896250" in invoke("run", "diagonal_flip", "--precision", "6").stdout
    )
    exact = invoke("run", "diagonal_flip", "--fractions").stdout
    assert "L = mean((y - t)²) = 717/800" in exact
    rows = [line.split() for line in exact.splitlines()]
    assert ["W2[2][2]", "1/10", "-1/80", "-1/800", "81/800"] in rows  # old, grad, η × grad, new
    assert ["b1[2]", "0", "11/25", "11/250", "-11/250"] in rows


def test_fractions_on_a_float_trace_says_so() -> None:
    result = invoke("run", "tanh_regression", "--fractions")
    assert result.exit_code == 0
    assert "this trace is float64" in result.stderr


def test_markup_and_html_in_names_are_shown_literally(tmp_path: Path) -> None:
    path = tmp_path / "markup.yaml"
    path.write_text(
        'name: "[bold red]Loud[/] <script>alert(1)</script> — ünïcødé"\n'
        'description: "[link=x]click[/link]"\n'
        "layers: [{type: linear, weight: [[1]], name: '[red]layer[/]'}]\n"
        "loss: sse\noptimizer: {type: sgd, lr: 0.1}\ndata: {input: [1], target: [0]}\n"
    )
    result = invoke("run", str(path))
    assert result.exit_code == 0, result.output
    assert "[bold red]Loud[/] <script>alert(1)</script> — ünïcødé" in result.stdout
    assert "[link=x]click[/link]" in result.stdout
    assert "[red]layer[/].weight" in result.stdout


def _plain(data: dict[str, Any]) -> str:
    console = Console(width=100, file=io.StringIO(), color_system=None)
    render_text(run(scenario_from_dict(data)), console, RenderOptions())
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def _two_examples(x: float, w: float, b: float, targets: list[str]) -> dict[str, Any]:
    """y = x·w + b on two examples of the same input, float64."""
    return {
        "name": "cancelling",
        "numerics": "float64",
        "layers": [{"type": "linear", "weight": [[w]], "bias": [b]}],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.1},
        "data": {"inputs": [[x], [x]], "targets": [[t] for t in targets]},
    }


def test_a_gradient_that_cancels_over_the_batch_shows_as_zero_not_as_noise() -> None:
    """The two errors are e and -e exactly (targets y ± e); float64 leaves -2.2e-16 in the bias
    gradient, which is rounding noise of the sum over the batch."""
    data = _two_examples(0.53, -0.73, 0.69, ["5631/10000", "431/10000"])
    step = run(scenario_from_dict(data)).steps[0]
    assert step.param("b1").grad is not None and step.param("b1").grad[0] != 0  # the noise
    rows = [line.split() for line in _plain(data).splitlines()]
    assert ["≈", "0"] in rows  # the dL/db1 grid's one cell
    assert not any("e-16" in cell or "e-17" in cell for row in rows for cell in row)


def test_a_genuinely_tiny_gradient_still_shows() -> None:
    data = _two_examples(1e-30, 1e-30, 0.0, ["2e-60", "3e-60"])
    text = _plain(data)
    grad = run(scenario_from_dict(data)).steps[0].param("b1").grad
    assert grad is not None and abs(grad[0]) < 1e-50
    assert "≈ 0" not in text and "e-60" in text


def test_the_mean_of_a_summarised_tensor_is_zero_to_rounding_where_it_cancels() -> None:
    """Softmax cross-entropy's learning flow sums to 0 over each example's outputs: the mean of
    the summarised dL/d linear2 is 0 to float64's precision."""
    text = invoke("run", "softmax_classification.yaml", "--table-limit", "1").stdout
    flow = next(line for line in text.splitlines() if line.startswith("dL/d linear2"))
    assert flow.split()[3:5] == ["≈", "0"], flow


def test_the_mean_of_a_summarised_exact_tensor_is_exact() -> None:
    text = invoke("run", "diagonal_flip.yaml", "--table-limit", "1", "--fractions").stdout
    trace = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"))
    grad = trace.steps[0].param("W2").grad
    assert grad is not None
    mean = sum(grad.flat, Fraction(0)) / grad.size
    row = next(line for line in text.splitlines() if line.startswith("gradient"))
    assert row.split()[2] == str(mean)


def test_a_learning_flow_that_cancels_shows_as_zero_and_so_do_the_gradients_it_makes() -> None:
    """Two outputs of equal weight, errors e and -e exactly: dL/d linear1 = w·(g0 + g1) is 0,
    but float64 leaves ~1e-17 in it and in dL/dW1 = x · that flow; both are rounding noise of
    the sum over linear2's units, carried into W1's gradient."""
    data = {
        "name": "cancelling flow",
        "numerics": "float64",
        "layers": [
            {"type": "linear", "weight": [[0.09]]},
            {"type": "identity"},
            {"type": "linear", "weight": [[-0.26, -0.26]], "bias": [0.21, 0.21]},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.1},
        "data": {"input": [-0.52], "target": ["59021/125000", "-3479/125000"]},
    }
    step = run(scenario_from_dict(data)).steps[0]
    grad = step.param("W1").grad
    assert step.layers[0].grad_output[0][0] != 0 and grad is not None and grad[0][0] != 0
    lines = _plain(data).splitlines()
    flow = lines[lines.index("Learning flow: linear1 → identity1  (1 → 1)") + 3]
    assert flow.split() == ["0", "≈", "0", "≈", "0"]
    w1 = lines[lines.index("dL/dW1") + 3]
    assert w1.split() == ["in", "0", "≈", "0"]
