"""The terminal trace through the CLI: --step, options, plain output, literal text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from backprop_trace.cli import app

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


def test_a_leaky_relu_unit_at_zero_is_on_the_kink_in_the_table_as_in_the_note(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "leaky.yaml"
    scenario.write_text(
        "name: leaky at its kink\n"
        "layers:\n"
        "  - {type: linear, weight: [[1, -1, 0]], bias: [0, 0, 0]}\n"
        "  - {type: leaky_relu, slope: 0.1}\n"
        "  - {type: linear, weight: [[1], [1], [1]]}\n"
        "loss: mse\n"
        "optimizer: {type: sgd, lr: 0.1}\n"
        "data: {input: [1], target: [0]}\n"
    )
    out = invoke("run", str(scenario)).stdout
    forward = out.split("1. Forward pass", 1)[1].split("2. Loss", 1)[0]
    rows = {line.split()[0]: line for line in forward.splitlines() if line[:1] in ("0", "1", "2")}
    assert "leaky_relu1 unit 2's pre-activation is exactly 0, on the kink" in out
    assert rows["2"].rstrip().endswith("at kink: slope")
    assert rows["1"].rstrip().endswith("negative side")  # -1: below the kink
    assert "negative side" not in rows["2"]


def test_adams_columns_hold_what_their_labels_name_in_the_order_the_rule_computes_them() -> None:
    from backprop_trace import load_scenario, run
    from backprop_trace.bundled import scenarios_dir

    scenario = load_scenario(scenarios_dir() / "adam_first_steps.yaml")
    opt = scenario.optimizer
    b1, b2 = float(opt.beta1), float(opt.beta2)  # type: ignore[attr-defined]
    g1, g2 = (np.asarray(step.param("W1").grad, dtype=float) for step in run(scenario).steps[:2])
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2  # two steps from m = v = 0
    v = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    expected = {"m": m, "v": v, "m̂": m / (1 - b1**2), "v̂": v / (1 - b2**2)}
    out = invoke("run", "adam_first_steps").stdout
    update = out.split("Step 2 of 3 · 4. Update", 1)[1].split("b1:", 1)[0]
    lines = update.splitlines()
    header = next(line.split() for line in lines if line.startswith("Weight"))
    assert header[3:7] == ["m", "v", "m̂", "v̂"]  # as the rule above the table computes them
    rows = [line.split() for line in lines if line.startswith("W1[")]
    assert len(rows) == g1.size
    for row in rows:
        i, j = (int(k) for k in row[0][3:-1].split("]["))
        for label, values in expected.items():
            shown = float(row[header.index(label)])
            assert abs(shown - values[i][j]) <= 1e-4 + 1e-3 * abs(values[i][j]), (label, row)


def test_a_narrow_update_table_leaves_out_adams_raw_moments_first() -> None:
    out = runner.invoke(
        app, ["run", "adam_first_steps"], env={"COLUMNS": "80", "NO_COLOR": "1"}
    ).stdout
    assert "(m, v not shown at this width; --format json has every term)" in out
    assert "Gradient         m̂        v̂      Step" in out


def test_a_single_parameter_is_counted_in_the_singular(tmp_path: Path) -> None:
    scenario = tmp_path / "one.yaml"
    scenario.write_text(
        "name: one weight\nlayers: [{type: linear, weight: [[1]]}]\nloss: mse\n"
        "optimizer: {type: sgd, lr: 0.1}\ndata: {input: [1], target: [0]}\n"
    )
    out = invoke("run", str(scenario)).stdout
    assert "1 of 1 parameter changed; 0 unchanged." in out
    assert "Network     1 input → linear1 (1→1) → 1 output" in out


def test_weight_decay_that_cancels_the_gradient_is_not_called_a_step_too_small(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "cancel.yaml"
    scenario.write_text(  # grad = 2(w - t) = -0.1 and wd × w = 0.1: the step is exactly 0
        "name: cancelled\nlayers: [{type: linear, weight: [[1]]}]\nloss: sse\n"
        "optimizer: {type: sgd, lr: 0.1, weight_decay: 0.1}\n"
        "data: {input: [1], target: [1.05]}\n"
    )
    out = invoke("run", str(scenario)).stdout
    assert "W1: 0 of 1 changed; 1 unchanged: the step is exactly 0" in out
    assert "too small" not in out
    float64 = invoke("run", str(scenario), "--numerics", "float64").stdout
    assert "step 0 or too small for float64" in float64
