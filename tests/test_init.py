"""Initialisation of {type: linear, in: N, out: M, init: ...}: reproducible from the seed, and
drawn from the documented distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_trace import scenario_from_dict


def weights(init: str, seed: int = 0, fan_in: int = 400, fan_out: int = 300, **extra: object):  # type: ignore[no-untyped-def]
    data = {
        "name": "init",
        "layers": [{"type": "linear", "in": fan_in, "out": fan_out, "init": init, **extra}],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.1},
        "data": {"input": [0] * fan_in, "target": [0] * fan_out},
        "seed": seed,
    }
    s = scenario_from_dict(data)
    return s, s.initial["W1"].astype(np.float64), s.initial.get("b1")


@pytest.mark.parametrize("init", ["he", "xavier", "normal", "torch"])
def test_the_same_seed_gives_the_same_weights(init: str) -> None:
    assert (weights(init, 7)[1] == weights(init, 7)[1]).all()
    assert not (weights(init, 7)[1] == weights(init, 8)[1]).all()


def test_distributions() -> None:
    fan_in, fan_out = 400, 300
    _, he, _ = weights("he")
    assert he.std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.02)
    _, xavier, _ = weights("xavier")
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert xavier.max() <= bound and xavier.min() >= -bound
    assert xavier.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    _, normal, _ = weights("normal", std=0.05)
    assert normal.std() == pytest.approx(0.05, rel=0.02)
    _, torch_w, torch_b = weights("torch")
    assert np.abs(torch_w).max() <= 1 / math.sqrt(fan_in)
    assert np.abs(np.asarray(torch_b, dtype=np.float64)).max() <= 1 / math.sqrt(fan_in)


def test_zeros_stay_exact_and_random_inits_are_float64() -> None:
    s, w, b = weights("zeros", fan_in=3, fan_out=2)
    assert s.numerics == "exact" and not w.any() and b is not None
    s, _, _ = weights("he", fan_in=3, fan_out=2)
    assert s.numerics == "float64" and "initialised randomly (he)" in s.numerics_reason


def test_bias_false_leaves_the_layer_without_bias() -> None:
    s, _, b = weights("he", fan_in=3, fan_out=2, bias=False)
    assert b is None and s.param_order == ("W1",)
