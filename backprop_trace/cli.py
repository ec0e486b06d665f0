"""The command line: parse arguments, call the library, print, and turn errors into exit codes.

Exit status: 0 done, 2 bad input (a located message per problem), 3 the run diverged (NaN or
infinity), 4 --check found a wrong gradient, 70 a bug (traceback only with --debug), 130
interrupted, 141 the reader of standard output went away (as a shell's commands do on SIGPIPE),
143 terminated (files.py removes a half-written temporary).
"""

from __future__ import annotations

import contextlib
import enum
import io
import itertools
import math
import os
import re
import select
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from . import __version__
from .bundled import bundled, resolve, scenarios_dir
from .errors import Problem, ScenarioError
from .selection import StepSelection, default_selection
from .starter import ACTIVATIONS, LOSSES, OPTIMIZERS
from .visible import visible
from .wording import of_total, plural

if TYPE_CHECKING:
    from .render.terminal import RenderOptions
    from .trace import Trace

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
    from .schema import did_you_mean  # loads pydantic: only once a value is wrong

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
        from .number_text import NumberTextError, read_whole

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
    from .number_text import NumberTextError, read_float

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


@app.command(cls=_Command)
def run(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A scenario file, or a bundled scenario's name."),
    ],
    format_name: Annotated[
        str,
        typer.Option("--format", "-f", metavar=_listed(OutputFormat), help="What to print."),
    ] = OutputFormat.text.value,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps", parser=_whole(1), metavar="N", help="Number of steps (overrides the file)."
        ),
    ] = None,
    numerics_name: Annotated[
        str | None,
        typer.Option(
            "--numerics",
            metavar=_listed(NumericsChoice),
            help="Force exact or float64 arithmetic.",
        ),
    ] = None,
    precision: Annotated[
        int | None,
        typer.Option(
            "--precision",
            parser=_whole(0, 17),
            metavar="N",
            help="Decimals shown in the tables [default: 4, and values below 0.001 to 4 "
            "significant digits].",
        ),
    ] = None,
    fractions: Annotated[
        bool, typer.Option("--fractions", help="Show exact fractions (exact numerics).")
    ] = False,
    step: Annotated[
        bool,
        typer.Option("--step", help="Pause after each phase: Enter goes on, q quits."),
    ] = False,
    show: Annotated[
        str | None,
        typer.Option(
            "--show",
            metavar="SPEC",
            help="Steps shown in full: all, first, last, none, 1,10,100, 1-5, every:100 "
            "(default: all for up to 3 steps, else first,last).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the run summary.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option("--check", help="Check every gradient against central differences."),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the output to this file instead."
        ),
    ] = None,
    save: Annotated[
        str | None,
        typer.Option(
            "--save",
            metavar="FILE",
            help="Write the scenario with the trained weights to this file.",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Let --save replace the scenario being run.")
    ] = False,
    table_limit: Annotated[
        int,
        typer.Option(
            "--table-limit",
            parser=_whole(1),
            metavar="N",
            help="Summarise tensors with more entries than this.",
        ),
    ] = 64,
    allow_outside_data: AllowOutsideData = False,
) -> None:
    """Run a scenario's training steps and show every phase."""
    output_format = _choice("--format", format_name, OutputFormat)
    numerics = (
        None if numerics_name is None else _choice("--numerics", numerics_name, NumericsChoice)
    )
    if step and (output_format is not OutputFormat.text or output is not None):
        raise typer.BadParameter(
            "--step pauses the tables in the terminal; not with --format or --output"
        )
    selection = _selection(show, quiet)
    for destination, verb in ((output, "written"), (save, "saved")):
        if destination is not None:
            _destination(destination, verb)
    with _interruptible():
        trace = _trace(file, steps, numerics, selection, check, allow_outside_data)
        from .render.terminal import RenderOptions

        options = RenderOptions(precision, fractions, table_limit)
        if trace.interrupted:
            text = output_format is OutputFormat.text and output is None
            _stopped_early(trace, options, to_stderr=not text, only_summary=quiet or not text)
        if fractions and trace.numerics != "exact":
            typer.echo("note: --fractions shows exact values; this trace is float64", err=True)
        if output is not None or output_format is not OutputFormat.text:
            _write(trace, output_format, options, output, resolve(file))
        else:
            _show(trace, options, step, quiet)
    if save is not None and trace.diverged is None:
        _save(trace, resolve(file), save, overwrite)
    failed = [s.step for s in trace.steps if s.check is not None and not s.check.passed]
    if failed and trace.diverged is None:
        typer.echo(f"gradient check failed at step {', '.join(map(str, failed))}", err=True)
        raise typer.Exit(EXIT_CHECK_FAILED)
    if trace.diverged is not None:
        d = trace.diverged
        _tell(
            f"diverged at step {d.step} ({d.phase}): {d.where} became {d.value}; "
            "the run stopped there. A smaller learning rate usually helps."
        )
        raise typer.Exit(EXIT_DIVERGED)


