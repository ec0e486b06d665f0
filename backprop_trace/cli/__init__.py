"""The command line: parse arguments, call the library, print, and turn errors into exit codes.

Exit status: 0 done, 2 bad input (a located message per problem), 3 the run diverged (NaN or
infinity), 4 --check found a wrong gradient, 70 a bug (traceback only with --debug), 130
interrupted, 141 the reader of standard output went away (as a shell's commands do on SIGPIPE),
143 terminated (files.py removes a half-written temporary).
"""

from __future__ import annotations

import sys
import traceback

# importing them adds their commands to the app, listed in this order: run first
from . import run  # noqa: F401

# isort: split
from . import diagram, explain, explore, scenarios  # noqa: F401
from .core import (
    EXIT_BAD_INPUT,
    EXIT_BUG,
    EXIT_CHECK_FAILED,
    EXIT_DIVERGED,
    EXIT_INTERRUPTED,
    EXIT_PIPE_CLOSED,
    STDIN_WAIT_SECONDS,
    NumericsChoice,
    OutputFormat,
    app,
)
from .prompt import _ask

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BUG",
    "EXIT_CHECK_FAILED",
    "EXIT_DIVERGED",
    "EXIT_INTERRUPTED",
    "EXIT_PIPE_CLOSED",
    "STDIN_WAIT_SECONDS",
    "NumericsChoice",
    "OutputFormat",
    "_ask",
    "app",
    "main",
]


def main() -> None:
    """Entry point: the CLI with errors turned into messages and exit codes."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except BaseException:
        if debug:
            traceback.print_exc()
        else:
            kind = sys.exc_info()[0]
            name = kind.__name__ if kind else "error"
            sys.stderr.write(
                f"backprop-trace: internal error ({name}): this is a bug in backprop-trace.\n"
                "Run again with --debug to see the traceback, and report it.\n"
            )
        sys.exit(EXIT_BUG)
