"""The catalogue of bad scenarios in tests/bad/: each file names, in '# expect:' lines, the
located messages it must produce ('line:column: key.path: message...'), and '# expect hint:'
fragments of their hints."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_trace import ScenarioError, load_scenario
from backprop_trace.cli import app

BAD = sorted((Path(__file__).parent / "bad").glob("*.yaml"))


def expectations(path: Path) -> tuple[list[str], list[str]]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    where = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("# expect:")]
    hints = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("# expect hint:")]
    return where, hints


def test_catalogue_is_not_empty() -> None:
    assert len(BAD) >= 30
    for path in BAD:
        assert expectations(path)[0], f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_scenario_gives_located_messages(path: Path) -> None:
    where, hints = expectations(path)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, display_name=path.name)
    problems = caught.value.problems
    shown = [str(p) for p in problems]
    for expected in where:
        assert any(s.startswith(f"{path.name}:{expected}") for s in shown), (expected, shown)
    for hint in hints:
        assert any(hint in p.hint for p in problems), (hint, shown)
    assert all(p.hint for p in problems), shown


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_scenario_exits_2_without_traceback(path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{path}:" in result.output


@pytest.mark.parametrize("name", ["pytorch_row_order", "in_out_rows_under_out_in"])
def test_weights_in_the_other_layout_are_one_problem(name: str) -> None:
    """Every weight transposed: one problem naming the layout, not one per bias and width."""
    path = Path(__file__).parent / "bad" / f"{name}.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [p.path for p in caught.value.problems] == [("layout",)]


def test_hints_point_at_commands_not_at_the_repository() -> None:
    """A pip user has no scenarios/ folder and no README file: a hint names a command."""
    for path in BAD:
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path, display_name=path.name)
        for problem in caught.value.problems:
            assert "scenarios/" not in problem.hint, (path.name, problem.hint)
            if "README" in problem.hint:
                assert "backprop-trace " in problem.hint, (path.name, problem.hint)


@pytest.mark.parametrize("kind", ["some_check_without_its_own_words", "missing"])
def test_the_fallback_hints_name_a_command(kind: str) -> None:
    from backprop_trace.schema_errors import problems_from
    from backprop_trace.source import Locations

    error = {"type": kind, "loc": ("a_key",), "msg": "not right"}
    (problem,) = problems_from([error], {"a_key": 1}, Locations(), "s.yaml")
    assert "backprop-trace schema" in problem.hint
