"""The console that prints to the terminal, at most ``MAX_WIDTH`` columns wide whatever the
COLUMNS variable says (rich pads every table to the console's width, so COLUMNS=99999999 would
take gigabytes and never finish), and that lets a closed pipe end the CLI quietly."""

from __future__ import annotations

from typing import Any

from rich.console import Console

MAX_WIDTH = 1000


class _Terminal(Console):
    def on_broken_pipe(self) -> None:
        """The reader went away: the CLI ends quietly (rich alone would exit 1 here)."""
        raise BrokenPipeError


def terminal_console(**options: Any) -> Console:
    console = _Terminal(**options)
    if console.width > MAX_WIDTH:
        console.width = MAX_WIDTH
    return console
