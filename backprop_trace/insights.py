"""Notes on a step, derived from its numbers: why a parameter moved or did not.

Each note is computed from the trace (dead units, zero inputs, kinks, the direction of descent,
the largest change, frozen parameters, outputs that moved away, why the loss rose) and says only
what the numbers show. Nothing here is canned text about a particular scenario. ``fmt`` formats a
number the way the tables do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .layers import Linear
from .numerics import Array, change_is_noise, errors_within_rounding, to_float
from .trace import LayerStep, ParamStep, StepTrace, Trace
from .wording import noun, plural, verb

Fmt = Callable[[Any], str]

UNIT_ROUNDOFF = float(np.finfo(np.float64).eps) / 2

NOTE_KINDS = (
    "dead_units",
    "at_kink",
    "near_kink",
    "zero_loss",
    "double_softmax",
    "zero_input",
    "frozen",
    "direction",
    "adam_first_step",
    "largest_change",
    "moved_away",
    "overshot",
    "rose_at_kink",
    "uphill",
    "tie",
    "pool_losers",
    "near_tie",
    "batch_coupled",
    "dropped",
    "vanishing",
    "exploding",
)


@dataclass(frozen=True)
class Note:
    phase: str  # forward | loss | backward | update | verify | summary
    kind: str  # one of NOTE_KINDS
    text: str

    def __post_init__(self) -> None:
        if self.kind not in NOTE_KINDS:
            raise ValueError(f"unknown note kind {self.kind!r}: add it to NOTE_KINDS")


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


def _unit(at: tuple[int, ...]) -> str:
    """(3,) -> 'unit 3'; (1, 2, 0) -> 'entry [1][2][0]'"""
    return f"unit {at[0]}" if len(at) == 1 else "entry " + "".join(f"[{i}]" for i in at)


def _units(indices: Sequence[int]) -> str:
    return noun(len(indices), "unit") + " " + listing([str(i) for i in indices])


def step_notes(trace: Trace, step: StepTrace, fmt: Fmt) -> list[Note]:
    notes: list[Note] = []
    notes += _kinks_and_dead_units(trace, step, fmt)
    notes += _zero_loss(trace, step)
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
    notes += _kinds_own(trace, step)
    notes += _zero_inputs(trace, step)
    notes += _update(trace, step, fmt)
    notes += _verify(trace, step, fmt)
    return notes


def _kinds_own(trace: Trace, step: StepTrace) -> list[Note]:
    """What each layer's kind says of its layer (Layer.notes): ties, dropped units, ..."""
    notes: list[Note] = []
    for i, layer in enumerate(trace.scenario.layers):
        flow_in = step.layers[i - 1].grad_output if i > 0 else None
        for note in layer.notes(step.layers[i], flow_in, step.examples):
            notes.append(Note(note.phase, note.kind, note.text))
    return notes


def _zero_loss(trace: Trace, step: StepTrace) -> list[Note]:
    if step.loss_before != 0:
        return []
    trained = [p for p in step.params if p.grad is not None]
    if not all((p.grad == 0).all() for p in trained if p.grad is not None):
        return []  # a loss that rounds to 0 can still have gradients
    before = step.probabilities if step.probabilities is not None else step.outputs_before
    if not (before == step.targets).all():
        return []
    text = "The loss is 0: every prediction equals its target, so every gradient is 0"
    moved = [p.name for p in trained if (p.new != p.old).any()]
    if not moved:
        text += " and no parameter changes on this step."
    else:
        text += (
            f"; {listing(moved)} still {verb(len(moved), 'moves')}: "
            f"{_carriers_phrase(trace, step, _moved_without_gradient(step))} "
            f"{verb(len(moved), 'moves')} "
            f"{'it' if len(moved) == 1 else 'them'}."
        )
    return [Note("loss", "zero_loss", text)]


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
    """The units of layer i that pass no gradient for any example of the batch (dead relu
    units; Layer.blocked says where a kind blocks)."""
    blocked = trace.scenario.layers[i].blocked(step.layers[i].input)
    if blocked is None or blocked.ndim != 2:  # units of vectors, not the entries of images
        return []
    return [int(j) for j in np.flatnonzero(blocked.all(axis=0))]


