"""backprop-trace run: trace a scenario's steps and show them, or write them in a format."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from backprop_trace.bundled import resolve
from backprop_trace.errors import Problem, ScenarioError
from backprop_trace.selection import StepSelection, default_selection
from backprop_trace.visible import visible
from backprop_trace.wording import plural

from .core import (
    EXIT_CHECK_FAILED,
    EXIT_DIVERGED,
    EXIT_INTERRUPTED,
    STDIN_WAIT_SECONDS,
    AllowOutsideData,
    Fractions,
    NumericsChoice,
    NumericsOption,
    OutputFile,
    OutputFormat,
    Precision,
    _bad_input,
    _choice,
    _Command,
    _listed,
    _one_of,
    _shown_as,
    _tell,
    _whole,
    app,
    work_begins,
)
from .output import (
    _destination,
    _save,
    _write,
)
from .prompt import (
    _SILENT,
    _ask,
    _key,
    _NoKeys,
)

# render.terminal.PHASE_NAMES, without importing numpy and rich for --help
PHASE_NAMES = ("forward", "loss", "backward", "update", "verify", "summary")

if TYPE_CHECKING:
    from backprop_trace.render.terminal import RenderOptions
    from backprop_trace.trace import Trace


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
    numerics_name: NumericsOption = None,
    precision: Precision = None,
    fractions: Fractions = False,
    step: Annotated[
        bool,
        typer.Option("--step", help="Pause after each phase: Enter goes on, b goes back, q quits."),
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
    output: OutputFile = None,
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
    explain: Annotated[
        list[str] | None,
        typer.Option(
            "--explain",
            metavar="PARAM",
            help="Show how PARAM's gradient came to be, in each backward pass (repeatable; "
            "as `explain` takes it: W1[0][2], relu1[2], loss[0]).",
        ),
    ] = None,
    phase: Annotated[
        list[str] | None,
        typer.Option(
            "--phase",
            metavar=_listed(PHASE_NAMES),
            help="Show only this phase of each step (repeatable; summary: the run summary); "
            "one phase fills a slide.",
        ),
    ] = None,
    allow_outside_data: AllowOutsideData = False,
) -> None:
    """Run a scenario's training steps and show every phase."""
    output_format = _choice("--format", format_name, OutputFormat)
    chosen = tuple(dict.fromkeys(phase or ()))
    for name in chosen:
        _one_of("--phase", name, PHASE_NAMES)
    if chosen and output_format is OutputFormat.json:
        raise typer.BadParameter(
            "picks the phases of the tables; the JSON trace holds every phase's numbers",
            param_hint="--phase",
        )
    if chosen and quiet:
        raise typer.BadParameter("--quiet prints only the summary; give --phase summary alone")
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
        explained = tuple(explain or ())
        trace = _trace(file, steps, numerics, selection, check, allow_outside_data, explained)
        from backprop_trace.render.terminal import RenderOptions

        options = RenderOptions(precision, fractions, table_limit, explained, chosen)
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
    from backprop_trace.render.terminal import print_trace

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


def _selection(show: str | None, quiet: bool) -> StepSelection | None:
    from backprop_trace.selection import SelectionError, parse_selection

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
    explain: tuple[str, ...] = (),
) -> Trace:
    from backprop_trace.engine import run as run_engine
    from backprop_trace.scenario import load_scenario

    path = resolve(file)
    try:
        shown_as = _shown_as(file, path)
        scenario = load_scenario(path, display_name=shown_as, allow_outside_data=allow_outside_data)
        if explain:
            from .explain import read_target

            for text in explain:
                read_target(scenario, text, option="--explain")
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
        from backprop_trace.render.progress import progress

        work_begins()
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
    from backprop_trace.render.terminal import print_trace

    def go_on(next_title: str, back: bool) -> str:
        """'next', 'back' or 'quit': a key on a terminal, else a line (never blocking)."""
        choices = f"Enter: {next_title} · " + ("b: back · " if back else "") + "q: quit "
        if sys.stdin is not None and sys.stdin.isatty():
            try:
                key = _key(visible(choices))
            except _NoKeys:
                pass
            else:
                if key is None:
                    typer.echo("stopped: end of input", err=True)
                    return "quit"
                return key
        answer = _ask(visible(choices))
        if answer is None:
            typer.echo("stopped: end of input", err=True)
            return "quit"
        if answer is _SILENT:
            typer.echo(
                f"stopped: no answer on standard input (not a terminal) within "
                f"{STDIN_WAIT_SECONDS:g} s",
                err=True,
            )
            return "quit"
        word = answer.strip().lower()
        return "quit" if word in ("q", "quit") else ("back" if word in ("b", "back") else "next")

    print_trace(trace, options, go_on=go_on if pause else None, only_summary=quiet)
