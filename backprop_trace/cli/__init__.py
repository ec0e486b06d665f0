"""The command line: parse arguments, call the library, print, and turn errors into exit codes.

Exit status: 0 done, 2 bad input (a located message per problem), 3 the run diverged (NaN or
infinity), 4 --check found a wrong gradient, 70 a bug (traceback only with --debug), 130
interrupted, 141 the reader of standard output went away (as a shell's commands do on SIGPIPE),
143 terminated (files.py removes a half-written temporary).
"""

from __future__ import annotations

import copy
import gc
import sys
import traceback

import typer
import typer.main

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


def _only_the_command(argv: list[str]) -> typer.Typer:
    """The app with only the command that the arguments name first: typer makes every
    registered command's click command at each start, a millisecond or more each. The whole
    app when the first word names none of them (nothing, --help, a group such as export, a
    typo), so that listings and messages are whole."""
    first = next((word for word in argv if not word.startswith("-")), None)
    for info in app.registered_commands:
        assert info.callback is not None
        if first == (info.name or typer.main.get_command_name(info.callback.__name__)):
            one = copy.copy(app)
            one.registered_commands = [info]
            one.registered_groups = []
            return one
    return app


def main() -> None:
    """Entry point: the CLI with errors turned into messages and exit codes."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    # start-up (imports, reading and checking the scenario) makes many objects and frees few:
    # no collection runs until a command's long work begins (core.work_begins turns it back on)
    gc.disable()
    try:
        _only_the_command(sys.argv[1:])(standalone_mode=True)
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