def _silenced(trace: Trace, step: StepTrace, i: int, after: int) -> list[int]:
    """The dead units of ReLU layer i whose zero output reaches linear layer ``after`` as a zero
    input (not so when, say, a sigmoid between them turns 0 into 1/2)."""
    zero = (step.layers[after].input == 0).all(axis=0)
    return [j for j in dead_units(trace, step, i) if zero[j]]


def _zero_gradient(p: ParamStep, units: Sequence[int], layout: str, *, incoming: bool) -> bool:
    """Whether every entry of p tied to these units has a gradient of exactly 0."""
    if p.grad is None:
        return False
    if p.grad.ndim == 1:
        return bool((p.grad[list(units)] == 0).all())
    unit_axis = 1 if layout == "in_out" else 0
    axis = unit_axis if incoming else 1 - unit_axis
    return bool((np.take(p.grad, list(units), axis=axis) == 0).all())


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


def _kinks_and_dead_units(trace: Trace, step: StepTrace, fmt: Fmt) -> list[Note]:
    notes: list[Note] = []
    layout = trace.scenario.layout
    batch = len(step.examples) > 1
    for i, layer in enumerate(step.layers):
        dead = dead_units(trace, step, i)
        if dead:
            notes.append(Note("forward", "dead_units", _dead_text(trace, step, i, dead, layout)))
        kind = trace.scenario.layers[i]
        if not kind.same_shape:  # a window's tie (max-pooling): the kind's own note says it
            continue
        for a, *at in layer.at_kink:
            where = f" for example {step.examples[a]}" if batch else ""
            notes.append(
                Note(
                    "forward",
                    "at_kink",
                    f"{layer.name} {kind.kink_phrase(tuple(at))}{where}, on the kink: "
                    + kind.kink_convention(),
                )
            )
        for a, *at in layer.near_kink:
            where = f" for example {step.examples[a]}" if batch else ""
            index = (a, *at)  # (not inside the brackets: Python 3.10 cannot parse that)
            value = float(layer.input[index])
            notes.append(
                Note(
                    "forward",
                    "near_kink",
                    f"{layer.name} {_unit(tuple(at))}'s pre-activation is {value:.2g}"
                    f"{where}, within float64 rounding distance of the kink at 0, so 0 to the "
                    "precision of the computation (the tables show ≈ 0): which side it falls on "
                    "was decided by rounding. Exact arithmetic (numerics: exact) settles it where "
                    "every operation is rational.",
                )
            )
    return notes


def _dead_text(trace: Trace, step: StepTrace, i: int, dead: list[int], layout: str) -> str:
    layer = step.layers[i]
    one = len(dead) == 1
    before, after = _neighbour_linear(trace, i, -1), _neighbour_linear(trace, i, +1)
    blocked: list[str] = []
    if before is not None:
        for p in _params_of(step, step.layers[before]):
            if p.trainable and _zero_gradient(p, dead, layout, incoming=True):
                blocked += _per_unit(p, layout, dead, incoming=True)
    text = (
        f"{layer.name} {_units(dead)} {verb(len(dead), 'is')} dead: the pre-activation is "
        + ("≤ 0 for every example" if len(step.examples) > 1 else "≤ 0")
        + ", so the output is 0 and no gradient flows back through "
        + ("it" if one else "them")
    )
    if blocked:
        text += f": {listing(blocked)} get zero gradient"
    if after is not None:
        w = step.param(step.layers[after].params[0])
        silent = _silenced(trace, step, i, after)
        if w.trainable and silent:
            outgoing = listing(_per_unit(w, layout, silent, incoming=False))
            whose = (
                ("its zero output" if one else "their zero output")
                if silent == dead
                else f"the zero output of {_units(silent)}"
            )
            text += f"; and {whose} gives {outgoing} zero gradient"
    return text + "."