def _stopped_early(
    trace: Trace, options: RenderOptions, *, to_stderr: bool, only_summary: bool
) -> NoReturn:
    """Ctrl-C during the training loop: what was done (the steps kept in full and the summary,
    or with --quiet the summary alone), then exit 130. Only the summary, on standard error,
    when standard output or a file was to carry another format."""
    from .render.terminal import print_trace

    print_trace(trace, options, only_summary=only_summary, stderr=to_stderr)
    done = len(trace.losses_before)
    typer.echo(f"\ninterrupted after {done} of {trace.total_steps} steps", err=True)
    raise typer.Exit(EXIT_INTERRUPTED)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C: one line and exit status 130 (typer alone would exit silently)."""
    try:
        yield
    except KeyboardInterrupt:
        typer.echo("\ninterrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _write(
    trace: Trace, kind: OutputFormat, options: RenderOptions, output: str | None, source: Path
) -> None:
    """Any format, to standard output or (atomically) to a file."""
    if kind is OutputFormat.json:
        from .render.json import render_json

        content = render_json(trace)
    else:
        from .render import export

        render = {
            OutputFormat.text: export.render_plain,
            OutputFormat.markdown: export.render_markdown,
            OutputFormat.html: export.render_html,
            OutputFormat.svg: export.render_svg,
        }[kind]
        content = render(trace, options)
    if output is None:
        sys.stdout.write(content)
        return
    _write_file(output, content, protect=source)


def _write_file(
    destination: str, content: str | bytes, *, protect: Path | None = None, verb: str = "written"
) -> None:
    """Write atomically, never over ``protect`` (the scenario being run); failures are a message
    and exit status 2."""
    from .files import DestinationError, same_file, write_atomically

    target = _destination(destination, verb)
    if protect is not None and same_file(target, protect):
        _refuse(destination, verb, "that is the scenario being run")
    try:
        write_atomically(target, content)
    except DestinationError as error:
        _refuse(destination, verb, str(error))
    except OSError as error:
        _refuse(destination, verb, error.strerror or str(error))
    done = "saved the trained scenario to" if verb == "saved" else "wrote"
    _tell(f"{done} {destination}")


def _destination(destination: str, verb: str) -> Path:
    """A file the tool can write, checked before any work; else a message and exit status 2."""
    from .files import DestinationError, check_destination

    try:
        return check_destination(destination)
    except DestinationError as error:
        _refuse(destination, verb, str(error))


def _refuse(destination: str, verb: str, reason: str) -> NoReturn:
    _tell(f"{destination or repr(destination)}: not {verb}: {reason}")
    raise typer.Exit(EXIT_BAD_INPUT)


def _save(trace: Trace, source: Path, destination: str, overwrite: bool) -> None:
    from .files import same_file
    from .render.scenario_file import npy_bytes, scenario_text, side_files

    if same_file(Path(destination), source) and not overwrite:
        _tell(
            f"{destination}: not saved: that is the scenario being run; "
            "save elsewhere, or add --overwrite"
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    from .scenario import MAX_FILE_BYTES

    target = Path(destination)
    files = side_files(trace, target)
    text = scenario_text(trace, target, files)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:  # exact fractions too long to read back: not written at all
        _refuse(
            destination,
            "saved",
            f"the scenario would be {size:,} bytes, more than the {MAX_FILE_BYTES:,} a scenario "
            "file may hold; save a float64 run (--numerics float64), whose large tensors go to "
            ".npy files beside it",
        )
    if files and target.exists() and not target.is_file():
        _refuse(destination, "saved", "a large network is saved with .npy files beside its file")
    for name, path in files.items():
        for used in (source, *trace.scenario.data_files.values()):
            if same_file(path, used):
                _refuse(str(path), "written", "the scenario being run reads it; save elsewhere")
        _write_file(str(path), npy_bytes(trace.final_params[name]))
    _write_file(destination, text, verb="saved")


def _selection(show: str | None, quiet: bool) -> StepSelection | None:
    from .selection import SelectionError, parse_selection

    try:
        chosen = parse_selection(show) if show is not None else None
    except SelectionError as error:
        raise typer.BadParameter(visible(str(error)), param_hint="--show") from None
    return parse_selection("none") if quiet else chosen


def _trace(
    file: str,
    steps: int | None,
    numerics: NumericsChoice | None,
    show: StepSelection | None,
    check: bool = False,
    allow_outside_data: bool = False,
) -> Trace:
    from .engine import run as run_engine
    from .scenario import load_scenario

    path = resolve(file)
    try:
        shown_as = _shown_as(file, path)
        scenario = load_scenario(path, display_name=shown_as, allow_outside_data=allow_outside_data)
        if numerics is NumericsChoice.exact and scenario.numerics != "exact":
            reason = scenario.numerics_reason.split(": ", 1)[-1]
            raise ScenarioError(
                [
                    Problem(
                        shown_as,
                        0,
                        0,
                        (),
                        f"--numerics exact is impossible here: {reason}",
                        "leave --numerics out, or use --numerics float64",
                    )
                ]
            )
        total = steps or scenario.steps
        selection = show or default_selection(total)
        if (
            show is not None
            and show.text != "none"
            and not any(selection(k, total) for k in range(1, total + 1))
        ):
            _tell(f"note: --show {show.text} picks none of the {plural(total, 'step')}")
        from .render.progress import progress

        with progress(total) as report:
            trace = run_engine(
                scenario,
                steps=total,
                numerics=numerics.value if numerics is not None else None,
                keep=lambda k: selection(k, total),
                on_step=report,
                check=check,
            )
    except ScenarioError as error:
        _bad_input(error)
    return trace


def _show(trace: Trace, options: RenderOptions, pause: bool, quiet: bool) -> None:
    from .render.terminal import print_trace

    def go_on(next_title: str) -> bool:
        answer = _ask(visible(f"Enter: {next_title} · q: quit "))
        if answer is None:
            typer.echo("stopped: end of input", err=True)
            return False
        if answer is _SILENT:
            typer.echo(
                f"stopped: no answer on standard input (not a terminal) within "
                f"{STDIN_WAIT_SECONDS:g} s",
                err=True,
            )
            return False
        return answer.strip().lower() not in ("q", "quit")

    print_trace(trace, options, go_on=go_on if pause else None, only_summary=quiet)


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


export_app = typer.Typer(help="Write a scenario in another form.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("torch", cls=_Command)
def export_torch(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A scenario file, or a bundled scenario's name."),
    ],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the script to this file."),
    ] = None,
    allow_outside_data: AllowOutsideData = False,
) -> None:
    """Write a standalone PyTorch script that trains the scenario and prints the same JSON."""
    from .export_torch import torch_script
    from .scenario import load_scenario

    if output is not None:
        _destination(output, "written")
    path = resolve(file)
    try:
        scenario = load_scenario(
            path, display_name=_shown_as(file, path), allow_outside_data=allow_outside_data
        )
    except ScenarioError as error:
        _bad_input(error)
    script = torch_script(scenario)
    if output is None:
        sys.stdout.write(script)
        return
    _write_file(output, script, protect=path)


@app.command(cls=_Command)
def new(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="The scenario file to write.")],
    sizes: Annotated[
        str,
        typer.Option("--sizes", metavar="SIZES", help="Layer sizes, input first: 4,3,2."),
    ] = "2,3,1",
    activation: Annotated[
        str,
        typer.Option("--activation", metavar=_listed(ACTIVATIONS), help="The hidden units."),
    ] = "relu",
    loss: Annotated[
        str, typer.Option("--loss", metavar=_listed(LOSSES), help="The loss function.")
    ] = "mse",
    optimizer: Annotated[
        str,
        typer.Option(
            "--optimizer",
            metavar=_listed(OPTIMIZERS),
            help="The optimizer (torch.optim's defaults for the rest).",
        ),
    ] = "sgd",
    lr: Annotated[
        float,
        typer.Option("--lr", parser=_rate, metavar="RATE", help="The learning rate."),
    ] = 0.1,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", parser=_whole(0), metavar="N", help="Seed of the random starting weights."
        ),
    ] = 0,
    copy_of: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="NAME",
            help="Copy a bundled scenario (or a file) as it is, with any data file it reads.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace FILE (and its data files) if they exist.")
    ] = False,
) -> None:
    """Write a commented starter scenario, weights drawn from --seed and written out; or, with
    --from, a copy of a bundled scenario to edit."""
    from .starter import starter_text
    from .yaml_text import readable_numbers

    if copy_of is not None:
        given = ("sizes", "activation", "loss", "optimizer", "lr", "seed")
        mixed = [
            f"--{name}"
            for name in given
            if getattr(ctx.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"
        ]
        if mixed:
            raise typer.BadParameter(
                f"--from copies a scenario as it is: leave out {', '.join(mixed)}",
                param_hint="--from",
            )
        _copy_scenario(copy_of, file, force)
        return
    for option, value, allowed in (
        ("--activation", activation, ACTIVATIONS),
        ("--loss", loss, LOSSES),
        ("--optimizer", optimizer, OPTIMIZERS),
    ):
        _one_of(option, value, allowed)
    from .number_text import NumberTextError, read_whole

    try:
        layer_sizes = [read_whole(s) for s in sizes.split(",")]
    except NumberTextError:
        raise typer.BadParameter(
            "whole numbers separated by commas", param_hint="--sizes"
        ) from None
    if len(layer_sizes) < 2 or not all(1 <= s <= 1000 for s in layer_sizes):
        raise typer.BadParameter("at least two sizes, each 1 to 1000", param_hint="--sizes")
    numbers = sum((a + 1) * b for a, b in itertools.pairwise(layer_sizes))
    if numbers > readable_numbers():
        raise typer.BadParameter(
            f"{numbers:,} weights and biases; a starter writes each one out, at most "
            f"{readable_numbers():,} (so the file reads back). For a larger network, write "
            "its layers as {type: linear, in: 1000, out: 1000, init: torch}",
            param_hint="--sizes",
        )
    if not math.isfinite(lr):
        raise typer.BadParameter(f"{lr}: a learning rate is a finite number", param_hint="--lr")
    target = _destination(file, "written")
    _refuse_to_replace([target], force)
    name = target.stem.replace("_", " ").capitalize()
    _write_file(file, starter_text(name, layer_sizes, activation, loss, optimizer, lr, seed))
    _tell(f"try:  backprop-trace run {file}")


def _refuse_to_replace(targets: list[Path], force: bool) -> None:
    there = [str(t) for t in targets if t.exists()]
    if there and not force:
        for name in there:
            _tell(f"{name}: exists; not replaced (add --force to replace it)")
        raise typer.Exit(EXIT_BAD_INPUT)


def _copy_scenario(name: str, file: str, force: bool) -> None:
    """``new FILE --from NAME``: the scenario's text byte for byte, and each data file it reads
    at the same place relative to the copy, so that the copy runs from its new folder."""
    from .files import same_file
    from .scenario import load_scenario

    target = _destination(file, "written")
    source = resolve(name)
    try:
        scenario = load_scenario(source, display_name=_shown_as(name, source))
    except ScenarioError as error:
        _bad_input(error)
    copies = [(source, target)]
    for data in dict.fromkeys(scenario.data_files.values()):
        try:
            relative = data.resolve().relative_to(source.resolve().parent)
        except ValueError:
            _tell(
                f"{file}: not written: {source} reads {data}, outside its folder; "
                "copy the scenario and its data by hand"
            )
            raise typer.Exit(EXIT_BAD_INPUT) from None
        copies.append((data, target.parent / relative))
    for origin, destination in copies:
        if same_file(destination, origin):
            _tell(f"{destination}: not written: that is the file being copied")
            raise typer.Exit(EXIT_BAD_INPUT)
    _refuse_to_replace([destination for _, destination in copies], force)
    for origin, destination in copies:
        destination.parent.mkdir(parents=True, exist_ok=True)
        _write_file(str(destination), origin.read_bytes())
    _tell(f"try:  backprop-trace run {file}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors: completion and validation)."""
    import json

    from .schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@app.command(cls=_Command)
