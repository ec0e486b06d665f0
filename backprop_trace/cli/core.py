"""The command line's frame: the typer app, exit statuses, option parsers and messages."""

from __future__ import annotations

import enum
import gc
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from backprop_trace import __version__
from backprop_trace.errors import ScenarioError
from backprop_trace.visible import visible

if TYPE_CHECKING:
    from backprop_trace.scenario import Scenario
    from backprop_trace.trace import Trace


EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_CHECK_FAILED = 4
EXIT_BUG = 70
EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 128 + 13  # SIGPIPE's number: what a shell reports for `cmd | head -1`
STDIN_WAIT_SECONDS = 10.0  # --step with a non-terminal stdin: how long to wait for a line
LONGEST_ANSWER = 1024  # characters of an answer read at a --step prompt (the rest waits)


class _Commands(TyperGroup):
    """The commands, ending quietly with status 141 when standard output's reader goes away
    (click alone would exit 1, and Python would complain at exit about the unflushed rest)."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer's own click, or click's)
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # what is still buffered goes nowhere
            raise typer.Exit(EXIT_PIPE_CLOSED) from None


app = typer.Typer(
    cls=_Commands,
    name="backprop-trace",
    help="See exactly what one step of neural-network training does to every number.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    svg = "svg"


class NumericsChoice(str, enum.Enum):
    exact = "exact"
    float64 = "float64"


Choice = TypeVar("Choice", bound=enum.Enum)


def _one_of(option: str, value: str, choices: Sequence[str]) -> None:
    """A value among ``choices`` passes; anything else is a usage error that lists them (and
    the closest, for a typo or the wrong case)."""
    if value in choices:
        return
    from backprop_trace.schema import did_you_mean  # loads pydantic: only once a value is wrong

    guess = did_you_mean(value, choices).strip()
    message = f"{value!r} is not one of {', '.join(choices)}" + (f"; {guess}" if guess else "")
    raise typer.BadParameter(message, param_hint=option)


def _choice(option: str, value: str, kind: type[Choice]) -> Choice:
    _one_of(option, value, [member.value for member in kind])
    return kind(value)


def _listed(choices: Sequence[str] | type[enum.Enum]) -> str:
    """The metavar of a choice option: its choices, as help and usage show them."""
    return "|".join(c.value if isinstance(c, enum.Enum) else c for c in choices)


class _Command(TyperCommand):
    """Usage and help as a person writes them: ``run [OPTIONS] FILE``, not ``{FILE}``, and no
    type label such as ``<str>`` after an argument (every option names its own metavar)."""

    _REQUIRED = re.compile(r"^\{(?P<name>[^}]*)\}(?P<more>\.\.\.)?$")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):  # its metavar says what it is
                setattr(param, "display_type_rich", lambda ctx: None)  # noqa: B010

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        def bare(piece: str) -> str:
            m = self._REQUIRED.match(piece)
            if m is None:
                return piece
            name = m["name"]
            return name if name.endswith("...") else name + (m["more"] or "")

        return [bare(piece) for piece in super().collect_usage_pieces(ctx)]


def _whole(least: int, most: int | None = None) -> Callable[[str | int], int]:
    """A whole-number option, read by the checked number parser (so '1_000' or 5,000 digits are
    a usage error, as they are in a scenario)."""

    def parse(text: str | int) -> int:
        from backprop_trace.number_text import NumberTextError, read_whole

        try:
            value = text if isinstance(text, int) else read_whole(text)
        except NumberTextError as problem:
            raise typer.BadParameter(problem.message) from None
        if value < least or (most is not None and value > most):
            within = f"from {least} to {most}" if most is not None else f"at least {least}"
            raise typer.BadParameter(f"{value} is not {within}")
        return value

    return parse


def _rate(text: str | float) -> float:
    """A non-negative decimal option, read by the checked number parser."""
    from backprop_trace.number_text import NumberTextError, read_float

    try:
        value = text if isinstance(text, float) else read_float(text)
    except NumberTextError as problem:
        raise typer.BadParameter(problem.message) from None
    if value < 0:
        raise typer.BadParameter(f"{text} is negative")
    return value


AllowOutsideData = Annotated[
    bool,
    typer.Option(
        "--allow-outside-data",
        help="Let the scenario read data files outside its own folder (by '..', an absolute "
        "path or a symbolic link); refused by default.",
    ),
]

OutputFile = Annotated[
    str | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write the output to this file instead."),
]
NumericsOption = Annotated[
    str | None,
    typer.Option(
        "--numerics", metavar=_listed(NumericsChoice), help="Force exact or float64 arithmetic."
    ),
]
Precision = Annotated[
    int | None,
    typer.Option(
        "--precision",
        parser=_whole(0, 17),
        metavar="N",
        help="Decimals shown in the tables [default: 4, and values below 0.001 to 4 "
        "significant digits].",
    ),
]
Fractions = Annotated[
    bool, typer.Option("--fractions", help="Show exact fractions (exact numerics).")
]


def _load(file: str, allow_outside_data: bool) -> tuple[Path, Scenario]:
    """The scenario FILE names (a path or a bundled name), or its problems and exit status 2."""
    from backprop_trace.bundled import resolve
    from backprop_trace.scenario import load_scenario

    path = resolve(file)
    try:
        shown_as = _shown_as(file, path)
        return path, load_scenario(
            path, display_name=shown_as, allow_outside_data=allow_outside_data
        )
    except ScenarioError as error:
        _bad_input(error)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"backprop-trace {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="On an internal error, show the traceback.")
    ] = False,
) -> None:
    """See exactly what one step of neural-network training does to every number."""


def _shown_as(file: str, path: Path) -> str:
    """How messages name a scenario: as typed, except a bare file name that was found among the
    bundled scenarios, which is shown with its full path."""
    return file if path.name != file else str(path)


def work_begins() -> None:
    """Garbage collection back on for a command's long work (a training run, the explorer):
    main() turns it off for start-up, which makes many objects and frees few, and what start-up
    made (modules, the scenario) is moved out of the collector's way for good (gc.freeze)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _run_to(scenario: Scenario, step: int, numerics_name: str | None) -> Trace:
    """The scenario run to step ``step`` and that step kept; its problems, or a step the run
    did not reach, end with exit status 2."""
    from backprop_trace.engine import run as run_engine

    numerics = (
        None if numerics_name is None else _choice("--numerics", numerics_name, NumericsChoice)
    )
    work_begins()
    try:
        trace = run_engine(
            scenario,
            steps=step,
            numerics=numerics.value if numerics is not None else None,
            keep=lambda k: k == step,
        )
    except ScenarioError as error:
        _bad_input(error)
    if not trace.steps or trace.steps[-1].step != step:
        _tell(f"step {step} was not reached: the run stopped at step {len(trace.losses_before)}")
        raise typer.Exit(EXIT_BAD_INPUT)
    return trace


def _tell(message: str) -> None:
    """A message on standard error, any control character in it shown escaped (visible.py):
    file names and scenario names reach messages as the user wrote them."""
    typer.echo(visible(message), err=True)


def _bad_input(error: ScenarioError) -> NoReturn:
    for problem in error.problems:
        typer.echo(str(problem), err=True)
    count = len(error.problems)
    if count > 1:
        typer.echo(f"{count} problems found; nothing was run.", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)
