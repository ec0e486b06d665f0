"""Notes on a step, derived from its numbers: why a parameter moved or did not.

Each note is computed from the trace (dead units, zero inputs, kinks, the direction of descent,
the largest change, frozen parameters, outputs that moved away). Nothing here is canned text about
a particular scenario. ``fmt`` formats a number the way the tables do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .layers import Linear, ReLU
from .numerics import Array, to_float
from .trace import LayerStep, ParamStep, StepTrace, Trace

Fmt = Callable[[Any], str]


@dataclass(frozen=True)
class Note:
    phase: str  # forward | loss | backward | update | verify
    kind: str
    text: str


def entry(p: ParamStep, index: tuple[int, ...]) -> str:
    """W2[2][3], b1[0]: a parameter entry as the scenario's layout indexes it."""
    return p.name + "".join(f"[{i}]" for i in index)


def weight_slice(name: str, layout: str, *, unit: int | None = None, inp: int | None = None) -> str:
    """The entries of a weight matrix that belong to one unit (output) or one input."""
    if unit is not None:
        return f"{name}[*][{unit}]" if layout == "in_out" else f"{name}[{unit}][*]"
    return f"{name}[{inp}][*]" if layout == "in_out" else f"{name}[*][{inp}]"


def listing(items: Sequence[str], limit: int = 6) -> str:
    shown = list(items[:limit])
    if len(items) > limit:
        return ", ".join(shown) + f" and {len(items) - limit} more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _units(indices: Sequence[int]) -> str:
    return ("unit " if len(indices) == 1 else "units ") + listing([str(i) for i in indices])


def step_notes(trace: Trace, step: StepTrace, fmt: Fmt) -> list[Note]:
    notes: list[Note] = []
    notes += _kinks_anddead_units(trace, step, fmt)
    if step.loss_before == 0:
        notes.append(
            Note(
                "loss",
                "zero_loss",
                "The loss is 0: every prediction equals its target, so every gradient is 0 "
                "and plain gradient descent changes nothing on this step.",
            )
        )
    if trace.scenario.loss.kind == "cross_entropy" and trace.scenario.layers[-1].kind == "softmax":
        notes.append(
            Note(
                "loss",
                "double_softmax",
                "The network ends with a softmax and cross_entropy applies its own: the loss "
                "sees softmax(softmax(z)), which flattens the probabilities and shrinks the "
                "gradients. torch.nn.CrossEntropyLoss expects logits: drop the softmax layer.",
            )
        )
    notes += _zero_inputs(trace, step)
    notes += _update(trace, step, fmt)
    notes += _verify(trace, step, fmt)
    return notes


def _params_of(step: StepTrace, layer: LayerStep) -> list[ParamStep]:
    return [step.param(name) for name in layer.params]


def _neighbour_linear(trace: Trace, index: int, direction: int) -> int | None:
    i = index + direction
    while 0 <= i < len(trace.scenario.layers):
        if isinstance(trace.scenario.layers[i], Linear):
            return i
        i += direction
    return None


def dead_units(trace: Trace, step: StepTrace, i: int) -> list[int]:
    """ReLU units that pass no gradient for any example of the batch."""
    layer = trace.scenario.layers[i]
    if not isinstance(layer, ReLU):
        return []
    z = step.layers[i].input
    blocked = (z < 0) | ((z == 0) & (layer.grad_at_zero == 0))
    return [int(j) for j in np.flatnonzero(blocked.all(axis=0))]


def _per_unit(p: ParamStep, layout: str, units: Sequence[int], *, incoming: bool) -> list[str]:
    """The entries of p tied to these units: named one by one when few, else counted."""
    if p.old.ndim == 1:
        named = [entry(p, (j,)) for j in units]
        return named if len(units) <= 3 else [f"{len(units)} entries of {p.name}"]
    slices = [
        weight_slice(p.name, layout, unit=j) if incoming else weight_slice(p.name, layout, inp=j)
        for j in units
    ]
    if len(units) <= 3:
        return slices
    row_wise = (layout == "in_out") != incoming  # in_out: a unit's incoming weights are a column
    kind = "rows" if row_wise else "columns"
    return [f"{len(units)} {kind} of {p.name} ({listing(slices, 3)})"]