def validate(
    files: Annotated[
        list[str],
        typer.Argument(metavar="FILE...", help="Scenario files, or bundled scenarios' names."),
    ],
    allow_outside_data: AllowOutsideData = False,
) -> None:
    """Check scenario files without running them: every problem in every file."""
    from .scenario import load_scenario

    bad = 0
    for file in files:
        path = resolve(file)
        try:
            load_scenario(
                path, display_name=_shown_as(file, path), allow_outside_data=allow_outside_data
            )
        except ScenarioError as error:
            bad += 1
            for problem in error.problems:
                typer.echo(str(problem), err=True)
            continue
        typer.echo(visible(f"{file}: ok"))
    if bad:
        typer.echo(f"{of_total(bad, len(files), 'file', 'has')} problems.", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command("list")
def list_scenarios() -> None:
    """List the bundled scenarios, and the folder they are in."""
    import shutil
    import textwrap

    from .render.console import MAX_WIDTH
    from .scenario import load_scenario

    width = min(shutil.get_terminal_size((100, 24)).columns, MAX_WIDTH)
    for path in bundled():
        try:
            scenario = load_scenario(path)
            summary = scenario.description.split(". ")[0].rstrip(".")
            text = f"{scenario.name}: {summary}"
        except ScenarioError:  # pragma: no cover - bundled scenarios are tested
            text = "(invalid)"
        lines = textwrap.wrap(text, max(20, width - 30)) or [""]
        typer.echo(f"{path.name:28}  {lines[0]}")
        for line in lines[1:]:
            typer.echo(" " * 30 + line)
    typer.echo(f"\nThese files are in {_folder_shown(scenarios_dir())}")
    typer.echo("To edit one, copy it: backprop-trace new FILE --from NAME")


def _folder_shown(folder: Path) -> str:
    """A folder below the current one as a relative path; any other in full."""
    try:
        return str(folder.resolve().relative_to(Path.cwd().resolve())) + "/"
    except ValueError:
        return str(folder.resolve()) + "/"


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
