"""Gradient health over a run: every step's gradient norm per trained tensor (the trace and the
JSON hold them), each layer's drawn in the run summary, and notes on vanishing and exploding
gradients whose every claim is checked against the norms, and whose silence is too."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_insights import CHECKERS

from backprop_trace import load_scenario, run, scenario_from_dict
from backprop_trace.insights import EXPLODING, VANISHING, WINDOW, gradient_health, layer_norms
from backprop_trace.numerics import to_float
from backprop_trace.render.json import render_json
from backprop_trace.trace import Trace


def test_every_step_has_each_tensors_gradient_norm() -> None:
    for name, steps in (("adam_first_steps", 3), ("learning_flow", 3), ("tanh_regression", 40)):
        trace = run(load_scenario(name), steps=steps, keep=lambda k: k % 7 == 1)
        trained = [n for n in trace.scenario.param_order if n not in trace.scenario.frozen]
        assert sorted(trace.grad_norms) == sorted(trained)
        assert all(len(v) == steps for v in trace.grad_norms.values())
        for step in trace.steps:  # the steps kept in full: the norm of the gradient they hold
            for p in step.params:
                if p.grad is not None:
                    norm = float(np.sqrt((to_float(p.grad) ** 2).sum()))
                    assert math.isclose(
                        trace.grad_norms[p.name][step.step - 1], norm, rel_tol=1e-12
                    )
        written = json.loads(render_json(trace))["grad_norms"]
        assert written == {n: list(v) for n, v in trace.grad_norms.items()}


def _claims_hold(trace: Trace) -> None:
    """Every note says what the norms show, and every run the norms show has its note."""
    norms = layer_norms(trace)
    steps = len(next(iter(norms.values())))
    largest = [max(v[k] for v in norms.values()) for k in range(steps)]
    notes = gradient_health(trace)
    for note in notes:  # each also passes the note checkers of test_insights
        CHECKERS[note.kind](trace, trace.steps[0] if trace.steps else None, note.text)  # type: ignore[arg-type]
    said = {(n.kind, n.text.split(":")[0], *_steps(n.text)) for n in notes}
    expected = set()
    for layer, values in norms.items():
        small = [largest[k] > 0 and values[k] < VANISHING * largest[k] for k in range(steps)]
        for first, last in _maximal_runs(small):
            if last - first + 1 >= min(WINDOW, steps):
                expected.add(("vanishing", layer, first + 1, last + 1))
        grew = [
            values[k] > 0 and values[k + WINDOW] >= EXPLODING * values[k] and not small[k + WINDOW]
            for k in range(steps - WINDOW)
        ]
        for first, last in _maximal_runs(grew):
            expected.add(("exploding", layer, first + 1, last + WINDOW + 1))
    assert said == expected


def _maximal_runs(flags: list[bool]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for k, flag in enumerate(flags):
        if flag and out and out[-1][1] == k - 1:
            out[-1] = (out[-1][0], k)
        elif flag:
            out.append((k, k))
    return out


def _steps(text: str) -> tuple[int, int]:
    found = re.search(r"at steps? (\d+)(?:–(\d+))?", text)
    assert found is not None, text
    first = int(found.group(1))
    return first, int(found.group(2) or first)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(min_value=-9, max_value=3), min_size=12, max_size=12),
        min_size=4,
        max_size=4,
    ),
    st.integers(min_value=1, max_value=12),
)
def test_the_notes_say_exactly_what_the_norms_show(logs: list[list[float]], steps: int) -> None:
    """Made-up norms (log-uniform, 1e-9 to 1e3) for tanh_regression's four tensors in two
    layers, over 1 to 12 steps."""
    trace = run(load_scenario("tanh_regression"), steps=1, keep=lambda k: False)
    names = list(trace.grad_norms)
    assert len(names) == 4
    made = {n: tuple(10.0**v for v in row[:steps]) for n, row in zip(names, logs, strict=True)}
    _claims_hold(dataclasses.replace(trace, grad_norms=made))


def test_a_real_run_that_explodes_and_one_that_vanishes_are_named() -> None:
    exploding = scenario_from_dict(
        {
            "name": "overshooting",
            "layers": [{"type": "linear", "weight": [[1]], "bias": [0]}],
            "loss": "mse",
            "optimizer": {"type": "sgd", "lr": 1.6},
            "data": {"input": [1], "target": [2]},
            "steps": 12,
        }
    )
    trace = run(exploding, keep=lambda k: False)
    notes = gradient_health(trace)
    assert [n.kind for n in notes] == ["exploding"] and notes[0].text.startswith("linear1:")
    _claims_hold(trace)
    layers = []
    for _ in range(5):
        layers += [{"type": "linear", "weight": [[0.05, 0.05], [0.05, 0.05]]}, {"type": "sigmoid"}]
    vanishing = scenario_from_dict(
        {
            "name": "deep sigmoids",
            "layers": layers,
            "loss": "mse",
            "optimizer": {"type": "sgd", "lr": 0.1},
            "data": {"input": [1, 1], "target": [1, 0]},
            "steps": 6,
            "numerics": "float64",
        }
    )
    trace = run(vanishing, keep=lambda k: False)
    kinds = {(n.kind, n.text.split(":")[0]) for n in gradient_health(trace)}
    assert ("vanishing", "linear1") in kinds  # five sigmoids of small weights away from the loss
    _claims_hold(trace)
