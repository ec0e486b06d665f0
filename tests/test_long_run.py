"""A 10,000-step run against PyTorch, and what a long run keeps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from approx import assert_tree_close
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.cli import app
from backprop_trace.numerics import Mode, to_float

LONG = Path(__file__).parent / "torch_cases" / "long" / "xor_sigmoid.yaml"


def test_ten_thousand_steps_match_torch_to_1e_6() -> None:
    expected = json.loads(LONG.with_suffix(".json").read_text())["losses_before"]
    trace = run(load_scenario(LONG), keep=lambda k: False)
    assert trace.total_steps == len(expected) == 10_000
    assert trace.steps == ()  # nothing kept in full
    np.testing.assert_allclose(trace.losses_before, expected, rtol=1e-6)
    assert expected[-1] < expected[0] / 10  # it learned: the comparison is not of a flat line


def test_json_holds_only_the_shown_steps() -> None:
    result = CliRunner().invoke(app, ["run", str(LONG), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [s["step"] for s in data["steps"]] == [1, 10_000]  # default for long runs
    assert data["total_steps"] == 10_000
    result = CliRunner().invoke(app, ["run", str(LONG), "-f", "json", "--show", "every:2500,7"])
    assert [s["step"] for s in json.loads(result.stdout)["steps"]] == [7, 2500, 5000, 7500, 10000]


def test_only_shown_steps_are_kept_in_memory() -> None:
    kept: list[int] = []
    trace = run(
        load_scenario(LONG),
        steps=500,
        keep=lambda k: k % 100 == 0,
        on_step=lambda k, loss, step: kept.append(k) if step is not None else None,
    )
    assert kept == [100, 200, 300, 400, 500]
    assert [s.step for s in trace.steps] == kept


@pytest.mark.parametrize("spec", ["foo", "0", "3-1", "every:0"])
def test_bad_show_specs_exit_2(spec: str) -> None:
    result = CliRunner().invoke(app, ["run", "diagonal_flip", "--show", spec])
    assert result.exit_code == 2


@pytest.mark.torch
def test_live_torch_agrees_with_the_long_fixture() -> None:
    import generate

    expected = json.loads(LONG.with_suffix(".json").read_text())
    live = generate.run_torch_losses(generate.LONG_RUN)["losses_before"]
    assert_tree_close(live, expected["losses_before"], rtol=1e-8)  # last bits differ by CPU


DIVERGING = """name: diverge
layers: [{type: linear, weight: [[1.5, -2], [0.5, 1]], bias: [0, 0]}, {type: tanh},
         {type: linear, weight: [[3], [2]]}]
loss: mse
optimizer: {type: sgd, lr: 40}
data: {input: [1, 2], target: [1]}
steps: 100
"""


def test_divergence_is_located_and_ends_with_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "diverge.yaml"
    path.write_text(DIVERGING)
    trace = run(load_scenario(path), keep=lambda k: k == 1)
    assert trace.diverged is not None
    d = trace.diverged
    assert trace.total_steps == 100 and len(trace.losses_before) == d.step < 100
    assert [s.step for s in trace.steps] == [1, d.step]  # the diverged step is kept in full
    assert not np.isfinite(d.value)
    result = CliRunner().invoke(app, ["run", str(path), "--format", "json"])
    assert result.exit_code == 3
    assert f"diverged at step {d.step}" in result.stderr
    assert json.loads(result.stdout)["diverged"]["step"] == d.step


def test_quiet_prints_only_the_summary() -> None:
    result = CliRunner().invoke(app, ["run", "adam_first_steps", "--quiet"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "Run summary" in result.stdout and "Forward pass" not in result.stdout
    assert "Loss after each step, from 0 (the start) to 3" in result.stdout
    assert "Moved most over the run" in result.stdout


GROWING = """name: growing fractions
layers:
  - {type: linear, weight: [["1/3", "2/7"], ["5/11", "-3/13"]], bias: [0.1, 0.2]}
  - {type: relu}
  - {type: linear, weight: [["1/17"], ["1/19"]]}