def _zero_inputs(trace: Trace, step: StepTrace) -> list[Note]:
    notes: list[Note] = []
    for i, layer in enumerate(step.layers):
        if not isinstance(trace.scenario.layers[i], Linear):
            continue
        w = step.param(layer.params[0])
        if not w.trainable:
            continue
        start = _neighbour_linear(trace, i, -1)
        explained = {  # dead units upstream, whose note names these weights already
            j for k in range((start or -1) + 1, i) for j in _silenced(trace, step, k, i)
        }
        zero = [
            int(f) for f in np.flatnonzero((layer.input == 0).all(axis=0)) if f not in explained
        ]
        if not zero:
            continue
        word = noun(len(zero), "input")
        source = word.capitalize() if i == 0 else f"{layer.name}'s {word}"
        rows = listing([weight_slice(w.name, trace.scenario.layout, inp=f) for f in zero])
        notes.append(
            Note(
                "backward",
                "zero_input",
                f"{source} {listing([str(f) for f in zero])} {verb(len(zero), 'is')} 0, so "
                f"{rows} get zero gradient: a weight's gradient is its input times the "
                "learning flow.",
            )
        )
    return notes


def carriers(trace: Trace, step: StepTrace, gradless: dict[str, Array] | None = None) -> list[str]:
    """What, besides this step's gradient, moves the parameters on this step: the only ways a
    parameter can move against its gradient, or move with a gradient of 0. Without them every
    optimizer here steps along -gradient, each entry scaled by a positive factor. Given
    ``gradless`` (per parameter, a mask of entries whose gradient is 0), a buffer is named only
    where one of those entries holds a nonzero one: with no gradient, nothing else can move it."""
    optimizer = trace.scenario.optimizer

    def carried(state: str) -> bool:
        if gradless is None:
            return True
        return any(
            (p.state[state][gradless[p.name]] != 0).any()
            for p in step.params
            if p.name in gradless and state in p.state
        )

    out: list[str] = []
    if step.step > 1:  # on step 1 a buffer or running average is this step's gradient itself
        if getattr(optimizer, "momentum", 0) and carried("momentum_buffer"):
            out.append("momentum (the buffer carries earlier steps' gradients)")
        if optimizer.kind in ("adam", "adamw") and carried("exp_avg"):
            out.append("Adam's running average m (it carries earlier steps' gradients)")
    if getattr(optimizer, "weight_decay", 0):
        out.append("weight decay")
    return out


def _carriers_phrase(
    trace: Trace, step: StepTrace, gradless: dict[str, Array] | None = None
) -> str:
    return " or ".join(carriers(trace, step, gradless)) or "the optimizer"


def _moved_without_gradient(step: StepTrace) -> dict[str, Array]:
    """Per trained parameter, the entries that moved with a gradient of 0."""
    return {p.name: (p.grad == 0) & (p.new != p.old) for p in step.params if p.grad is not None}


def _update(trace: Trace, step: StepTrace, fmt: Fmt) -> list[Note]:
    notes: list[Note] = []
    frozen = [p.name for p in step.params if not p.trainable]
    if frozen:
        text = (
            f"{listing(frozen)} {verb(len(frozen), 'is')} frozen (requires_grad=False): "
            "no gradient, no change."
        )
        order = [p.name for p in step.params]
        first_frozen = min(order.index(name) for name in frozen)
        if any(p.trainable for p in step.params[:first_frozen]):
            text += " The learning flow still passes through to the trainable layers before them."
        notes.append(Note("update", "frozen", text))
    notes += _direction(trace, step)
    notes += _adam_first_step(trace, step, fmt)
    best: tuple[Any, str, Any, Any] | None = None
    for p in step.params:
        change = p.new - p.old
        if p.grad is None or not (change != 0).any():
            continue
        index = np.unravel_index(int(np.argmax(np.abs(_floats(change)))), change.shape)
        size = abs(change[index])
        if best is None or size > best[0]:
            best = (size, entry(p, tuple(int(i) for i in index)), p.old[index], p.new[index])
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


