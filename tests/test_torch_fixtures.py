"""The engine against real PyTorch (float64): committed fixtures, and live torch when installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from approx import assert_tree_close

from backprop_trace import load_scenario, run
from backprop_trace.layers import LAYER_TYPES
from backprop_trace.losses import LOSS_TYPES
from backprop_trace.numerics import to_float
from backprop_trace.optim import OPTIMIZER_TYPES
from backprop_trace.trace import Trace

CASES = sorted((Path(__file__).parent / "torch_cases").glob("*.yaml"))
RTOL, ATOL = 1e-10, 1e-12


def close(actual: Any, expected: Any, what: str) -> None:
    np.testing.assert_allclose(
        to_float(np.asarray(actual, dtype=object)) if not isinstance(actual, float) else actual,
        np.asarray(expected, dtype=np.float64),
        rtol=RTOL,
        atol=ATOL,
        err_msg=what,
    )


def assert_matches(trace: Trace, expected: dict[str, Any]) -> None:
    assert len(trace.steps) == len(expected["steps"])
    for ours, theirs in zip(trace.steps, expected["steps"], strict=True):
        at = f"step {ours.step}"
        assert list(ours.examples) == theirs["examples"], at
        close(float(ours.loss_before), theirs["loss_before"], f"{at} loss_before")
        close(float(ours.loss_after), theirs["loss_after"], f"{at} loss_after")
        close(ours.outputs_before, theirs["outputs_before"], f"{at} outputs_before")
        close(ours.outputs_after, theirs["outputs_after"], f"{at} outputs_after")
        for layer, their_layer in zip(ours.layers, theirs["layers"], strict=True):
            assert layer.kind == their_layer["type"]
            close(layer.output, their_layer["output"], f"{at} {layer.name} output")
            if their_layer["grad_output"] is not None:
                close(layer.grad_output, their_layer["grad_output"], f"{at} {layer.name} flow")
            for key, value in their_layer.get("state", {}).items():  # running statistics
                close(layer.state[key], value, f"{at} {layer.name} {key}")
            if "mask" in their_layer:  # the dropout mask drawn (or given) for the step
                close(layer.drawn["mask"], their_layer["mask"], f"{at} {layer.name} mask")
        for p, their_p in zip(ours.params, theirs["params"], strict=True):
            assert p.name == their_p["name"]
            close(p.old, their_p["old"], f"{at} {p.name} old")
            if their_p["grad"] is None:
                assert p.grad is None and not p.trainable, f"{at} {p.name} should be frozen"
            else:
                close(p.grad, their_p["grad"], f"{at} {p.name} grad")
            close(p.new, their_p["new"], f"{at} {p.name} new")
            for key, value in their_p["state"].items():
                if isinstance(value, list):
                    close(p.state[key], value, f"{at} {p.name} state {key}")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_float64_engine_matches_torch(case: Path) -> None:
    expected = json.loads(case.with_suffix(".json").read_text())
    trace = run(load_scenario(case), numerics="float64")
    assert trace.numerics == "float64"
    assert_matches(trace, expected)


RATIONAL = [
    c
    for c in CASES
    if load_scenario(c).optimizer.rational
    and load_scenario(c).loss.rational
    and all(layer.rational for layer in load_scenario(c).layers)
]


@pytest.mark.parametrize("case", RATIONAL, ids=lambda p: p.stem)
def test_exact_engine_matches_torch(case: Path) -> None:
    expected = json.loads(case.with_suffix(".json").read_text())
    trace = run(load_scenario(case), numerics="exact")
    assert trace.numerics == "exact"
    assert_matches(trace, expected)


def test_fixtures_cover_every_activation_loss_and_optimizer() -> None:
    kinds: set[str] = set()
    for case in CASES:
        s = load_scenario(case)
        kinds |= {layer.kind for layer in s.layers} | {s.loss.kind, s.optimizer.kind}
        for layer in s.layers:  # each setting of each kind, at a value other than its default
            default = type(layer)(name="default").options()
            kinds |= {f"{layer.kind}.{k}" for k, v in layer.options().items() if v != default[k]}
        defaults = type(s.optimizer)().hyperparameters()  # torch's defaults
        changed = {k for k, v in s.optimizer.hyperparameters().items() if v != defaults[k]}
        kinds |= {f"{s.optimizer.kind}.{k}" for k in changed}
        kinds |= {f"layout.{s.layout}"} | ({"frozen"} if s.frozen else set())
        kinds |= {"batches"} if s.batch_size < s.examples else set()
        kinds |= {"no_bias"} if any(getattr(la, "bias", "") is None for la in s.layers) else set()
        kinds |= {"class_indices"} if s.class_indices else set()
    # every kind, loss and optimizer of the registries, each setting of each kind and each
    # optimizer at a value other than its default: a new one needs a case, no list to edit
    wanted = set(LAYER_TYPES) | set(LOSS_TYPES) | set(OPTIMIZER_TYPES)
    wanted |= {f"{kind}.{k}" for kind, cls in LAYER_TYPES.items() for k in cls.option_names()}
    wanted |= {
        f"{kind}.{k}" for kind, cls in OPTIMIZER_TYPES.items() for k in cls().hyperparameters()
    } - {f"{kind}.lr" for kind in OPTIMIZER_TYPES}
    wanted |= {"layout.in_out", "layout.out_in", "frozen", "batches", "no_bias", "class_indices"}
    assert wanted <= kinds, sorted(wanted - kinds)


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fixtures_are_current_with_live_torch(case: Path) -> None:
    """With torch installed, regenerate each verdict and require the committed one to match."""
    import generate  # tests/torch_cases/generate.py

    scenario = generate.cases()[case.stem]
    from ruamel.yaml import YAML

    assert YAML(typ="safe", pure=True).load(case.read_text()) == scenario, "stale .yaml"
    expected = json.loads(case.with_suffix(".json").read_text())
    live = generate.run_torch(scenario)
    # to a tolerance: torch's float64 kernels differ in their last bits between CPUs
    assert_tree_close(
        live["steps"], expected["steps"], at=f"{case.stem} (if stale, run generate.py)"
    )


TERM_OF_STATE = {
    "momentum_buffer": "buffer",
    "exp_avg": "m",
    "exp_avg_sq": "v",
    "square_avg": "square avg",
    "grad_avg": "grad avg",
    "sum": "sum of g²",
}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_update_table_terms_agree_with_torch_state(case: Path) -> None:
    expected = json.loads(case.with_suffix(".json").read_text())
    scenario = load_scenario(case)
    trace = run(scenario)
    opt = scenario.optimizer
    for ours, theirs in zip(trace.steps, expected["steps"], strict=True):
        for p, their_p in zip(ours.params, theirs["params"], strict=True):
            state = their_p["state"]
            for key, label in TERM_OF_STATE.items():
                if key in state and isinstance(state[key], list):
                    close(p.terms[label], state[key], f"{p.name} {label}")
            if opt.kind in ("adam", "adamw") and "exp_avg" in state:
                t = state["step"]
                m_hat = np.asarray(state["exp_avg"]) / (1 - float(opt.beta1) ** t)  # type: ignore[attr-defined]
                close(p.terms["m̂"], m_hat, f"{p.name} m̂")
            if getattr(opt, "weight_decay", 0) and p.trainable:
                label = "lr × wd × p" if opt.kind == "adamw" else "wd × p"
                assert label in p.terms
