"""One golden text snapshot per bundled scenario: the plain rendering at 100 columns, no colour.

Update them after a deliberate change with:  UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.render.terminal import RenderOptions, render_text

SNAPSHOTS = Path(__file__).parent / "snapshots"
SCENARIOS = sorted(scenarios_dir().glob("*.yaml"))
UPDATE = bool(os.environ.get("UPDATE_SNAPSHOTS"))


def rendered(path: Path, width: int = 100) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    render_text(run(load_scenario(path, display_name=path.name)), console, RenderOptions())
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_snapshot(path: Path) -> None:
    snapshot = SNAPSHOTS / f"{path.stem}.txt"
    text = rendered(path)
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot for {path.name}: UPDATE_SNAPSHOTS=1 pytest {__file__}"
    assert text == snapshot.read_text(encoding="utf-8"), (
        f"{path.name} renders differently from {snapshot.name}; if the change is deliberate: "
        "UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py"
    )


def test_no_stale_snapshots() -> None:
    stale = {p.stem for p in SNAPSHOTS.glob("*.txt")} - {p.stem for p in SCENARIOS}
    if UPDATE:
        for name in stale:
            (SNAPSHOTS / f"{name}.txt").unlink()
        stale = set()
    assert not stale, f"snapshots without a scenario: {sorted(stale)}"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("width", [60, 80, 120])
def test_every_line_fits_the_terminal(path: Path, width: int) -> None:
    lines = rendered(path, width).splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert not any(line != line.rstrip() for line in lines), "trailing spaces"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("width", [40, 60])
def test_numbers_are_never_shortened_in_narrow_terminals(path: Path, width: int) -> None:
    text = rendered(path, width)
    assert not re.search(r"[\d.]…", text), "a number lost digits to an ellipsis"
    if any(cell_len(line) > width for line in text.splitlines()):  # pragma: no cover
        pytest.fail("a line is wider than the terminal")