@dataclass(frozen=True)
class Directions:
    """How many entries moved which way relative to their gradient."""

    rose: int  # negative gradient, moved up: against the gradient, as descent does
    fell: int  # positive gradient, moved down
    along: int  # moved the same way as their gradient
    without: int  # moved with a gradient of exactly 0


def directions(step: StepTrace) -> Directions:
    rose = fell = along = without = 0
    for p in step.params:
        if p.grad is None:
            continue
        change = p.new - p.old
        rose += int(((p.grad < 0) & (change > 0)).sum())
        fell += int(((p.grad > 0) & (change < 0)).sum())
        along += int((((p.grad > 0) & (change > 0)) | ((p.grad < 0) & (change < 0))).sum())
        without += int(((p.grad == 0) & (change != 0)).sum())
    return Directions(rose, fell, along, without)


def _direction(trace: Trace, step: StepTrace) -> list[Note]:
    d = directions(step)
    if not (d.rose or d.fell or d.along or d.without):
        return []
    text = (
        "Gradient descent moves each parameter against its gradient: "
        f"{plural(d.rose, 'entry')} with a negative gradient rose and {d.fell:,} with a positive "
        "gradient fell."
    )
    odd = [
        f"{d.along:,} moved the same way as {'its' if d.along == 1 else 'their'} gradient"
        if d.along
        else "",
        f"{d.without:,} moved with a gradient of 0" if d.without else "",
    ]
    odd = [part for part in odd if part]
    if odd:
        one = d.along + d.without == 1
        gradless = None if d.along else _moved_without_gradient(step)
        phrase = _carriers_phrase(trace, step, gradless)
        text += f" {listing(odd)}: {phrase} moved {'it' if one else 'them'}."
    return [Note("update", "direction", text)]


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
        g = _floats(p.terms["m̂"]) if "m̂" in p.terms else _floats(p.grad)
        live = g != 0
        sizes += list(np.abs(_floats(p.new - p.old))[live] / lr)
        grads += list(np.abs(g)[live])
    if not sizes or max(abs(s - 1) for s in sizes) > 0.01:
        return []
    coupled = bool(getattr(optimizer, "weight_decay", 0)) and optimizer.kind == "adam"
    what = "g (the gradient plus wd × p)" if coupled else "g (the gradient)"
    return [
        Note(
            "update",
            "adam_first_step",
            f"Adam's first step: its bias-corrected moments are m̂ = {what} and v̂ = g², so each "
            f"parameter with a non-zero g moves by lr · |g| / (|g| + eps) ≈ lr = "
            f"{fmt(lr)}, whatever the size of g (here |g| from {fmt(min(grads))} to "
            f"{fmt(max(grads))}).",
        )
    ]


def first_order_change(step: StepTrace) -> Any:
    """Σ gradient × change over the trained parameters: how much the update changes the loss
    to first order. Negative: the update points downhill."""
    total: Any = 0
    for p in step.params:
        if p.grad is not None:
            total = total + (p.grad * (p.new - p.old)).sum()
    return total


def _first_order_noise(step: StepTrace) -> float:
    """In float64, how large a first-order change is rounding noise: k·n·u·Σ|gradient × change|."""
    terms = [np.abs(_floats(p.grad * (p.new - p.old))) for p in step.params if p.grad is not None]
    n = sum(t.size for t in terms)
    return 4 * n * UNIT_ROUNDOFF * float(sum(t.sum() for t in terms))


