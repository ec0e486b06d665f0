"""The --step prompt: one answer from standard input, never blocking on a silent pipe."""

from __future__ import annotations

import io
import select
import sys
from typing import TYPE_CHECKING

from .core import (
    LONGEST_ANSWER,
    STDIN_WAIT_SECONDS,
)

if TYPE_CHECKING:
    pass

_SILENT = "\x00silent"  # _ask's answer when a non-terminal stdin stayed silent


def _ask(prompt: str) -> str | None:
    """One answer from standard input; None at end of input. Never blocks on a non-terminal
    standard input that has nothing to say."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    stdin = sys.stdin
    if stdin is None:
        return None
    if not stdin.isatty():
        try:
            ready, _, _ = select.select([stdin], [], [], STDIN_WAIT_SECONDS)
        except (OSError, ValueError, io.UnsupportedOperation):
            ready = [stdin]  # an in-memory stream (tests): reading cannot block
        if not ready:
            sys.stderr.write("\n")
            return _SILENT
    line = stdin.readline(LONGEST_ANSWER)  # bounded: stdin may be /dev/zero, with no newline
    if not stdin.isatty() or not line.endswith("\n"):
        # Ctrl-D (end of input, or ending a line unfinished) leaves the cursor on the prompt's
        # line: go to the next one, so that nothing printed is overwritten or erased.
        sys.stderr.write("\n")
    elif sys.stderr.isatty():
        sys.stderr.write("\x1b[1A\x1b[2K")  # the answered prompt leaves no trace on screen
    return line if line else None
