"""Property tests on random small networks (strategies in tests/strategies.py)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import reference
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import networks, to_yaml, training_runs

from backprop_trace import engine, parse_scenario, run, scenario_from_dict
from backprop_trace.engine import forward
from backprop_trace.numerics import FLOAT64, within_noise

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_layers(net: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for layer in net["layers"]:
        if layer["type"] == "linear":
            out.append({"type": "linear", "W": layer["weight"], "b": layer.get("bias")})
        else:
            out.append(layer)
    return out


@SETTINGS
@given(networks(rational=True))
def test_exact_engine_equals_plain_fraction_reference(net: dict[str, Any]) -> None:
    scenario = scenario_from_dict(net)
    assert scenario.numerics == "exact"
    step = run(scenario).steps[0]
    ref = reference.step(
        reference_layers(net),
        net["data"]["inputs"],
        net["data"]["targets"],
        net["loss"],
        net["optimizer"]["lr"],
    )
    assert step.loss_before == ref["loss"]
    for layer, values in zip(step.layers, ref["values"][1:], strict=True):
        assert layer.output.tolist() == values
    k = 0
    for i, layer in enumerate(net["layers"]):
        if layer["type"] == "linear":
            k += 1
            assert step.param(f"W{k}").new.tolist() == ref["new"][i]["W"]
            assert step.param(f"W{k}").grad.tolist() == ref["grads"][i]["W"]


@SETTINGS
@given(networks(rational=True))
def test_yaml_text_round_trip_gives_the_same_scenario(net: dict[str, Any]) -> None:
    from_text = run(parse_scenario(to_yaml(net), "random.yaml")).steps[0]
    from_dict = run(scenario_from_dict(net)).steps[0]
    assert from_text.loss_after == from_dict.loss_after


def _min_kink_distance(scenario: Any) -> float:
    params = {n: FLOAT64.array(v) for n, v in scenario.initial.items()}
    values = forward(scenario.layers, FLOAT64, params, FLOAT64.array(scenario.inputs))
    gaps = [np.abs(values[i]).min() for i, layer in enumerate(scenario.layers) if layer.kinked]
    return float(min(gaps, default=np.inf))


@SETTINGS
@given(networks(rational=False))
def test_network_gradients_match_central_differences(net: dict[str, Any]) -> None:
    net = {**net, "numerics": "float64"}
    scenario = scenario_from_dict(net)
    assume(_min_kink_distance(scenario) > 1e-3)
    step = run(scenario).steps[0]
    x, t = FLOAT64.array(scenario.inputs), FLOAT64.array(scenario.targets)
    base = {n: FLOAT64.array(v) for n, v in scenario.initial.items()}
    h = 1e-6
    for p in step.params:
        assert p.grad is not None
        for index in np.ndindex(p.grad.shape):

            def loss_at(delta: float, name: str = p.name, index: Any = index) -> float:
                params = {n: v.copy() for n, v in base.items()}
                params[name][index] += delta
                y = forward(scenario.layers, FLOAT64, params, x)[-1]
                return float(scenario.loss.value(FLOAT64, y, t))  # type: ignore[arg-type]

            numeric = (loss_at(h) - loss_at(-h)) / (2 * h)
            assert abs(p.grad[index] - numeric) <= 1e-5 * max(1.0, abs(numeric)), (p.name, index)


@SETTINGS
@given(networks(rational=True))
def test_exact_and_float64_agree_away_from_kinks(net: dict[str, Any]) -> None:
    scenario = scenario_from_dict(net)
    assume(_min_kink_distance(scenario) > 1e-6)
    exact, approx = run(scenario).steps[0], run(scenario, numerics="float64").steps[0]
    assert float(exact.loss_after) == np.float64(approx.loss_after) or np.isclose(
        float(exact.loss_after), approx.loss_after, rtol=1e-9, atol=1e-12
    )
    for a, b in zip(exact.params, approx.params, strict=True):
        np.testing.assert_allclose(a.new.astype(float), b.new, rtol=1e-9, atol=1e-12)


def test_decimal_literals_are_exact_never_floats() -> None:
    scenario = parse_scenario(
        "name: t\nlayers: [{type: linear, weight: [[0.1]], bias: [0.2]}]\nloss: sse\n"
        "optimizer: {type: sgd, lr: 1e-1}\ndata: {input: [0.3], target: [0.7]}\n"
    )
    step = run(scenario).steps[0]
    assert step.outputs_before[0][0] == Fraction(23, 100)  # 0.1 * 0.3 + 0.2, exactly
    assert scenario.optimizer.lr == Fraction(1, 10)


def test_numbers_from_the_file_survive_copying_and_pickling() -> None:
    import copy
    import pickle

    from backprop_trace.source import Num

    n = Num(Fraction(-1, 10), "-0.1")
    for twin in (copy.copy(n), copy.deepcopy(n), pickle.loads(pickle.dumps(n))):
        assert twin == Fraction(-1, 10) and twin.text == "-0.1"


DYADIC = st.integers(-16, 16).map(lambda n: Fraction(n, 8))  # exact in float64, and its sums


@SETTINGS
@given(networks(rational=True, numbers=DYADIC), st.tuples(DYADIC, DYADIC))
def test_gradients_that_cancel_over_the_batch_never_show_as_data(
    net: dict[str, Any], errors: tuple[Fraction, Fraction]
) -> None:
    """Three copies of one input whose output errors are e1, e2 and -(e1 + e2): every exact
    gradient is 0. With dyadic numbers the float64 forward pass is exact, and the rounding of
    the backward pass (mse divides by n) leaves noise in the sums over the batch and the units:
    every such gradient is within the rounding bound the trace carries, so it shows as ≈ 0."""
    for layer in net["layers"]:
        if layer["type"] == "leaky_relu":
            layer["slope"] = Fraction(1, 2)  # a slope of 1/10 would round the forward pass
    x = net["data"]["inputs"][0]
    net["data"] = {"inputs": [x], "targets": [net["data"]["targets"][0]]}
    y = list(run(scenario_from_dict(net), numerics="exact").steps[0].outputs_before[0])
    e1, e2 = errors
    net["data"] = {
        "inputs": [x, x, x],
        "targets": [[v + e1 for v in y], [v + e2 for v in y], [v - e1 - e2 for v in y]],
    }
    net["loss"] = "mse"
    scenario = scenario_from_dict(net)
    exact, approx = run(scenario).steps[0], run(scenario, numerics="float64").steps[0]
    for e, f in zip(exact.params, approx.params, strict=True):
        assert e.grad is not None and f.grad is not None and f.grad_noise is not None
        assert (e.grad == 0).all()
        assert ((f.grad == 0) | within_noise(f.grad, f.grad_noise)).all(), (f.name, f.grad)


def _same(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


@SETTINGS
@given(training_runs(), st.integers(3, 7), st.sets(st.integers(1, 7)))
def test_steps_kept_or_not_make_the_same_numbers(
    net: dict[str, Any], steps: int, shown: set[int]
) -> None:
    """A step no trace keeps lets the optimizer write its state in place (engine.run's reuse).
    The trace is the same to the last bit as the run that never does, and a kept step's state
    is never written by the steps after it."""
    scenario = scenario_from_dict({**net, "steps": steps, "numerics": "float64"})
    for keep in (lambda k: False, lambda k: k in shown):
        trace = run(scenario, keep=keep)
        never = engine._run(scenario, None, None, keep, None, False, reuse=False)
        _same(trace.losses_before, never.losses_before)
        _same(
            [np.nan if v is None else v for v in trace.losses_after],
            [np.nan if v is None else v for v in never.losses_after],
        )
        assert trace.grad_norms == never.grad_norms
        for name, value in never.final_params.items():
            _same(trace.final_params[name], value)
        assert trace.diverged == never.diverged
        assert [s.step for s in trace.steps] == [s.step for s in never.steps]
        for step, full in zip(trace.steps, never.steps, strict=True):
            for kept, expected in zip(step.params, full.params, strict=True):
                _same(kept.old, expected.old)
                _same(kept.new, expected.new)
                assert kept.state.keys() == expected.state.keys()
                for key, value in expected.state.items():
                    _same(kept.state[key], value)
                before, expected_before = kept.optimizer_before, expected.optimizer_before
                assert (before is None) == (expected_before is None)
                if before is not None and expected_before is not None:
                    arrays = before.arrays()
                    for key, value in expected_before.arrays().items():
                        _same(arrays[key], value)
