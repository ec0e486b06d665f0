"""The terminal trace through the CLI: --step, options, plain output, literal text."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from backprop_trace import cli, load_scenario, run
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


class _Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


ERASE = ("\x1b[1A", "\x1b[2K")  # cursor up, erase line


@pytest.mark.parametrize("typed", ["", "go on"])  # Ctrl-D on an empty line, or after text
def test_ctrl_d_at_a_pause_erases_nothing(typed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = _Tty()
    monkeypatch.setattr(sys, "stdin", _Tty(typed))
    monkeypatch.setattr(sys, "stderr", screen)
    answer = cli._ask("Enter: next · q: quit ")
    assert answer == (typed or None)
    assert not any(code in screen.getvalue() for code in ERASE)
    assert screen.getvalue().endswith("\n")  # what follows starts on a line of its own


def test_an_answered_pause_erases_only_its_own_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = _Tty()
    monkeypatch.setattr(sys, "stdin", _Tty("\n"))
    monkeypatch.setattr(sys, "stderr", screen)
    assert cli._ask("Enter: next · q: quit ") == "\n"
    assert screen.getvalue() == "Enter: next · q: quit " + "".join(ERASE)


def _in_a_terminal(args: list[str], env: dict[str, str], keys: bytes = b"") -> str:
    """Run the CLI in a pseudo-terminal; once it pauses (or at once, without keys), type keys;
    everything it showed."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "backprop_trace", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env={**os.environ, "COLUMNS": "100", "LINES": "50", **env},
        close_fds=True,
    )
    os.close(child)
    shown = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if keys and b"q: quit" in shown:
            os.write(main, keys)
            keys = b""
        ready, _, _ = select.select([main], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the program ended
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=60)
    os.close(main)
    return shown.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_ctrl_d_in_a_real_terminal_keeps_the_last_row_on_screen() -> None:
    shown = _in_a_terminal(["run", "diagonal_flip", "--step"], {"NO_COLOR": "1"}, b"\x04")
    assert "stopped: end of input" in shown
    assert not any(code in shown for code in ERASE), repr(shown[-300:])
    last_row = shown.split("Enter: Step 1")[0].rstrip().splitlines()[-1]
    assert "Data" in last_row and "1 example" in last_row


COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_the_readme_says_what_no_color_and_plain_text_do(tmp_path: Path) -> None:
    """The README's claims: NO_COLOR drops the colour but keeps bold; TERM=dumb, a pipe or
    --output give plain text. Checked against what a terminal receives."""
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text().split())
    assert "`NO_COLOR` turns the colour off and keeps bold" in readme
    assert "pipe the output, set `TERM=dumb`, or write it to a file with `--output`" in readme
    coloured = _in_a_terminal(["run", "diagonal_flip"], {"TERM": "xterm-256color"})
    assert COLOUR.search(coloured) and "\x1b[1m" in coloured  # colour and bold: the baseline
    no_color = _in_a_terminal(["run", "diagonal_flip"], {"NO_COLOR": "1", "TERM": "xterm"})
    assert "\x1b[1m" in no_color and not COLOUR.search(no_color)
    dumb = _in_a_terminal(["run", "diagonal_flip"], {"TERM": "dumb"})
    assert "Step 1 · 5. Verify" in dumb and "\x1b[" not in dumb
    assert "\x1b[" not in invoke("run", "diagonal_flip").stdout  # piped
    written = tmp_path / "trace.txt"
    assert invoke("run", "diagonal_flip", "--output", str(written)).exit_code == 0
    assert "\x1b[" not in written.read_text()


def test_the_readme_says_how_long_a_pause_waits_without_a_terminal() -> None:
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text().split())
    said = re.findall(r"a pause waits at most (\d+(?:\.\d+)?) seconds", readme)
    assert said and all(float(s) == cli.STDIN_WAIT_SECONDS for s in said), said


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


@pytest.mark.parametrize(
    ("columns", "left_out", "header"),
    [
        (80, "m", "Gradient           v         m̂        v̂      Step"),
        (76, "m, v", "Gradient         m̂        v̂      Step"),
    ],
)
def test_a_narrow_update_table_leaves_out_adams_raw_moments_first(
    columns: int, left_out: str, header: str
) -> None:
    """As few terms as the width needs, m before v; the tables then fit the width exactly."""
    out = runner.invoke(
        app, ["run", "adam_first_steps"], env={"COLUMNS": str(columns), "NO_COLOR": "1"}
    ).stdout
    assert f"({left_out} not shown at this width; --format json has every term)" in out
    assert header in out
    assert max(cell_len(line) for line in out.splitlines()) <= columns


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


def test_a_loss_change_within_float_rounding_shows_as_zero_and_claims_nothing() -> None:
    """With lr 1e-16 the weights move by a unit in their last place: the change between the two
    losses (about 3e-15 of 3.9) is within the rounding bound of their difference, so it is ≈ 0,
    and no note says the loss rose or fell."""
    data = {
        "name": "tiny step",
        "numerics": "float64",
        "layers": [
            {"type": "linear", "weight": [[0.37, -0.52], [0.81, 0.16]], "bias": [0.1, -0.2]},
            {"type": "tanh"},
            {"type": "linear", "weight": [[0.63], [-0.44]], "bias": [0.05]},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 1e-16},
        "data": {"input": [0.3, -0.7], "target": [2.0]},
    }
    step = run(scenario_from_dict(data)).steps[0]
    change = step.loss_after - step.loss_before
    assert 0 < abs(change) <= 1e-14  # what float64 made of a step of 1e-16
    text = _plain(data)
    loss_row = [line for line in text.splitlines() if line.startswith("Loss  ")][-1]  # Verify
    assert loss_row.split()[-2:] == ["≈", "0"], loss_row
    assert "The loss rose" not in text and "while the loss falls" not in text


