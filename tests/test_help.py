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


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "main")
def test_the_app_made_for_one_command_says_what_the_whole_app_says(command: list[str]) -> None:
    """main() hands typer only the command named first (making every command's click command
    costs start-up): its help, and its message for a missing argument, are the whole app's."""
    from backprop_trace.cli import _only_the_command

    env = {"COLUMNS": "100"}
    for arguments in ([*command, "--help"], command):
        one = _only_the_command(arguments)
        whole = CliRunner().invoke(app, arguments, env=env)
        alone = CliRunner().invoke(one, arguments, env=env)
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)
    kept = _only_the_command(command).registered_commands
    a_command = bool(command) and command[0] != "export"  # export is a group: the whole app
    assert len(kept) == (1 if a_command else len(app.registered_commands))
