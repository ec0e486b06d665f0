"""The notes under the tables: each derived from the numbers of the step it describes."""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import training_runs

from backprop_trace import load_scenario, run, scenario_from_dict
from backprop_trace.bundled import scenarios_dir
from backprop_trace.engine import forward
from backprop_trace.insights import NOTE_KINDS, Note, step_notes
from backprop_trace.layers import Linear, ReLU
from backprop_trace.numerics import EXACT, FLOAT64
from backprop_trace.render.numbers import NumberStyle
from backprop_trace.trace import StepTrace, Trace

fmt = NumberStyle()


def notes_of(path: Path | str, step: int = 0, **kw: object) -> dict[str, Note]:
    trace = run(load_scenario(scenarios_dir() / path), **kw)  # type: ignore[arg-type]
    return {n.kind: n for n in step_notes(trace, trace.steps[step], fmt)}


def test_diagonal_flip_notes() -> None:
    notes = notes_of("diagonal_flip.yaml")
    dead = notes["dead_units"].text
    assert "relu1 units 0 and 1 are dead" in dead
    assert "W1[*][0], W1[*][1], b1[0] and b1[1] get zero gradient" in dead
    assert "W2[0][*] and W2[1][*] zero gradient" in dead
    assert "Input 1 is 0, so W1[1][*]" in notes["zero_input"].text
    assert "exactly 0" in notes["at_kink"].text and "PyTorch" in notes["at_kink"].text
    assert "8 entries with a negative gradient rose and 4" in notes["direction"].text
    assert "b2[3], 0.0000 → 0.0625 (+0.0625)" in notes["largest_change"].text
    assert "output 2 (-0.0500 → -0.0647, target 0.0000)" in notes["moved_away"].text
    assert "near_kink" not in notes and "overshot" not in notes and "frozen" not in notes


def test_float64_flags_the_kink_decided_by_rounding() -> None:
    notes = notes_of("diagonal_flip.yaml", numerics="float64")
    assert "within float64 rounding distance" in notes["near_kink"].text
    assert "at_kink" not in notes


def test_out_in_layout_names_the_other_axis(tmp_path: Path) -> None:
    text = (scenarios_dir() / "diagonal_flip.yaml").read_text()
    scenario = load_scenario(scenarios_dir() / "diagonal_flip.yaml")
    w1 = scenario.initial["W1"].T.tolist()
    w2 = scenario.initial["W2"].T.tolist()
    flipped = {
        "name": "flipped",
        "layout": "out_in",
        "layers": [
            {"type": "linear", "weight": w1, "bias": scenario.initial["b1"].tolist()},
            {"type": "relu"},
            {"type": "linear", "weight": w2, "bias": scenario.initial["b2"].tolist()},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": "1/10"},
        "data": {"input": [1, 0, 1, 1], "target": [1, 1, 0, 1]},
    }
    assert "Diagonal flip" in text
    trace = run(scenario_from_dict(flipped))
    notes = {n.kind: n.text for n in step_notes(trace, trace.steps[0], fmt)}
    assert "W1[0][*], W1[1][*]" in notes["dead_units"]
    assert "W2[*][0] and W2[*][1]" in notes["dead_units"]
    assert "W1[*][1]" in notes["zero_input"]


def test_zero_loss_explains_why_nothing_moved() -> None:
    notes = notes_of("learning_flow.yaml", step=0)
    assert "The loss is 0" in notes["zero_loss"].text
    assert "zero_loss" not in notes_of("learning_flow.yaml", step=2)


def test_frozen_first_layer() -> None:
    notes = notes_of("frozen_layer.yaml")
    assert notes["frozen"].text.startswith("W1 and b1 are frozen")
    assert "before them" not in notes["frozen"].text  # nothing before the first layer learns


def test_frozen_second_layer_still_passes_the_flow_back() -> None:
    data = {
        "name": "second frozen",
        "layers": [
            {"type": "linear", "weight": [[1, 2]], "bias": [0, 0]},
            {"type": "linear", "weight": [[1], [1]]},
        ],
        "loss": "sse",
        "optimizer": {"type": "sgd", "lr": "1/10"},
        "data": {"input": [1], "target": [0]},
        "frozen": ["W2"],
    }
    trace = run(scenario_from_dict(data))
    notes = {n.kind: n.text for n in step_notes(trace, trace.steps[0], fmt)}
    assert "W2 is frozen" in notes["frozen"]
    assert "trainable layers before them" in notes["frozen"]


def test_adam_first_step_note_only_on_the_first_step() -> None:
    first = notes_of("adam_first_steps.yaml", step=0)
    assert "Adam's first step" in first["adam_first_step"].text
    assert "lr = 0.0100" in first["adam_first_step"].text
    assert "adam_first_step" not in notes_of("adam_first_steps.yaml", step=1)


def test_loss_rose_with_a_learning_rate_too_large() -> None:
    data = {
        "name": "overshoot",
        "layers": [{"type": "linear", "weight": [[1]], "bias": [0]}],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 5},
        "data": {"input": [1], "target": [0]},
    }
    trace = run(scenario_from_dict(data))
    notes = {n.kind: n.text for n in step_notes(trace, trace.steps[0], fmt)}
    assert "overshot" in notes["overshot"] and "uphill" not in notes
    # one output: nothing to balance it against
    assert "balances" not in notes["moved_away"]


