"""The command line: exit codes, name resolution, listing, options."""

from __future__ import annotations

import contextlib
import gc
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from backprop_trace import cli
from backprop_trace.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def test_bundled_scenario_runs_by_name_from_any_folder(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for name in ("diagonal_flip.yaml", "diagonal_flip"):
        result = runner.invoke(app, ["run", name, "--format", "json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["scenario"] == "Diagonal flip"
        assert data["steps"][0]["loss_before_exact"] == "717/800"


def test_a_file_in_the_current_folder_wins_over_a_bundled_one(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "scenarios" / "diagonal_flip.yaml").read_text()
    (tmp_path / "diagonal_flip.yaml").write_text(text.replace("name: Diagonal flip", "name: Mine"))
    result = runner.invoke(app, ["run", "diagonal_flip.yaml", "--format", "json"])
    assert json.loads(result.stdout)["scenario"] == "Mine"


def test_missing_file_is_bad_input() -> None:
    result = runner.invoke(app, ["run", "no_such_scenario.yaml"])
    assert result.exit_code == 2
    assert "no_such_scenario.yaml: no such file" in result.output
    assert "backprop-trace list" in result.output


def test_list_names_every_bundled_scenario() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    for path in (ROOT / "scenarios").glob("*.yaml"):
        assert path.name in result.output


def test_steps_option_overrides_the_file() -> None:
    result = runner.invoke(app, ["run", "diagonal_flip", "--format", "json", "--steps", "3"])
    data = json.loads(result.stdout)
    assert [s["step"] for s in data["steps"]] == [1, 2, 3]
    losses = [s["loss_before"] for s in data["steps"]]
    assert losses == sorted(losses, reverse=True)
    assert data["steps"][0]["loss_after"] == data["steps"][1]["loss_before"]  # same batch


@pytest.mark.parametrize("bad", [["--steps", "0"], ["--format", "xml"], ["--numerics", "quad"]])
def test_bad_options_exit_2(bad: list[str]) -> None:
    assert runner.invoke(app, ["run", "diagonal_flip", *bad]).exit_code == 2


def test_numerics_option() -> None:
    result = runner.invoke(app, ["run", "diagonal_flip", "-f", "json", "--numerics", "float64"])
    data = json.loads(result.stdout)
    assert data["numerics"] == "float64"
    assert data["steps"][0]["layers"][1]["near_kink"] == [[0, 0]]


def test_exact_numerics_refused_where_impossible(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "diagonal_flip.yaml").read_text()
    path = tmp_path / "tanh.yaml"
    path.write_text(text.replace("type: relu", "type: tanh"))
    result = runner.invoke(app, ["run", str(path), "--numerics", "exact"])
    assert result.exit_code == 2
    assert "tanh" in result.output and "not rational" in result.output


def test_text_output_says_which_arithmetic() -> None:
    result = runner.invoke(app, ["run", "diagonal_flip"])
    assert result.exit_code == 0
    assert "exact" in result.stdout


def _main(argv: list[str], monkeypatch) -> int:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", ["backprop-trace", *argv])
    try:
        with pytest.raises(SystemExit) as exited:
            cli.main()
    finally:  # main() leaves the collector as a process that ends would: this one goes on
        gc.enable()
        gc.unfreeze()
    return int(exited.value.code or 0)


def test_no_collection_runs_during_start_up_and_they_are_back_for_the_training(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """main() turns garbage collection off for start-up (imports, reading the scenario) and
    back on when the run begins, start-up's objects moved out of its way."""
    from backprop_trace import engine, scenario

    seen: list[tuple[str, bool, bool]] = []
    load, train = scenario.load_scenario, engine.run

    def loading(*args: Any, **kwargs: Any) -> Any:
        seen.append(("load", gc.isenabled(), gc.get_freeze_count() > 0))
        return load(*args, **kwargs)

    def training(*args: Any, **kwargs: Any) -> Any:
        seen.append(("run", gc.isenabled(), gc.get_freeze_count() > 0))
        return train(*args, **kwargs)

    monkeypatch.setattr("backprop_trace.scenario.load_scenario", loading)
    monkeypatch.setattr("backprop_trace.engine.run", training)
    assert _main(["run", "diagonal_flip", "--quiet"], monkeypatch) == 0
    assert seen == [("load", False, False), ("run", True, True)]


def test_a_bug_is_a_short_message_and_exit_70(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("backprop_trace.engine.run", broken)
    assert _main(["run", "diagonal_flip"], monkeypatch) == 70
    err = capsys.readouterr().err
    assert "this is a bug" in err and "--debug" in err and "Traceback" not in err
    assert _main(["run", "diagonal_flip", "--debug"], monkeypatch) == 70
    assert "Traceback" in capsys.readouterr().err


def test_interrupt_is_exit_130_without_traceback(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("backprop_trace.engine.run", interrupted)
    assert _main(["run", "diagonal_flip"], monkeypatch) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


def test_python_dash_m_and_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "backprop_trace", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("backprop-trace ")


@pytest.mark.parametrize(
    "args", [["--format", "pdf"], ["--format", "JSON"], ["--numerics", "quad"]]
)
def test_a_bad_choice_is_a_clean_message_listing_the_choices(args: list[str]) -> None:
    result = runner.invoke(app, ["run", "diagonal_flip", *args])
    assert result.exit_code == 2
    assert "Value error" not in result.output
    choices = cli.OutputFormat if args[0] == "--format" else cli.NumericsChoice
    assert f"is not one of {', '.join(c.value for c in choices)}" in result.output
    if args[1] == "JSON":
        assert "did you mean 'json'?" in result.output


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    subcommands = getattr(command, "commands", {})
    if not subcommands:
        yield path
    for name, sub in subcommands.items():
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_describes_every_option_with_clean_metavars(path: tuple[str, ...]) -> None:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    for param in command.params:
        assert getattr(param, "help", None), (path, param.name)
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    assert not re.search(r"<\w[^>]*>|\{[A-Z.]+\}", result.output), result.output


def test_ctrl_c_in_a_long_run_prints_the_summary_of_the_steps_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @contextlib.contextmanager
    def progress(total: int) -> Iterator[Callable[[int, float, object], None]]:
        def report(step: int, loss: float, _: object) -> None:
            if step == 40:
                raise KeyboardInterrupt

        yield report

    monkeypatch.setattr("backprop_trace.render.progress.progress", progress)
    result = runner.invoke(app, ["run", "tanh_regression", "--steps", "1000", "--quiet"])
    assert result.exit_code == 130
    assert "Run summary" in result.stdout and "Step 1 " not in result.stdout  # --quiet
    assert "after step 40;" in result.stdout.replace("\n", " ")
    assert "interrupted after 40 of 1000 steps" in result.stderr
    # without --quiet, the steps kept in full before Ctrl-C are printed too (the header, step 1)
    result = runner.invoke(app, ["run", "tanh_regression", "--steps", "1000"])
    assert result.exit_code == 130
    assert "Tanh regression" in result.stdout and "Step 1 of 1000 · 1. Forward" in result.stdout
    assert "Run summary" in result.stdout and "Step 1000 " not in result.stdout


def test_validate_counts_files_in_good_english(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: nothing else\n")
    one = runner.invoke(app, ["validate", str(bad)])
    assert one.exit_code == 2 and "1 of 1 file has problems." in one.output
    two = runner.invoke(app, ["validate", str(bad), "diagonal_flip", str(bad)])
    assert "2 of 3 files have problems." in two.output


def test_show_picking_nothing_counts_the_steps_in_good_english() -> None:
    result = runner.invoke(app, ["run", "diagonal_flip", "--show", "5"])
    assert "picks none of the 1 step" in result.output and "1 steps" not in result.output
