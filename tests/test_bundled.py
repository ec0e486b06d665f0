"""The bundled scenarios: found by name by the library as by the command line, named with a
did-you-mean when mistyped, listed with the folder they are in."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_trace import ScenarioError, load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app

runner = CliRunner()


@pytest.mark.parametrize("name", ["diagonal_flip", "diagonal_flip.yaml"])
def test_the_library_loads_a_bundled_scenario_by_name(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario(name)
    assert scenario.name == "Diagonal flip"
    assert str(run(scenario).losses_before[0]) == "717/800"


def test_a_file_of_that_name_wins_in_the_library_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (scenarios_dir() / "diagonal_flip.yaml").read_text()
    Path("diagonal_flip").write_text(text.replace("name: Diagonal flip", "name: Mine"))
    assert load_scenario("diagonal_flip").name == "Mine"


@pytest.mark.parametrize("typo", ["diagonal_flp", "diagonal_flp.yaml", "Diagonal_Flip"])
def test_a_mistyped_bundled_name_says_did_you_mean(
    typo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(typo)
    (problem,) = caught.value.problems
    assert problem.message == "no such file"
    assert "did you mean diagonal_flip?" in problem.hint
    result = runner.invoke(app, ["run", typo])
    assert result.exit_code == 2
    assert "did you mean diagonal_flip?" in result.output


def test_a_missing_path_gets_no_guess(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "diagonal_flp.yaml")
    assert "did you mean" not in caught.value.problems[0].hint


def test_list_says_where_the_files_are_and_how_to_copy_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # outside the folder: shown in full
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    folder = str(scenarios_dir().resolve())
    assert f"These files are in {folder}/" in result.output
    assert "backprop-trace new FILE --from NAME" in result.output
