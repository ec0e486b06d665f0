"""A trace's end state as a scenario file: the same network, data, loss and optimizer, with the
trained weights written out. Exact fractions stay exact; floats keep every digit (their shortest
round-trip form), so running the saved file continues from exactly these weights."""

from __future__ import annotations

import io
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from backprop_trace.files import write_atomically
from backprop_trace.numerics import Array
from backprop_trace.scenario import Scenario
from backprop_trace.trace import Trace
from backprop_trace.visible import visible
from backprop_trace.wording import plural
from backprop_trace.yaml_text import inline_numbers, quoted

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]{1,40}")  # a parameter name fit for a file name


def number(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        d = value.denominator
        for p in (2, 5):
            while d % p == 0:
                d //= p
        if d == 1:  # a terminating decimal: write it as one, exactly
            places = 0
            while (value * 10**places).denominator != 1:
                places += 1
            return f"{float(value):.{places}f}" if places <= 15 else f'"{value}"'
        return f'"{value}"'
    return repr(float(value))


def setting(value: Any) -> str:
    """A layer's setting as YAML: a flag, a name (gelu's approximate), or a number."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, (list, tuple)):  # [rows, columns]: a stride, a kernel size
        return "[" + ", ".join(setting(v) for v in value) + "]"
    return number(value)


def row(values: Any) -> str:
    return "[" + ", ".join(number(v) for v in values) + "]"


def matrix(values: Array, indent: str) -> str:
    """A block list of rows; a tensor of more dimensions as nested flow lists in each row."""
    return "".join(f"\n{indent}- {nested(r)}" for r in values)


def nested(values: Array) -> str:
    if values.ndim == 1:
        return row(values)
    return "[" + ", ".join(nested(v) for v in values) + "]"


def side_files(trace: Trace, destination: Path) -> dict[str, Path]:
    """The parameters written to .npy files beside the saved scenario instead of into it, and
    their files. The largest float64 tensors move out until the numbers left in the scenario
    are within yaml_text.inline_numbers(): what the tool writes, it reads back, and quickly.
    Exact fractions stay in the file, exactly."""
    return _side_files(trace.scenario, trace.final_params, destination)


def _side_files(s: Scenario, params: dict[str, Array], destination: Path) -> dict[str, Path]:
    budget = inline_numbers()
    inline = sum(int(v.size) for v in params.values())
    if not s.data_files:
        inline += int(s.inputs.size) + int(s.targets.size)
    stem = os.fsencode(destination.stem)[:150].decode("utf-8", "ignore")
    out: dict[str, Path] = {}
    for k, name in sorted(enumerate(s.param_order), key=lambda kn: -params[kn[1]].size):
        values = params[name]
        if inline <= budget:
            break
        if values.dtype == object:
            continue
        label = name if _PLAIN_NAME.fullmatch(name) else f"param{k + 1}"
        out[name] = destination.with_name(f"{stem}.{label}.npy")
        inline -= int(values.size)
    return out


def npy_bytes(values: Array) -> bytes:
    out = io.BytesIO()
    np.save(out, np.asarray(values, dtype=np.float64), allow_pickle=False)
    return out.getvalue()


def scenario_text(trace: Trace, destination: Path, files: dict[str, Path] | None = None) -> str:
    """The saved scenario; the parameters in ``files`` are named by their .npy file."""
    s = trace.scenario
    origin = visible(s.source)  # a comment ends at a newline: none of the file name's counts
    steps = plural(len(trace.losses_after), "step")
    comments = [f"# Saved by backprop-trace after {steps} of {origin}."]
    if s.optimizer.kind != "sgd" or s.optimizer.hyperparameters().get("momentum"):
        comments.append(
            f"# The optimizer's state ({s.optimizer.kind}) is not saved: it starts afresh."
        )
    if s.batches > 1:
        comments.append("# Batches start again from the first; steps: is the scenario's own count.")
    return _text(
        s, trace.final_params, trace.final_state, trace.numerics, comments, destination, files
    )


def _text(
    s: Scenario,
    params: dict[str, Array],
    state: dict[str, Array],
    numerics: str,
    comments: list[str],
    destination: Path,
    files: dict[str, Path] | None,
) -> str:
    """A scenario file: ``params`` in the scenario's layout, ``state`` the layers' buffers."""
    files = files or {}
    lines = [*comments, f"name: {quoted(s.name)}"]
    if s.description:
        lines.append(f"description: {quoted(s.description)}")
    lines += [f"layout: {s.layout}", "layers:"]
    counts: dict[str, int] = {}
    for layer in s.layers:
        counts[layer.kind] = counts.get(layer.kind, 0) + 1
        lines.append(f"  - type: {layer.kind}")
        if layer.name != f"{layer.kind}{counts[layer.kind]}":
            lines.append(f"    name: {quoted(layer.name)}")
        for key, name in layer.roles().items():
            values = params[name]
            if name in files:
                lines.append(f"    {key}: {quoted(files[name].name)}")
            elif values.ndim >= 2:
                lines.append(f"    {key}:{matrix(values, '      ')}")
            else:
                lines.append(f"    {key}: {row(values)}")
        for option, value in layer.options().items():
            if value is not None:  # None: not given (a dropout's mask drawn at each step)
                lines.append(f"    {option}: {setting(value)}")
        for key, name in layer.state_names().items():  # running statistics, as they end
            lines.append(f"    {key}: {row(state[name])}")
    lines.append(f"loss: {s.loss.kind}")
    hyper = ", ".join(
        f"{k}: {number(v) if isinstance(v, Fraction) else str(v).lower()}"
        for k, v in s.optimizer.hyperparameters().items()
        if k not in ("beta1", "beta2")
    )
    if hasattr(s.optimizer, "beta1"):
        betas = [s.optimizer.beta1, s.optimizer.beta2]  # type: ignore[attr-defined]
        hyper += f", betas: {row(betas)}"
    lines.append(f"optimizer: {{type: {s.optimizer.kind}, {hyper}}}")
    lines += ["data:", *_data(s, destination)]
    if s.frozen:
        lines.append(f"frozen: [{', '.join(quoted(name) for name in sorted(s.frozen))}]")
    lines += [f"steps: {s.steps}", f"seed: {s.seed}", f"numerics: {numerics}"]
    return "\n".join(lines) + "\n"


def _data(s: Scenario, destination: Path) -> list[str]:
    out: list[str] = []
    files = s.data_files
    where = destination.resolve().parent
    if "file" in files:
        out.append(f"  file: {quoted(os.path.relpath(files['file'], where))}")
    else:
        if "inputs" in files:
            out.append(f"  inputs: {quoted(os.path.relpath(files['inputs'], where))}")
        else:
            out.append(f"  inputs:{matrix(s.inputs, '    ')}")
        if "targets" in files:
            out.append(f"  targets: {quoted(os.path.relpath(files['targets'], where))}")
        elif s.class_indices is not None:
            out.append(f"  targets: [{', '.join(str(c) for c in s.class_indices)}]")
        else:
            out.append(f"  targets:{matrix(s.targets, '    ')}")
    if s.batch_size != s.examples:
        out.append(f"  batch_size: {s.batch_size}")
    return out


def save_trained(trace: Trace, destination: Path) -> None:
    """Write the trained scenario, and its large tensors beside it, each atomically (see
    files.write_atomically)."""
    files = side_files(trace, destination)
    for name, path in files.items():
        write_atomically(path, npy_bytes(trace.final_params[name]))
    write_atomically(destination, scenario_text(trace, destination, files))


def save_scenario(scenario: Scenario, path: str | os.PathLike[str]) -> None:
    """Write a scenario as a file ``backprop-trace run`` reads (a PyTorch model's, from
    from_torch): its weights as they start, large ones in .npy files beside it; each file
    written atomically."""
    destination = Path(path)
    params = {n: scenario.in_layout(n, scenario.initial[n]) for n in scenario.param_order}
    files = _side_files(scenario, params, destination)
    for name, side in files.items():
        write_atomically(side, npy_bytes(params[name]))
    comments = [f"# Written by backprop-trace from {visible(scenario.source)}."]
    text = _text(
        scenario,
        params,
        scenario.initial_state,
        scenario.numerics,
        comments,
        destination,
        files,
    )
    write_atomically(destination, text)
