"""The --step prompt: one answer from standard input, never blocking on a silent pipe."""

from __future__ import annotations

import io
import os
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


KEYS = {"\r": "next", "\n": "next", " ": "next", "b": "back", "B": "back", "q": "quit", "Q": "quit"}


def _key(prompt: str) -> str | None:
    """At a pause on a terminal: one key, without Enter. 'next' (Enter, space), 'back' (b),
    'quit' (q); None at end of input (Ctrl-D). Other keys (an arrow's escape sequence among
    them) are passed over. Ctrl-C still interrupts: the terminal keeps its signals, and its
    settings are restored whatever happens. Not a terminal: None from the start (``_ask``
    reads lines instead)."""
    try:
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, AttributeError, ValueError, OSError, io.UnsupportedOperation):
        raise _NoKeys from None
    action: str | None = None
    try:
        # one key at a time, no echo, Ctrl-C still sends SIGINT; set before the prompt shows
        # and without flushing, so that a key typed at once is not lost
        tty.setcbreak(fd, termios.TCSANOW)
        sys.stderr.write(prompt)
        sys.stderr.flush()
        while action is None:
            byte = os.read(fd, 1)
            if not byte or byte == b"\x04":
                return None
            if byte == b"\x1b":  # an escape sequence (an arrow key): read it all, pass over
                while select.select([fd], [], [], 0.05)[0] and os.read(fd, 16):
                    pass
                continue
            action = KEYS.get(byte.decode("latin-1"))
        return action
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        # answered, the prompt leaves no trace; else (Ctrl-D, Ctrl-C) it stays, and what
        # follows starts on a line of its own
        answered = action is not None and sys.stderr.isatty()
        sys.stderr.write("\r\x1b[2K" if answered else "\n")
        sys.stderr.flush()


class _NoKeys(Exception):
    """Standard input cannot be read key by key (not a terminal, or no termios)."""
