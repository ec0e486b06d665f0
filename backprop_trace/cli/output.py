"""What the command line writes to files: atomically, never over the scenario being run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from .core import (
    EXIT_BAD_INPUT,
    NumericsChoice,
    OutputFormat,
    _choice,
    _load,
    _tell,
)

if TYPE_CHECKING:
    from backprop_trace.render.numbers import NumberStyle
    from backprop_trace.render.terminal import RenderOptions
    from backprop_trace.scenario import Scenario
    from backprop_trace.trace import Trace


def _write(
    trace: Trace, kind: OutputFormat, options: RenderOptions, output: str | None, source: Path
) -> None:
    """Any format, to standard output or (atomically) to a file."""
    if kind is OutputFormat.json:
        from backprop_trace.render.json import render_json

        content = render_json(trace)
    else:
        from backprop_trace.render import export

        render = {
            OutputFormat.text: export.render_plain,
            OutputFormat.markdown: export.render_markdown,
            OutputFormat.html: export.render_html,
            OutputFormat.svg: export.render_svg,
        }[kind]
        content = render(trace, options)
    _deliver(content, output, source)


def _read_for_output(
    file: str, output: str | None, numerics_name: str | None, allow_outside_data: bool
) -> tuple[Path, Scenario]:
    """--numerics and --output checked before the work, then the scenario read."""
    if numerics_name is not None:
        _choice("--numerics", numerics_name, NumericsChoice)
    if output is not None:
        _destination(output, "written")
    return _load(file, allow_outside_data)


def _number_style(precision: int | None, fractions: bool = False) -> NumberStyle:
    """The numbers as --precision and --fractions ask (fractions: exact numerics only)."""
    from backprop_trace.render.numbers import DEFAULT_PRECISION, NumberStyle

    return NumberStyle(
        DEFAULT_PRECISION if precision is None else precision,
        fractions,
        explicit=precision is not None,
    )


def _deliver(content: str, output: str | None, source: Path) -> None:
    """To standard output, or (atomically) to the file ``output``, never over ``source``."""
    if output is None:
        sys.stdout.write(content)
        return
    _write_file(output, content, protect=source)


def _write_file(
    destination: str, content: str | bytes, *, protect: Path | None = None, verb: str = "written"
) -> None:
    """Write atomically, never over ``protect`` (the scenario being run); failures are a message
    and exit status 2."""
    from backprop_trace.files import DestinationError, same_file, write_atomically

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
    from backprop_trace.files import DestinationError, check_destination

    try:
        return check_destination(destination)
    except DestinationError as error:
        _refuse(destination, verb, str(error))


def _refuse(destination: str, verb: str, reason: str) -> NoReturn:
    _tell(f"{destination or repr(destination)}: not {verb}: {reason}")
    raise typer.Exit(EXIT_BAD_INPUT)


def _save(trace: Trace, source: Path, destination: str, overwrite: bool) -> None:
    from backprop_trace.files import same_file
    from backprop_trace.render.scenario_file import npy_bytes, scenario_text, side_files

    if same_file(Path(destination), source) and not overwrite:
        _tell(
            f"{destination}: not saved: that is the scenario being run; "
            "save elsewhere, or add --overwrite"
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    from backprop_trace.scenario import MAX_FILE_BYTES

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


def _refuse_to_replace(targets: list[Path], force: bool) -> None:
    there = [str(t) for t in targets if t.exists()]
    if there and not force:
        for name in there:
            _tell(f"{name}: exists; not replaced (add --force to replace it)")
        raise typer.Exit(EXIT_BAD_INPUT)
