"""Regressions found by independent reviews."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.cli import app

runner = CliRunner()


def test_an_exact_run_that_outgrows_float64_is_reported_as_divergence(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    assert runner.invoke(app, ["new", str(path), "--sizes", "4,3,2", "--lr", "1000"]).exit_code == 0
    assert load_scenario(path).numerics == "exact"
    for steps in ("100", "150"):
        result = runner.invoke(app, ["run", str(path), "--steps", steps, "--quiet"])
        assert result.exit_code == 3, result.output
        assert "diverged at step" in result.stderr and "Traceback" not in result.output


def test_log_scale_survives_a_loss_of_exactly_zero() -> None:
    result = runner.invoke(
        app, ["run", "tanh_regression", "--steps", "458", "--quiet"], env={"COLUMNS": "80"}
    )
    assert "(log scale); a loss of 0 draws nothing" in result.stdout


def test_one_step_chart_labels_are_exact_and_its_axis_reads_0_1() -> None:
    out = runner.invoke(app, ["run", "diagonal_flip", "--quiet"], env={"COLUMNS": "80"}).stdout
    lines = out.splitlines()
    assert "0.8963 ┤█" in out and "0.8962" not in out
    assert lines[lines.index(next(ln for ln in lines if "└" in ln)) + 1].split() == ["0", "1"]


def test_show_is_checked_even_with_quiet_and_says_when_it_picks_nothing() -> None:
    assert (
        runner.invoke(
            app, ["run", "tanh_regression", "--steps", "6", "--show", "5-2", "--quiet"]
        ).exit_code
        == 2
    )
    result = runner.invoke(app, ["run", "tanh_regression", "--steps", "6", "--show", "9"])
    assert result.exit_code == 0 and "picks none of the 6 steps" in result.stderr


def test_saved_file_says_batches_start_again(tmp_path: Path) -> None:
    out = tmp_path / "o.yaml"
    runner.invoke(app, ["run", "adam_first_steps", "-q", "--save", str(out)])
    text = out.read_text()
    assert "Batches start again from the first" in text and "state (adam) is not saved" in text
    assert run(load_scenario(out)).steps