def _verify(trace: Trace, step: StepTrace, fmt: Fmt) -> list[Note]:
    notes: list[Note] = []
    before, after = step.outputs_before, step.outputs_after
    if step.probabilities is not None and step.probabilities_after is not None:
        before, after = step.probabilities, step.probabilities_after
    away = np.abs(after - step.targets) > np.abs(before - step.targets)
    if step.probabilities is None:  # errors that are rounding both before and after: no move
        away &= ~errors_within_rounding(step.outputs_after, step.targets)
    batch = len(step.examples) > 1
    moved = []
    for a, j in np.argwhere(away):
        label = f"output {j}" + (f" of example {step.examples[a]}" if batch else "")
        moved.append(
            f"{label} ({fmt(before[a][j])} → {fmt(after[a][j])}, target {fmt(step.targets[a][j])})"
        )
    moved_loss = not change_is_noise(step.loss_before, step.loss_after) and not (
        loss_within_rounding(trace, step.loss_after, step.outputs_after, step.targets)
    )  # a change beyond float64 rounding, to a loss that is not rounding itself
    if moved:
        text = f"Moved away from the target: {listing(moved, 4)}."
        if before.size > 1 and step.loss_after < step.loss_before and moved_loss:
            text += " One step balances all outputs at once, so an output can get worse while "
            text += "the loss falls."
        notes.append(Note("verify", "moved_away", text))
    if step.loss_after > step.loss_before and moved_loss:
        notes.append(_loss_rose(trace, step, fmt))
    return notes


def _loss_rose(trace: Trace, step: StepTrace, fmt: Fmt) -> Note:
    """Why the loss rose, decided by the first-order change Σ gradient × change: negative, the
    update pointed downhill and went too far; otherwise it did not point downhill at all."""
    rise = step.loss_after - step.loss_before
    change = first_order_change(step)
    noise = 0.0 if trace.numerics == "exact" else _first_order_noise(step)
    if change < 0 and abs(change) > noise and _update_moves_a_kink(trace, step):
        return Note(
            "verify",
            "rose_at_kink",
            f"The loss rose by {fmt(rise)} though the gradient says the update points downhill: "
            f"to first order (Σ gradient × change) it lowers the loss by {fmt(-change)}. But a "
            "unit sits on a kink (see the forward pass), where the gradient is the slope of one "
            "side only: along this update the loss may rise from the very start.",
        )
    if change < 0 and abs(change) > noise:
        return Note(
            "verify",
            "overshot",
            f"The loss rose by {fmt(rise)} though the update points downhill: to first order "
            f"(Σ gradient × change) it lowers the loss by {fmt(-change)}. The step was too long "
            "for the curvature of the loss: it overshot. A smaller learning rate takes smaller "
            "steps.",
        )
    if abs(change) <= noise or change == 0:
        first = (
            "leaves the loss unchanged (Σ gradient × change is 0 to the precision of the "
            f"arithmetic): {_carriers_phrase(trace, step)} turned the step away from the "
            "direction of descent"
        )
    else:
        first = (
            f"raises the loss by {fmt(change)} (Σ gradient × change): "
            f"{_carriers_phrase(trace, step)} carried the parameters against the gradient"
        )
    return Note(
        "verify",
        "uphill",
        f"The loss rose by {fmt(rise)}: the update does not point downhill. To first order it "
        f"{first}.",
    )


def loss_within_rounding(trace: Trace, loss: Any, outputs: Array, targets: Array) -> bool:
    """Whether a nonzero loss made of squared errors is 0 to the precision of the computation:
    every error is within the rounding of y - t (a float64 run that has converged: 1e-31)."""
    return (
        loss != 0
        and trace.scenario.loss.of_errors
        and bool(errors_within_rounding(outputs, targets).all())
    )