loss: mse
optimizer: {type: sgd, lr: "1/7"}
data: {input: [1, 2], target: [1]}
steps: 60
"""


def test_auto_leaves_exact_arithmetic_when_the_fractions_grow_too_large(tmp_path: Path) -> None:
    path = tmp_path / "growing.yaml"
    path.write_text(GROWING)
    trace = run(load_scenario(path))
    assert load_scenario(path).numerics == "exact"
    assert trace.numerics == "float64" and trace.numerics_reason.startswith("exact for steps 1–")
    exact_steps = int(trace.numerics_reason.split("–")[1].split(",")[0])
    assert 1 < exact_steps < 60 and len(trace.losses_after) == 60
    # the steps done exactly agree with a float64 run to float precision
    floats = run(load_scenario(path), numerics="float64")
    mixed = to_float(np.asarray(trace.losses_after, dtype=object))  # Fractions, then floats
    np.testing.assert_allclose(mixed, floats.losses_after, rtol=1e-9, atol=1e-12)


def test_exact_asked_for_stops_with_a_message_instead_of_running_for_ever(tmp_path: Path) -> None:
    path = tmp_path / "growing.yaml"
    path.write_text(GROWING + "numerics: exact\n")
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert "exact numerics: by step" in result.output and "numerics: float64" in result.output


def test_large_networks_are_traced_in_float64_under_auto() -> None:
    from backprop_trace.bundled import scenarios_dir

    scenario = load_scenario(scenarios_dir() / "mnist_sized.yaml")
    assert scenario.numerics == "float64"


def test_extreme_values_never_warn(recwarn: pytest.WarningsRecorder) -> None:
    """Overflow and NaN are facts of the run, reported in the trace; no numpy warning escapes."""
    import io
    import warnings

    from rich.console import Console

    from backprop_trace import scenario_from_dict
    from backprop_trace.render.export import render_html, render_markdown
    from backprop_trace.render.json import render_json
    from backprop_trace.render.terminal import RenderOptions, render_text

    warnings.simplefilter("error")
    scenario = scenario_from_dict(
        {
            "name": "extreme",
            "layers": [{"type": "linear", "weight": [[1e300, -1e300]]}, {"type": "softmax"}],
            "loss": "cross_entropy",
            "optimizer": {"type": "adam", "lr": 1e300},
            "data": {"inputs": [[1e300], [-1e300]], "targets": [0, 1]},
            "steps": 3,
            "numerics": "float64",
        }
    )
    trace = run(scenario)
    assert trace.diverged is not None
    render_json(trace)
    render_markdown(trace, RenderOptions())
    render_html(trace, RenderOptions())
    render_text(trace, Console(file=io.StringIO(), width=80), RenderOptions())
    assert not recwarn.list


def test_an_exact_run_that_outgrows_float64_is_reported_as_divergence(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    assert (
        CliRunner().invoke(app, ["new", str(path), "--sizes", "4,3,2", "--lr", "1000"]).exit_code
        == 0
    )
    assert load_scenario(path).numerics == "exact"
    for steps in ("100", "150"):
        result = CliRunner().invoke(app, ["run", str(path), "--steps", steps, "--quiet"])
        assert result.exit_code == 3, result.output
        assert "diverged at step" in result.stderr and "Traceback" not in result.output


def test_show_is_checked_even_with_quiet_and_says_when_it_picks_nothing() -> None:
    assert (
        CliRunner()
        .invoke(app, ["run", "tanh_regression", "--steps", "6", "--show", "5-2", "--quiet"])
        .exit_code
        == 2
    )
    result = CliRunner().invoke(app, ["run", "tanh_regression", "--steps", "6", "--show", "9"])
    assert result.exit_code == 0 and "picks none of the 6 steps" in result.stderr


@pytest.mark.parametrize("numerics", ["exact", "float64"])
def test_an_interrupted_run_is_the_steps_done_before_it(numerics: Mode) -> None:
    """Ctrl-C (here raised by the progress callback after step 7) ends the run with a trace of
    the 7 steps done: the same as a run of 7 steps, marked interrupted."""
    scenario = load_scenario("diagonal_flip")

    def report(step: int, loss: float, _: object) -> None:
        if step == 7:
            raise KeyboardInterrupt

    stopped = run(
        scenario, steps=50, numerics=numerics, keep=lambda k: k in (1, 50), on_step=report
    )
    seven = run(scenario, steps=7, numerics=numerics)
    assert stopped.interrupted and not seven.interrupted
    assert stopped.total_steps == 50
    assert stopped.losses_before == seven.losses_before
    # the summary ends on the loss after the last step done, though that step was not kept
    assert float(stopped.losses_after[-1]) == pytest.approx(float(seven.losses_after[-1]))
    assert [s.step for s in stopped.steps] == [1]
    for name, value in seven.final_params.items():
        np.testing.assert_allclose(
            to_float(stopped.final_params[name]), to_float(value), rtol=1e-12
        )


@pytest.mark.parametrize(
    "optimizer", ["{type: sgd, lr: 40, momentum: 0.9}", "{type: adam, lr: 1e200}"]
)
def test_a_diverging_step_whose_state_was_written_in_place_is_shown_in_full(
    tmp_path: Path, optimizer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step no trace keeps writes its optimizer state in place; when it diverges, the run is
    made again with new arrays to show that step in full: the same trace as a run that never
    writes in place, each step reported once."""
    from backprop_trace import engine

    path = tmp_path / "diverge.yaml"
    path.write_text(DIVERGING.replace("{type: sgd, lr: 40}", optimizer))
    scenario = load_scenario(path)
    never = engine._run(scenario, None, None, lambda k: False, None, False, reuse=False)
    assert never.diverged is not None and never.diverged.step >= 2  # a state before it
    runs: list[bool] = []
    inner = engine._run

    def spy(*args: object, reuse: bool) -> object:
        runs.append(reuse)
        return inner(*args, reuse=reuse)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_run", spy)
    reported: list[int] = []
    trace = run(scenario, keep=lambda k: False, on_step=lambda k, loss, s: reported.append(k))
    assert runs == [True, False]  # in place, then again to show the diverged step
    assert reported == list(range(1, never.diverged.step + 1))
    assert trace.diverged == never.diverged
    assert [s.step for s in trace.steps] == [never.diverged.step]
    shown, full = trace.steps[0], never.steps[0]
    for a, b in zip(shown.params, full.params, strict=True):
        for x, y in ((a.old, b.old), (a.grad, b.grad), (a.new, b.new)):
            np.testing.assert_array_equal(to_float(x), to_float(y))
        assert a.state.keys() == b.state.keys() and a.state
        for key in a.state:
            np.testing.assert_array_equal(a.state[key], b.state[key])