def test_a_genuine_loss_change_is_shown_however_small() -> None:
    """A change far above the rounding bound shows with its sign, even at lr 1e-9."""
    data = {
        "name": "small step",
        "numerics": "float64",
        "layers": [{"type": "linear", "weight": [[0.5]], "bias": [0.0]}, {"type": "tanh"}],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 1e-9},
        "data": {"input": [1.0], "target": [2.0]},
    }
    text = _plain(data)
    loss_row = [line for line in text.splitlines() if line.startswith("Loss  ")][-1]  # Verify
    assert "≈" not in loss_row and "-" in loss_row.split()[-2], loss_row


def test_an_error_within_rounding_of_y_minus_t_is_zero_and_so_is_all_it_makes() -> None:
    """y = 1·0.1 + 0.2 is 0.30000000000000004 in float64, the target 0.3: the error 5.6e-17 is
    within the rounding of y − t, so it, the loss, the learning flow and the gradients show as
    ≈ 0, and no note says an output moved away or the loss rose."""
    data = {
        "name": "on target",
        "numerics": "float64",
        "layers": [{"type": "linear", "weight": [[0.1]], "bias": [0.2]}],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
        "data": {"input": [1.0], "target": [0.3]},
    }
    step = run(scenario_from_dict(data)).steps[0]
    assert step.outputs_before[0][0] - 0.3 != 0 and step.loss_before != 0  # rounding, not 0
    text = _plain(data)
    assert "L = mean((y - t)²) ≈ 0" in text
    rows = [line.split() for line in text.splitlines()]
    assert ["0", "0.3000", "0.3000", "≈", "0", "≈", "0"] in rows  # output, y, t, error, share
    assert ["Loss", "≈", "0", "0.0000", "≈", "0"] in rows  # verify: rounding to exactly 0
    for grid in ("dL/dW1", "dL/db1"):
        lines = text.splitlines()
        assert lines[lines.index(grid) + 3].split()[-2:] == ["≈", "0"], grid
    assert "Moved away" not in text and "The loss rose" not in text


def test_a_loss_change_past_tenfold_reads_as_a_factor() -> None:
    from backprop_trace.render.tables import _percent

    assert _percent(-0.19021, 1.0) == " (-19.02%)"
    assert _percent(8.0, 1.0) == " (+800.00%)"
    assert _percent(2.7777841098674516e14, 1.0) == " (×2.778e+14)"  # not +27777841098674516%
    assert _percent(Fraction(10), Fraction(1)) == " (×11)"
    assert _percent(1.0, 0) == ""


def test_a_kinds_own_table_is_laid_out_with_the_runs_number_style() -> None:
    """Layer.forward_tables gives plain data: text stays text (escaped), numbers follow
    --precision and --fractions, marked numbers take their tone, long tables are cut."""
    from backprop_trace.layers import Marked, TableData
    from backprop_trace.render.view import View

    trace = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"))
    view = View(trace, RenderOptions(precision=2), 80)
    rows = tuple(
        (f"w{i}\x1b[31m", Fraction(1, 3), Marked(Fraction(-1, 2), "blocked")) for i in range(45)
    )
    table = view.plain_table(TableData("Winners", ("window", "value", "marked"), rows, "a caption"))
    out = io.StringIO()
    Console(width=80, file=out, color_system=None).print(table)
    text = out.getvalue()
    assert "Winners" in text and "a caption" in text
    assert "0.33" in text and "-0.50" in text and "1/3" not in text
    assert "\x1b" not in text and "w0\\x1b[31m" in text
    assert "(5 more rows not shown" in text
    exact = View(trace, RenderOptions(fractions=True), 80)
    out = io.StringIO()
    Console(width=80, file=out, color_system=None).print(
        exact.plain_table(TableData("t", ("v",), ((Fraction(1, 3),),)))
    )
    assert "1/3" in out.getvalue()


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_step_on_a_terminal_takes_single_keys_and_goes_back() -> None:
    """run --step in a real terminal: Enter goes on, b after the loss re-shows the forward
    pass, a lone q quits at once with status 0."""
    from terminal_driver import Terminal

    term = Terminal(["run", "diagonal_flip", "--step"], env={"NO_COLOR": "1"})
    term.wait_for("Enter: Step 1 · 1. Forward pass · q: quit")  # nothing to go back to yet
    term.press(b"\r")
    term.wait_for("Enter: Step 1 · 2. Loss · b: back")
    term.press(b" ")  # space goes on too
    term.wait_for("Enter: Step 1 · 3. Backward pass · b: back")
    assert "Step 1 · 2. Loss" in term.text()
    term.press(b"b")
    term.wait_for("Enter: Step 1 · 2. Loss · b: back")  # after the forward pass, again
    assert term.raw.count(b"1. Forward pass \xe2\x94\x80") == 2  # the heading, twice
    lines = term.text().splitlines()
    heading = max(i for i, line in enumerate(lines) if "Step 1 · 1. Forward pass ─" in line)
    assert heading > max(i for i, line in enumerate(lines) if "Step 1 · 2. Loss ─" in line)
    term.press(b"q")
    assert term.finish() == 0
    assert b"3. Backward pass" not in term.raw.split(b"Forward pass")[-1]


def test_step_without_a_terminal_reads_lines_and_goes_back() -> None:
    result = invoke("run", "diagonal_flip", "--step", stdin="\n\nb\nq\n")
    assert result.exit_code == 0
    assert result.stdout.count("Step 1 · 1. Forward pass") == 2
    assert "3. Backward pass" not in result.stdout