def _update_moves_a_kink(trace: Trace, step: StepTrace) -> bool:
    """Whether the update may move a pre-activation that sits on (or, in float64, within
    rounding of) a kink. Where it cannot, the one-sided gradient is the true slope along the
    update, and Σ gradient × change says which way the loss starts. Shown not to move: a unit
    right after the first linear layer (whose input is the data, fixed), when x · ΔW[:, j] + Δb[j]
    is exactly 0, so its pre-activation stays on the kink all along the update. Anything else is
    taken to move."""
    layout = trace.scenario.layout
    for i, layer in enumerate(step.layers):
        kinks = layer.at_kink + layer.near_kink
        if not kinks:
            continue
        linear = _neighbour_linear(trace, i, -1)
        if linear is None or linear != i - 1 or _neighbour_linear(trace, linear, -1) is not None:
            return True
        params = _params_of(step, step.layers[linear])
        weight = params[0].new - params[0].old
        if layout == "out_in":
            weight = weight.T
        bias = params[1].new - params[1].old if len(params) > 1 else None
        x = step.layers[linear].input
        for a, j in kinks:
            moved = sum(x[a][k] * weight[k][j] for k in range(weight.shape[0]))
            if bias is not None:
                moved = moved + bias[j]
            if moved != 0:
                return True
    return False


def _floats(x: Array) -> Array:
    return to_float(x)


def _signed(fmt: Fmt, value: Any) -> str:
    text = fmt(value)
    return text if text.startswith("-") else "+" + text


# -- gradient health over a run ---------------------------------------------------------------

VANISHING = 1e-3  # a layer's gradient norm below this fraction of the largest layer's
EXPLODING = 10.0  # ... or growing this many times
WINDOW = 5  # ... within this many steps


def layer_norms(trace: Trace) -> dict[str, list[float]]:
    """Each layer with trained parameters: the L2 norm of its whole gradient (all its tensors
    together) at every step run, in order."""
    out: dict[str, list[float]] = {}
    for layer in trace.scenario.layers:
        names = [n for n in layer.param_names if n in trace.grad_norms]
        if names:
            steps = zip(*(trace.grad_norms[n] for n in names), strict=True)
            out[layer.name] = [float(np.sqrt(sum(v * v for v in at))) for at in steps]
    return out


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """The (first, last) indexes of each run of True."""
    runs, start = [], None
    for k, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = k
        elif not flag and start is not None:
            runs.append((start, k - 1))
            start = None
    return runs


def _steps(first: int, last: int) -> str:
    """Steps by their number (from 1), from list indexes."""
    return f"step {first + 1}" if first == last else f"steps {first + 1}–{last + 1}"


def gradient_health(trace: Trace) -> list[Note]:
    """Vanishing: a layer whose gradient norm stays below VANISHING of the largest layer's for
    WINDOW steps or more (all of a shorter run). Exploding: a layer whose norm grows EXPLODING
    times or more within WINDOW steps, to a norm not itself below VANISHING of the largest.
    Each names the layer and the steps."""
    norms = layer_norms(trace)
    if not norms:
        return []
    steps = len(next(iter(norms.values())))
    largest = [max(v[k] for v in norms.values()) for k in range(steps)]
    notes: list[Note] = []
    for layer, values in norms.items():
        small = [
            bool(np.isfinite(largest[k]) and largest[k] > 0 and values[k] < VANISHING * largest[k])
            for k in range(steps)
        ]
        for first, last in _runs(small):
            if last - first + 1 >= min(WINDOW, steps):
                ratio = min(values[k] / largest[k] for k in range(first, last + 1))
                notes.append(
                    Note(
                        "summary",
                        "vanishing",
                        f"{layer}: its gradient's norm stayed below 1/1000 of the largest "
                        f"layer's at {_steps(first, last)} (down to {ratio:.1e} of it): "
                        "vanishing gradients, so it barely learns.",
                    )
                )
        grew = [  # tenfold, and to a size that counts (not a vanishing gradient stirring)
            bool(
                values[k] > 0
                and values[k + WINDOW] >= EXPLODING * values[k]
                and not small[k + WINDOW]
            )
            for k in range(steps - WINDOW)
        ]
        for first, last in _runs(grew):
            end = last + WINDOW
            notes.append(
                Note(
                    "summary",
                    "exploding",
                    f"{layer}: its gradient's norm grew tenfold or more within {WINDOW} steps "
                    f"at {_steps(first, end)} ({values[first]:.3g} → {values[end]:.3g}): "
                    "exploding gradients; a smaller learning rate usually helps.",
                )
            )
    return notes
