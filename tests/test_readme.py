"""The README's output blocks are the tool's real output. UPDATE_README=1 rewrites them."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from printed_numbers import differences
from typer.testing import CliRunner

from backprop_trace.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(
    r"(<!-- output(?P<opts>[^:]*): (?P<cmd>[^\n]+?) -->\n```text\n)(?P<body>.*?)(```)", re.S
)
OPTION = re.compile(r'(exit) (\d+)|(from|until) "([^"]+)"')


def output_of(command: str, options: str = "") -> str:
    """What the command prints (stdout and stderr), run from the repository's root; options:
    'exit N' (the status it must end with), 'from "text"' and 'until "text"' (an excerpt: from the
    first line starting with one text, up to the first line after it starting with the other)."""
    opts: dict[str, str] = {}
    for m in OPTION.finditer(options):
        if m.group(1):
            opts["exit"] = m.group(2)
        else:
            opts[m.group(3)] = m.group(4)
    args = shlex.split(command)
    assert args[0] == "backprop-trace"
    result = CliRunner().invoke(app, args[1:], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == int(opts.get("exit", 0)), result.output
    lines = result.output.splitlines(keepends=True)
    if "from" in opts:
        lines = lines[next(i for i, ln in enumerate(lines) if ln.startswith(opts["from"])) :]
    if "until" in opts:
        lines = lines[: next(i for i, ln in enumerate(lines) if ln.startswith(opts["until"]))]
    return "".join(lines).rstrip("\n") + "\n"


def test_readme_output_blocks_are_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(README.parent)
    text = README.read_text()
    blocks = list(BLOCK.finditer(text))
    assert blocks, "the README shows no generated output"
    fresh = BLOCK.sub(
        lambda m: m.group(1) + output_of(m.group("cmd"), m.group("opts")) + m.group(5),
        text,
    )
    if os.environ.get("UPDATE_README"):
        README.write_text(fresh)
    stale = differences(text, fresh)  # float64 numbers: to one unit of their last digit
    assert not stale, (
        f"README output is stale: UPDATE_README=1 pytest tests/test_readme.py; {stale}"
    )


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    text = README.read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert "backprop-trace run diagonal_flip.yaml" in commands[0]
    assert "pytest" in commands[1] and "mypy" in commands[1] and "ruff" in commands[1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "Quick start" in ci  # .ci/run reads the command from the README, not a copy


def test_readme_python_example_runs_and_says_what_it_prints(
    monkeypatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(README.parent)
    text = README.read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    promised = [
        line.split("# ", 1)[1].strip()
        for line in code.splitlines()
        if "print(" in line and "# " in line
    ]
    for want, got in zip(promised, printed, strict=False):
        assert got == want, (got, want)