def _kinks_anddead_units(trace: Trace, step: StepTrace, fmt: Fmt) -> list[Note]:
    notes: list[Note] = []
    layout = trace.scenario.layout
    batch = len(step.examples) > 1
    for i, layer in enumerate(step.layers):
        dead = dead_units(trace, step, i)
        if dead:
            before, after = _neighbour_linear(trace, i, -1), _neighbour_linear(trace, i, +1)
            blocked: list[str] = []
            if before is not None:
                for p in _params_of(step, step.layers[before]):
                    if p.trainable:
                        blocked += _per_unit(p, layout, dead, incoming=True)
            text = (
                f"{layer.name} {_units(dead)} "
                + ("are" if len(dead) > 1 else "is")
                + " dead: the pre-activation is "
                + ("≤ 0 for every example" if batch else "≤ 0")
                + ", so the output is 0 and no gradient flows back through "
                + ("them" if len(dead) > 1 else "it")
            )
            if blocked:
                text += f": {listing(blocked)} get zero gradient"
            if after is not None:
                w = step.param(step.layers[after].params[0])
                if w.trainable:
                    outgoing = listing(_per_unit(w, layout, dead, incoming=False))
                    text += f"; and their zero output gives {outgoing} zero gradient"
            notes.append(Note("forward", "dead_units", text + "."))
        for a, j in layer.at_kink:
            where = f" for example {step.examples[a]}" if batch else ""
            notes.append(
                Note(
                    "forward",
                    "at_kink",
                    f"{layer.name} unit {j}'s pre-activation is exactly 0{where}, on the kink: "
                    + _kink_convention(trace.scenario.layers[i]),
                )
            )
        for a, j in layer.near_kink:
            where = f" for example {step.examples[a]}" if batch else ""
            notes.append(
                Note(
                    "forward",
                    "near_kink",
                    f"{layer.name} unit {j}'s pre-activation is {float(layer.input[a][j]):.2g}"
                    f"{where}, within float64 rounding distance of the kink at 0: which side it "
                    "falls on was decided by rounding. Exact arithmetic (numerics: exact) settles "
                    "it where every operation is rational.",
                )
            )
    return notes


def _kink_convention(layer: object) -> str:
    if isinstance(layer, ReLU):
        if layer.grad_at_zero == 0:
            return (
                "its derivative there is taken as 0 (PyTorch's convention), so no gradient passes."
            )
        if layer.grad_at_zero == 1:
            return "its derivative there is taken as 1 (the x >= 0 convention), so gradient passes."
        return f"its derivative there is taken as grad_at_zero = {layer.grad_at_zero}."
    slope = getattr(layer, "slope", "")
    return f"its derivative there is the slope, {slope}, as in PyTorch."


def _zero_inputs(trace: Trace, step: StepTrace) -> list[Note]:
    notes: list[Note] = []
    for i, layer in enumerate(step.layers):
        if not isinstance(trace.scenario.layers[i], Linear):
            continue
        w = step.param(layer.params[0])
        if not w.trainable:
            continue
        explained = set(dead_units(trace, step, i - 1)) if i > 0 else set()
        zero = [
            int(f) for f in np.flatnonzero((layer.input == 0).all(axis=0)) if f not in explained
        ]
        if not zero:
            continue
        plural = len(zero) > 1
        source = (
            ("Inputs" if plural else "Input")
            if i == 0
            else (f"{layer.name}'s " + ("inputs" if plural else "input"))
        )
        rows = listing([weight_slice(w.name, trace.scenario.layout, inp=f) for f in zero])
        notes.append(
            Note(
                "backward",
                "zero_input",
                f"{source} {listing([str(f) for f in zero])} "
                + ("are" if plural else "is")
                + f" 0, so {rows} get zero gradient: a weight's gradient is its input times the "
                "learning flow.",
            )
        )
    return notes


