"""The console that prints to the terminal, at most ``MAX_WIDTH`` columns wide whatever the
COLUMNS variable says: rich pads every table to the console's width, so COLUMNS=99999999 would
take gigabytes and never finish."""

from __future__ import annotations

from typing import Any

from rich.console import Console

MAX_WIDTH = 1000


def terminal_console(**options: Any) -> Console:
    console = Console(**options)
    if console.width > MAX_WIDTH:
        console.width = MAX_WIDTH
    return console