MOMENTUM = {  # a 1-1-1 linear net that momentum carries past its target
    "name": "momentum",
    "layers": [
        {"type": "linear", "weight": [[0]], "bias": [0]},
        {"type": "linear", "weight": [[0]], "bias": [0]},
    ],
    "loss": "mse",
    "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
    "data": {"input": [1], "target": [3]},
    "numerics": "float64",
}


def test_a_loss_that_momentum_raised_is_not_blamed_on_the_step_size() -> None:
    trace = run(scenario_from_dict(MOMENTUM), steps=6)
    step = trace.steps[-1]
    assert step.loss_after > step.loss_before
    notes = {n.kind: n.text for n in step_notes(trace, step, fmt)}
    assert "overshot" not in notes
    assert "momentum" in notes["uphill"] and "against the gradient" in notes["uphill"]
    assert notes["moved_away"].startswith("Moved away from the target: output 0")
    assert "loss falls" not in notes["moved_away"]
    assert "1 moved the same way as its gradient" in notes["direction"]


def _kinked(first_weight_column: list[int]) -> dict[str, Any]:
    """A 2-3-1 ReLU net: unit 0 sits exactly on the kink for example 1 ([0, 1]) and is dead
    for the others; lr 0.5 overshoots."""
    column = first_weight_column
    return {
        "name": "kink",
        "layers": [
            {"type": "linear", "weight": [[column[0], 1, "1/2"], [column[1], 1, -1]]},
            {"type": "relu"},
            {"type": "linear", "weight": [[1], [1], [1]], "bias": [0]},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": "1/2"},
        "data": {"inputs": [[1, 0], [0, 1], [1, 1]], "targets": [1, 2, 3]},
    }


def test_a_kink_the_update_does_not_move_is_no_excuse_for_a_rise() -> None:
    """Unit 0's weights get no gradient, so its pre-activation stays exactly 0 along the whole
    update: the one-sided gradient is the true slope and the rise is an overshoot (the loss
    falls along a short step of the same update)."""
    trace = run(scenario_from_dict(_kinked([-1, 0])))
    step = trace.steps[0]
    assert step.layers[1].at_kink == ((1, 0),) and step.loss_after > step.loss_before
    notes = {n.kind: n.text for n in step_notes(trace, step, fmt)}
    assert "rose_at_kink" not in notes and "it overshot" in notes["overshot"]


def test_a_kink_the_update_moves_is_named_for_a_rise_the_gradient_does_not_foresee() -> None:
    """The unit on the kink at example 1 is alive for examples 0 and 2, so its weights move and
    so does its pre-activation at example 1: the one-sided gradient may mislead."""
    trace = run(scenario_from_dict(_kinked([2, 0])))
    step = trace.steps[0]
    assert step.layers[1].at_kink == ((1, 0),) and step.loss_after > step.loss_before
    assert step.param("W1").new[1][0] != step.param("W1").old[1][0]  # z at example 1 moves
    notes = {n.kind: n.text for n in step_notes(trace, step, fmt)}
    assert "overshot" not in notes and "a unit sits on a kink" in notes["rose_at_kink"]


# -- every note is true of the numbers it describes ------------------------------------------------
#
# One checker per note kind reads the note's claims back from its text and checks each against the
# trace, computing what it needs independently of insights.py.

LISTED = r"(\d+(?:(?:, | and )\d+)*(?: and \d+ more)?)"  # a listing() of numbers
SLICE = re.compile(r"([A-Za-z_][\w.]*)\[(\*|\d+)\](?:\[(\*|\d+)\])?")


def numbers_listed(text: str) -> list[int]:
    """'0, 1 and 2' -> [0, 1, 2] (a listing cut with 'and N more' gives the ones named)."""
    return [int(n) for n in re.findall(r"\d+", re.sub(r"and \d+ more", "", text))]


def slice_grad(step: StepTrace, text: str) -> np.ndarray:
    name, first, second = SLICE.fullmatch(text).groups()  # type: ignore[union-attr]
    grad = step.param(name).grad
    assert grad is not None, f"{text}: a frozen parameter has no gradient"
    index = tuple(slice(None) if i == "*" else int(i) for i in (first, second) if i is not None)
    return np.asarray(grad[index])


def layer_index(trace: Trace, name: str) -> int:
    return next(i for i, layer in enumerate(trace.scenario.layers) if layer.name == name)


def example_row(step: StepTrace, example: str | None) -> int:
    return 0 if example is None else step.examples.index(int(example))


def optimizer_of(trace: Trace) -> Any:
    return trace.scenario.optimizer


def first_order(step: StepTrace) -> Any:
    return sum((p.grad * (p.new - p.old)).sum() for p in step.params if p.grad is not None)


def check_carriers(trace: Trace, step: StepTrace, text: str) -> None:
    """What the note says moved the parameters besides the gradient is in force on this step."""
    opt = optimizer_of(trace)
    named = 0
    if "momentum (" in text:
        named += 1
        assert getattr(opt, "momentum", 0) and step.step > 1
    if "Adam's running average" in text:
        named += 1
        assert opt.kind in ("adam", "adamw") and step.step > 1
    if "weight decay" in text:
        named += 1
        assert getattr(opt, "weight_decay", 0)
    assert named, f"nothing named that could move a parameter against its gradient: {text}"


def check_dead_units(trace: Trace, step: StepTrace, text: str) -> None:
    m = re.match(rf"(\S+) units? {LISTED} (is|are) dead", text)
    assert m, text
    i = layer_index(trace, m[1])
    layer = trace.scenario.layers[i]
    units = numbers_listed(m[2])
    assert (m[3] == "is") == (len(units) == 1)
    z = step.layers[i].input
    for j in units:
        assert isinstance(layer, ReLU)
        assert ((z[:, j] < 0) | ((z[:, j] == 0) & (layer.grad_at_zero == 0))).all()
        assert (step.layers[i].output[:, j] == 0).all()
    for named in SLICE.finditer(text):
        assert (slice_grad(step, named[0]) == 0).all(), f"{named[0]} has a gradient: {text}"
    if len(units) == 1:
        assert "their" not in text and "them" not in text


def check_at_kink(trace: Trace, step: StepTrace, text: str) -> None:
    m = re.match(
        r"(\S+) (?:unit (\d+)|entry ((?:\[\d+\])+))'s pre-activation is exactly 0"
        r"(?: for example (\d+))?,",
        text,
    )
    assert m, text
    i, a = layer_index(trace, m[1]), example_row(step, m[4])
    at = (a, int(m[2])) if m[2] else (a, *(int(d) for d in re.findall(r"\d+", m[3])))
    assert step.layers[i].input[at] == 0
    said = re.search(r"taken as (?:grad_at_zero = |alpha = )?([\d/.]+)|the slope, ([\d/.]+),", text)
    assert said, text
    derivative = Fraction((said[1] or said[2]).rstrip("."))
    layer = trace.scenario.layers[i]
    setting = next(
        getattr(layer, k) for k in ("grad_at_zero", "slope", "alpha") if hasattr(layer, k)
    )
    assert derivative == setting
    flow_out = step.layers[i].grad_output[at]
    if i > 0 and flow_out != 0:  # the flow into the unit over the flow out of it
        ratio = step.layers[i - 1].grad_output[at] / flow_out
        assert abs(float(ratio) - float(derivative)) <= 1e-9
    assert ("no gradient passes" in text) == (derivative == 0)


def check_near_kink(trace: Trace, step: StepTrace, text: str) -> None:
    m = re.match(r"(\S+) unit (\d+)'s pre-activation is (\S+?)(?: for example (\d+))?,", text)
    assert m, text
    i, j, a = layer_index(trace, m[1]), int(m[2]), example_row(step, m[4])
    z = float(step.layers[i].input[a][j])
    assert trace.numerics == "float64" and z != 0 and f"{z:.2g}" == m[3]
    before = trace.scenario.layers[i - 1] if i > 0 else None
    scale = 1.0  # how large the sum that made z was: rounding is relative to it
    if isinstance(before, Linear):
        x = np.abs(np.asarray(step.layers[i - 1].input[a], dtype=float))
        scale += float(x.sum()) * float(np.abs(step.param(before.weight).old).max())
        if before.bias is not None:
            scale += float(np.abs(step.param(before.bias).old).max())
    assert abs(z) <= 1e-9 * scale, (z, scale)


def check_zero_loss(trace: Trace, step: StepTrace, text: str) -> None:
    assert step.loss_before == 0
    assert all((p.grad == 0).all() for p in step.params if p.grad is not None)
    before = step.probabilities if step.probabilities is not None else step.outputs_before
    assert (before == step.targets).all()
    moved = [p.name for p in step.params if (p.new != p.old).any()]
    assert ("no parameter changes" in text) == (not moved)
    if moved:
        check_carriers(trace, step, text)


def check_double_softmax(trace: Trace, step: StepTrace, text: str) -> None:
    assert trace.scenario.loss.kind == "cross_entropy"
    assert trace.scenario.layers[-1].kind == "softmax"


def check_zero_input(trace: Trace, step: StepTrace, text: str) -> None:
    m = re.match(rf"(?:Inputs?|(\S+)'s inputs?) {LISTED} (is|are) 0, so", text)
    assert m, text
    i = 0 if m[1] is None else layer_index(trace, m[1])
    assert isinstance(trace.scenario.layers[i], Linear)
    columns = numbers_listed(m[2])
    assert (m[3] == "is") == (len(columns) == 1)
    for f in columns:
        assert (step.layers[i].input[:, f] == 0).all()
    for named in SLICE.finditer(text):
        assert (slice_grad(step, named[0]) == 0).all(), f"{named[0]} has a gradient: {text}"


def check_frozen(trace: Trace, step: StepTrace, text: str) -> None:
    names = re.match(r"(.+?) (?:is|are) frozen", text)
    assert names, text
    listed = re.split(r", | and ", names[1])
    for name in listed:
        p = step.param(name)
        assert p.grad is None and not p.trainable and (p.new == p.old).all()
    order = [p.name for p in step.params]
    first = min(order.index(name) for name in listed)
    before = any(p.trainable for p in step.params[:first])
    assert ("trainable layers before them" in text) == before


def check_direction(trace: Trace, step: StepTrace, text: str) -> None:
    rose = fell = along = without = 0
    for p in step.params:
        if p.grad is None:
            continue
        for g, d in zip(np.ravel(p.grad), np.ravel(p.new - p.old), strict=True):
            if d == 0:
                continue
            if g == 0:
                without += 1
            elif (g < 0) == (d > 0):
                rose, fell = rose + (g < 0), fell + (g > 0)
            else:
                along += 1

    def count(pattern: str) -> int:
        found = re.search(pattern.replace("N", r"(\d[\d,]*)"), text)
        return int(found[1].replace(",", "")) if found else 0

    assert re.search(r"entr(?:y|ies) with a negative gradient rose and", text), text
    assert count(r"N entr(?:y|ies) with a negative gradient rose") == rose, (text, rose)
    assert count(r"rose and N with a positive gradient fell") == fell, (text, fell)
    assert count(r"N moved the same way as") == along, (text, along)
    assert count(r"N moved with a gradient of 0") == without, (text, without)
    if along or without:
        check_carriers(trace, step, text)


def check_adam_first_step(trace: Trace, step: StepTrace, text: str) -> None:
    opt = optimizer_of(trace)
    assert opt.kind in ("adam", "adamw") and step.step == 1
    lr = float(opt.lr)
    sizes = []
    for p in step.params:
        if p.grad is None:
            continue
        g = np.asarray(p.grad, dtype=float)
        if opt.kind == "adam" and opt.weight_decay:
            g = g + float(opt.weight_decay) * np.asarray(p.old, dtype=float)
        m = (1 - float(opt.beta1)) * g  # m and v after one step from zero
        v = (1 - float(opt.beta2)) * g * g
        np.testing.assert_allclose(p.terms["m̂"], m / (1 - float(opt.beta1)), rtol=1e-9)
        np.testing.assert_allclose(p.terms["v̂"], v / (1 - float(opt.beta2)), rtol=1e-9)
        live = g != 0
        change = np.abs(np.asarray(p.new - p.old, dtype=float))[live]
        assert np.allclose(change, lr, rtol=0.015), (p.name, change, lr)
        sizes += list(np.abs(g[live]))
    m = re.search(r"from (\S+) to (\S+?)\)", text)
    assert m is not None, text
    # the note's |g| may come from m̂ (g computed another way): equal to a unit of the last digit
    for shown, value in zip(m.groups(), (min(sizes), max(sizes)), strict=True):
        unit = 1e-3 * abs(value) if "e" in shown else 1e-4  # of the last digit shown
        assert shown == fmt(value) or abs(float(shown) - value) <= unit, text


def check_largest_change(trace: Trace, step: StepTrace, text: str) -> None:
    m = re.fullmatch(r"Largest change: (\S+), (\S+) → (\S+) \((\S+)\)\.", text)
    assert m, text
    entry = re.fullmatch(r"(.+?)((?:\[\d+\])+)", m[1])
    assert entry, text
    p = step.param(entry[1])
    ix = tuple(int(i) for i in re.findall(r"\d+", entry[2]))
    size = abs(float(p.new[ix] - p.old[ix]))
    everything = [
        float(abs(d)) for q in step.params if q.grad is not None for d in np.ravel(q.new - q.old)
    ]
    assert size > 0 and size >= max(everything) * (1 - 1e-12)
    assert (m[2], m[3]) == (fmt(p.old[ix]), fmt(p.new[ix]))


def check_moved_away(trace: Trace, step: StepTrace, text: str) -> None:
    before, after = step.outputs_before, step.outputs_after
    if step.probabilities is not None:
        before, after = step.probabilities, step.probabilities_after
    t = step.targets
    away = {
        (a, j)
        for a, j in np.ndindex(t.shape)
        if abs(after[a][j] - t[a][j]) > abs(before[a][j] - t[a][j])
    }
    named = re.findall(r"output (\d+)(?: of example (\d+))? \(", text)
    for j, example in named:
        assert (example_row(step, example or None), int(j)) in away, (j, example, text)
    more = re.search(r"and (\d+) more", text)
    assert len(named) + (int(more[1]) if more else 0) == len(away)
    if "while the loss falls" in text:
        assert step.loss_after < step.loss_before and t.size > 1


def loss_along_the_update(trace: Trace, step: StepTrace, fraction: Fraction) -> Any:
    """The loss of the step's batch with each parameter moved by this fraction of its change."""
    scenario = trace.scenario
    nx = EXACT if trace.numerics == "exact" else FLOAT64
    share = fraction if trace.numerics == "exact" else float(fraction)
    params = {
        p.name: scenario.in_layout(p.name, p.old + (p.new - p.old) * share) for p in step.params
    }
    outputs = forward(scenario.layers, nx, {**params, **drawn(step)}, step.inputs)[-1]
    return scenario.loss.value(nx, outputs, step.targets)


def pre_activations_along_the_update(trace: Trace, step: StepTrace, share: float) -> list[Any]:
    """Every layer's input (an activation's pre-activation) with each parameter moved by this
    share of its change."""
    scenario = trace.scenario
    nx = EXACT if trace.numerics == "exact" else FLOAT64
    moved = Fraction(share) if trace.numerics == "exact" else share
    params = {
        p.name: scenario.in_layout(p.name, p.old + (p.new - p.old) * moved) for p in step.params
    }
    return forward(scenario.layers, nx, {**params, **drawn(step)}, step.inputs)


def drawn(step: StepTrace) -> dict[str, Any]:
    """The step's own buffers (dropout masks), by name, as the layers read them."""
    return {f"{la.name}.{key}": v for la in step.layers for key, v in la.drawn.items()}


def check_overshot(trace: Trace, step: StepTrace, text: str) -> None:
    rise = step.loss_after - step.loss_before
    change = first_order(step)
    assert rise > 0 and change < 0, (rise, change)
    for i, layer in enumerate(step.layers):  # a kink only where the update leaves it in place
        for share in (0.5, 1.0):
            values = pre_activations_along_the_update(trace, step, share)
            for a, j in layer.at_kink + layer.near_kink:
                assert values[i][a][j] == layer.input[a][j], (layer.name, a, j)
    assert f"rose by {fmt(rise)}" in text and f"lowers the loss by {fmt(-change)}" in text
    if trace.numerics == "exact":  # a short enough step along the same update lowers the loss
        # (the first-order change is negative; after a few divergent steps the update is so
        # large that "short enough" can mean 2^-100 of it)
        shorter = (loss_along_the_update(trace, step, Fraction(1, 2**k)) for k in range(1, 400))
        assert any(loss < step.loss_before for loss in shorter)


def check_rose_at_kink(trace: Trace, step: StepTrace, text: str) -> None:
    rise = step.loss_after - step.loss_before
    change = first_order(step)
    assert rise > 0 and change < 0, (rise, change)
    assert any(layer.at_kink or layer.near_kink for layer in step.layers)
    assert f"rose by {fmt(rise)}" in text and f"lowers the loss by {fmt(-change)}" in text


def check_uphill(trace: Trace, step: StepTrace, text: str) -> None:
    rise = step.loss_after - step.loss_before
    change = first_order(step)
    scale = sum(
        float(np.abs(np.asarray(p.grad * (p.new - p.old), dtype=float)).sum())
        for p in step.params
        if p.grad is not None
    )
    assert rise > 0 and float(change) >= -1e-12 * max(scale, 1e-300), (rise, change)
    if "raises the loss by" in text:
        assert change > 0 and f"raises the loss by {fmt(change)}" in text
    check_carriers(trace, step, text)


def _windows_of(trace: Trace, i: int, x: np.ndarray) -> list[tuple[tuple[int, ...], list[Any]]]:
    """Each max-pool window of layer i, worked out here from its kernel and stride: (output
    position [example, channel, row, column], its inputs in row-major order as (index, value))."""
    layer = trace.scenario.layers[i]
    kh, kw = layer.kernel_size  # type: ignore[attr-defined]
    sh, sw = layer.stride  # type: ignore[attr-defined]
    n, c, h, w = x.shape
    out = []
    for a, ch, r, col in np.ndindex(n, c, (h - kh) // sh + 1, (w - kw) // sw + 1):
        inputs = [
            ((a, ch, r * sh + u, col * sw + v), x[a, ch, r * sh + u, col * sw + v])
            for u in range(kh)
            for v in range(kw)
        ]
        out.append(((a, ch, r, col), inputs))
    return out


def check_tie(trace: Trace, step: StepTrace, text: str) -> None:
    m = re.match(r"(\S+): (\d+) windows? ha(?:s|ve) (?:its|their) largest input twice", text)
    assert m, text
    i = layer_index(trace, m[1])
    x = step.layers[i].input
    tied = [
        pos
        for pos, inputs in _windows_of(trace, i, x)
        if [v for _, v in inputs].count(max(v for _, v in inputs)) > 1
    ]
    assert len(tied) == int(m[2]), (len(tied), text)
    assert "goes to the first of the tied inputs in row-major order" in text
    if i > 0:  # the first tied input of each window gets the flow, the others none from it
        flow_in, flow_out = step.layers[i - 1].grad_output, step.layers[i].grad_output
        for pos, inputs in _windows_of(trace, i, x):
            if pos in tied and flow_out[pos] != 0:
                best = max(v for _, v in inputs)
                first = next(ix for ix, v in inputs if v == best)
                assert flow_in[first] != 0 or flow_out[pos] == 0


def check_near_tie(trace: Trace, step: StepTrace, text: str) -> None:
    m = re.match(r"(\S+): in (\d+) windows? the two largest inputs differ by no more than", text)
    assert m and trace.numerics == "float64", text
    i = layer_index(trace, m[1])
    x = np.asarray(step.layers[i].input, dtype=float)
    close = 0
    for _, inputs in _windows_of(trace, i, x):
        ordered = sorted((v for _, v in inputs), reverse=True)
        gap = ordered[0] - ordered[1]
        close += 0 < gap <= 1e-12 * max(1.0, abs(ordered[0])) * 100
    assert close == int(m[2]), (close, text)


def check_pool_losers(trace: Trace, step: StepTrace, text: str) -> None:
    m = re.match(
        r"(\S+) passes each window's gradient to its largest input only: (\d+) of the "
        r"(\d+) inputs",
        text,
    )
    assert m, text
    i = layer_index(trace, m[1])
    x = step.layers[i].input
    won = np.zeros(x.shape, dtype=bool)
    for _, inputs in _windows_of(trace, i, x):
        best = max(v for _, v in inputs)
        won[next(ix for ix, v in inputs if v == best)] = True
    assert int((~won[0]).sum()) == int(m[2]) and won[0].size == int(m[3]), text
    if i > 0:  # no window won, no learning flow
        assert (step.layers[i - 1].grad_output[~won] == 0).all()


def check_batch_coupled(trace: Trace, step: StepTrace, text: str) -> None:
    """The flow into the batchnorm's input is the formula of the note, worked out here, and not
    what the layer's elementwise slope alone would give (the examples are coupled)."""
    m = re.match(r"(\S+) normalises with the batch's own mean and variance", text)
    assert m and len(step.examples) > 1, text
    i = layer_index(trace, m[1])
    layer = trace.scenario.layers[i]
    if i == 0:
        return
    x = np.asarray(step.layers[i].input, dtype=float)
    g = np.asarray(step.layers[i].grad_output, dtype=float)
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    std = np.sqrt(var + float(layer.eps))  # type: ignore[attr-defined]
    xhat = (x - mean) / std
    w = (
        np.ones(x.shape[1])
        if layer.weight is None
        else np.asarray(step.param(layer.weight).old, dtype=float)
    )  # type: ignore[attr-defined]
    w = w if x.ndim == 2 else w.reshape(1, -1, 1, 1)
    gh = g * w
    expected = (
        gh - gh.mean(axis=axes, keepdims=True) - xhat * (gh * xhat).mean(axis=axes, keepdims=True)
    ) / std
    np.testing.assert_allclose(
        np.asarray(step.layers[i - 1].grad_output, dtype=float), expected, rtol=1e-9, atol=1e-12
    )


def check_dropped(trace: Trace, step: StepTrace, text: str) -> None:
    m = re.match(r"(\S+) dropped units (.*?): their output is 0", text)
    assert m, text
    i = layer_index(trace, m[1])
    mask = step.layers[i].drawn["mask"]
    for a in range(mask.shape[0]):
        zero = np.flatnonzero(np.asarray(mask[a]).reshape(-1) == 0)
        out = np.asarray(step.layers[i].output[a]).reshape(-1)
        assert (out[zero] == 0).all()
        if i > 0:
            assert (np.asarray(step.layers[i - 1].grad_output[a]).reshape(-1)[zero] == 0).all()
    p = trace.scenario.layers[i].p  # type: ignore[attr-defined]
    assert f"1/(1 − p) = {1 / (1 - p)}" in text


def _health(trace: Trace, text: str) -> tuple[list[float], list[float], int, int]:
    """A gradient-health note's layer norms, the largest layer's, and its steps (indexes)."""
    from backprop_trace.insights import layer_norms

    m = re.match(r"(.+?): its gradient's norm .* at steps? (\d+)(?:–(\d+))? ", text)
    assert m, text
    norms = layer_norms(trace)
    values = norms[m[1]]
    largest = [max(v[k] for v in norms.values()) for k in range(len(values))]
    return values, largest, int(m[2]) - 1, int(m[3] or m[2]) - 1


def check_vanishing(trace: Trace, step: StepTrace, text: str) -> None:
    values, largest, first, last = _health(trace, text)
    assert "stayed below 1/1000 of the largest layer's" in text
    assert all(values[k] < 1e-3 * largest[k] for k in range(first, last + 1)), text
    assert last - first + 1 >= min(5, len(values))


def check_exploding(trace: Trace, step: StepTrace, text: str) -> None:
    values, largest, first, last = _health(trace, text)
    assert "grew tenfold or more within 5 steps" in text
    assert values[first + 5] >= 10 * values[first] > 0, text
    assert values[first + 5] >= 1e-3 * largest[first + 5]  # grown to a size that counts
    assert f"({values[first]:.3g} → {values[last]:.3g})" in text


CHECKERS: dict[str, Callable[[Trace, StepTrace, str], None]] = {
    "vanishing": check_vanishing,
    "exploding": check_exploding,
    "dead_units": check_dead_units,
    "at_kink": check_at_kink,
    "near_kink": check_near_kink,
    "zero_loss": check_zero_loss,
    "double_softmax": check_double_softmax,
    "zero_input": check_zero_input,
    "frozen": check_frozen,
    "direction": check_direction,
    "adam_first_step": check_adam_first_step,
    "largest_change": check_largest_change,
    "moved_away": check_moved_away,
    "overshot": check_overshot,
    "rose_at_kink": check_rose_at_kink,
    "uphill": check_uphill,
    "tie": check_tie,
    "pool_losers": check_pool_losers,
    "near_tie": check_near_tie,
    "batch_coupled": check_batch_coupled,
    "dropped": check_dropped,
}


def test_every_note_kind_has_a_checker() -> None:
    assert set(CHECKERS) == set(NOTE_KINDS)


def test_a_note_of_an_unknown_kind_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="NOTE_KINDS"):
        Note("verify", "surprise", "Nobody checks this.")


@pytest.mark.parametrize("numerics", ["auto", "float64"])
@pytest.mark.parametrize("path", sorted(scenarios_dir().glob("*.yaml")), ids=lambda p: p.stem)
def test_every_note_of_a_bundled_scenario_is_true(path: Path, numerics: str) -> None:
    scenario = load_scenario(path)
    trace = run(scenario, numerics=None if numerics == "auto" else "float64")
    for step in trace.steps:
        for note in step_notes(trace, step, fmt):
            assert note.phase in {"forward", "loss", "backward", "update", "verify"}
            assert note.text.endswith(".")
            CHECKERS[note.kind](trace, step, note.text)


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parent / "torch_cases").glob("*.yaml")), ids=lambda p: p.stem
)
def test_every_note_of_a_torch_case_is_true(path: Path) -> None:
    """The fixtures hold every kind: each note their steps get, checked against the numbers."""
    trace = run(load_scenario(path))
    for step in trace.steps:
        for note in step_notes(trace, step, fmt):
            assert note.text.endswith(".")
            CHECKERS[note.kind](trace, step, note.text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(training_runs())
def test_every_note_is_true_of_its_step(scenario: dict[str, Any]) -> None:
    trace = run(scenario_from_dict(scenario))
    for step in trace.steps:
        for note in step_notes(trace, step, fmt):
            assert note.kind in CHECKERS, f"no checker for {note.kind}: add one to CHECKERS"
            CHECKERS[note.kind](trace, step, note.text)


def test_one_dead_unit_is_it_and_its_output() -> None:
    data = {
        "name": "one dead unit",
        "layers": [
            {"type": "linear", "weight": [[-1, 1]], "bias": [0, 0]},
            {"type": "relu"},
            {"type": "linear", "weight": [[1], [1]]},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": "1/10"},
        "data": {"input": [1], "target": [0]},
    }
    trace = run(scenario_from_dict(data))
    notes = {n.kind: n.text for n in step_notes(trace, trace.steps[0], fmt)}
    dead = notes["dead_units"]
    assert "relu1 unit 0 is dead" in dead and "flows back through it:" in dead
    assert "and its zero output gives W2[0][*] zero gradient" in dead


def test_a_dead_unit_whose_zero_a_sigmoid_turns_into_a_half_claims_no_zero_gradient() -> None:
    data = {
        "name": "dead, then sigmoid",
        "layers": [
            {"type": "linear", "weight": [[-1, 1]], "bias": [0, 0]},
            {"type": "relu"},
            {"type": "sigmoid"},
            {"type": "linear", "weight": [[1], [1]]},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": "1/10"},
        "data": {"input": [1], "target": [0]},
        "numerics": "float64",
    }
    trace = run(scenario_from_dict(data))
    step = trace.steps[0]
    assert (step.param("W2").grad[0] != 0).all()  # sigmoid(0) = 1/2 reaches W2
    notes = {n.kind: n.text for n in step_notes(trace, step, fmt)}
    assert "relu1 unit 0 is dead" in notes["dead_units"] and "W2" not in notes["dead_units"]


def test_entries_moved_without_gradient_name_only_what_moved_them() -> None:
    """AdamW with weight decay and a dead unit: the dead unit's weights have a gradient of 0 on
    every step, so their m is 0, and only weight decay moves them: Adam's running average is not
    named, though it is in force for the other entries."""
    data = {
        "name": "decay",
        "layers": [
            {"type": "linear", "weight": [[1, -1]], "bias": [0, 0]},
            {"type": "relu"},
            {"type": "linear", "weight": [[1], [1]], "bias": [0]},
        ],
        "loss": "mse",
        "optimizer": {"type": "adamw", "lr": 0.1, "weight_decay": 0.5},
        "data": {"input": [1], "target": [3]},
    }
    trace = run(scenario_from_dict(data), steps=2)
    step = trace.steps[1]
    assert step.param("W1").grad is not None and step.param("W1").grad[0][1] == 0
    assert step.param("W1").state["exp_avg"][0][1] == 0
    notes = {n.kind: n.text for n in step_notes(trace, step, fmt)}
    assert "moved with a gradient of 0" in notes["direction"], notes["direction"]
    assert "weight decay moved them" in notes["direction"]
    assert "Adam's running average" not in notes["direction"]
