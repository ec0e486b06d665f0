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