def _update(trace: Trace, step: StepTrace, fmt: Fmt) -> list[Note]:
    notes: list[Note] = []
    frozen = [p.name for p in step.params if not p.trainable]
    if frozen:
        text = (
            f"{listing(frozen)} "
            + ("are" if len(frozen) > 1 else "is")
            + " frozen (requires_grad=False): no gradient, no change."
        )
        order = [p.name for p in step.params]
        first_frozen = min(order.index(name) for name in frozen)
        if any(p.trainable for p in step.params[:first_frozen]):
            text += " The learning flow still passes through to the trainable layers before them."
        notes.append(Note("update", "frozen", text))
    rose = fell = against = 0
    best: tuple[Any, str, Any, Any] | None = None
    for p in step.params:
        if p.grad is None:
            continue
        change = p.new - p.old
        moved = change != 0
        rose += int((moved & (p.grad < 0) & (change > 0)).sum())
        fell += int((moved & (p.grad > 0) & (change < 0)).sum())
        against += int(
            (moved & (((p.grad > 0) & (change > 0)) | ((p.grad <= 0) & (change < 0)))).sum()
        )
        if moved.any():
            index = np.unravel_index(int(np.argmax(np.abs(_floats(change)))), change.shape)
            size = abs(change[index])
            if best is None or size > best[0]:
                best = (size, entry(p, tuple(int(i) for i in index)), p.old[index], p.new[index])
    if rose or fell:
        text = (
            f"Gradient descent moves each weight against its gradient: {rose} "
            f"{'entry' if rose == 1 else 'entries'} with a negative gradient rose and {fell} "
            f"with a positive gradient fell."
        )
        if against:
            text += (
                f" {against} moved the other way or without a gradient: the optimizer's state "
                "or weight decay moved them."
            )
        notes.append(Note("update", "direction", text))
    notes += _adam_first_step(trace, step, fmt)
    if best is not None:
        _, name, old, new = best
        notes.append(
            Note(
                "update",
                "largest_change",
                f"Largest change: {name}, {fmt(old)} → {fmt(new)} ({_signed(fmt, new - old)}).",
            )
        )
    return notes


def _adam_first_step(trace: Trace, step: StepTrace, fmt: Fmt) -> list[Note]:
    """On step 1, Adam's bias-corrected moments are g and g^2: every step is about lr."""
    optimizer = trace.scenario.optimizer
    if optimizer.kind not in ("adam", "adamw") or step.step != 1:
        return []
    lr = float(optimizer.lr)
    sizes, grads = [], []
    for p in step.params:
        if p.grad is None:
            continue
        live = _floats(p.grad) != 0
        sizes += list(np.abs(_floats(p.new - p.old))[live] / lr)
        grads += list(np.abs(_floats(p.grad))[live])
    if not sizes or max(abs(s - 1) for s in sizes) > 0.01:
        return []
    return [
        Note(
            "update",
            "adam_first_step",
            f"Adam's first step: its bias-corrected moments are m̂ = g and v̂ = g², so each "
            f"parameter with a non-zero gradient moves by lr · |g| / (|g| + eps) ≈ lr = "
            f"{fmt(lr)}, whatever the size of its gradient (here from {fmt(min(grads))} to "
            f"{fmt(max(grads))}).",
        )
    ]


def _verify(trace: Trace, step: StepTrace, fmt: Fmt) -> list[Note]:
    notes: list[Note] = []
    before, after = step.outputs_before, step.outputs_after
    if step.probabilities is not None and step.probabilities_after is not None:
        before, after = step.probabilities, step.probabilities_after
    away = np.abs(after - step.targets) > np.abs(before - step.targets)
    batch = len(step.examples) > 1
    moved = []
    for a, j in np.argwhere(away):
        label = f"output {j}" + (f" of example {step.examples[a]}" if batch else "")
        moved.append(
            f"{label} ({fmt(before[a][j])} → {fmt(after[a][j])}, target {fmt(step.targets[a][j])})"
        )
    if moved:
        notes.append(
            Note(
                "verify",
                "moved_away",
                f"Moved away from the target: {listing(moved, 4)}. One step balances all outputs "
                "at once, so an output can get worse while the loss falls.",
            )
        )
    if step.loss_after > step.loss_before:
        notes.append(
            Note(
                "verify",
                "loss_rose",
                "The loss rose: the step overshot. A smaller learning rate takes smaller steps.",
            )
        )
    return notes


def _floats(x: Array) -> Array:
    return to_float(x)


def _signed(fmt: Fmt, value: Any) -> str:
    text = fmt(value)
    return text if text.startswith("-") else "+" + text
