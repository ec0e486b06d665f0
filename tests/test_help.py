"""Every command's --help page: it renders, and shows no escaping of the help machinery."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from backprop_trace.cli import app

COMMANDS = [
    [],
    ["run"],
    ["explain"],
    ["explore"],
    ["new"],
    ["validate"],
    ["schema"],
    ["list"],
    ["export"],
    ["export", "torch"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "main")
def test_help_pages_render_plainly(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout
    # typer before 0.22 printed "\[required]" (a markup escape shown as text); before 0.26,
    # under click 8.5, an argument lost its help text
    assert "\\[" not in result.stdout
    assert "  FILE  [required]" not in result.stdout and "FILE...  [required]" not in result.stdout
