"""Every layer and loss: analytic gradients against central finite differences (float64)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from backprop_trace import layers as L
from backprop_trace import losses
from backprop_trace.layers import activations
from backprop_trace.numerics import FLOAT64 as nx

H = 1e-6
RTOL, ATOL = 1e-6, 1e-8


def central_difference(f, x: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """d f / d x by (f(x + h) - f(x - h)) / 2h, one element at a time."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += H
        down[index] -= H
        grad[index] = (f(up) - f(down)) / (2 * H)
    return grad


def away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    x = rng.uniform(-2, 2, size=shape)
    return np.where(np.abs(x) < 0.05, 0.3, x)


ACTIVATIONS = [
    L.ReLU(name="relu"),
    L.ReLU(name="relu1", grad_at_zero=Fraction(1)),
    L.LeakyReLU(name="leaky", slope=Fraction(1, 10)),
    L.Tanh(name="tanh"),
    L.Sigmoid(name="sigmoid"),
    L.Identity(name="identity"),
    L.Softmax(name="softmax"),
]


@pytest.mark.parametrize("layer", ACTIVATIONS, ids=lambda layer: layer.name)
def test_activation_backward_matches_central_difference(layer: L.Layer) -> None:
    rng = np.random.default_rng(0)
    x = away_from_kinks(rng, (3, 4))
    g = rng.normal(size=(3, 4))
    y = layer.forward(nx, x, {})
    analytic, _ = layer.backward(nx, x, y, g, {})
    numeric = central_difference(lambda v: float((g * layer.forward(nx, v, {})).sum()), x)
    np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_backward_matches_central_difference(bias: bool) -> None:
    rng = np.random.default_rng(1)
    layer = L.Linear(
        name="lin", weight="W", bias="b" if bias else None, in_features=3, out_features=2
    )
    params = {"W": rng.normal(size=(3, 2))}
    if bias:
        params["b"] = rng.normal(size=2)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    y = layer.forward(nx, x, params)
    gx, grads = layer.backward(nx, x, y, g, params)

    def objective(name: str):  # type: ignore[no-untyped-def]
        def f(value: np.ndarray) -> float:
            return float((g * layer.forward(nx, x, {**params, name: value})).sum())

        return f

    np.testing.assert_allclose(
        gx,
        central_difference(lambda v: float((g * layer.forward(nx, v, params)).sum()), x),
        rtol=RTOL,
        atol=ATOL,
    )
    for name in params:
        np.testing.assert_allclose(
            grads[name], central_difference(objective(name), params[name]), rtol=RTOL, atol=ATOL
        )


LOSS_CASES = [
    (losses.MSE(), "regression"),
    (losses.SSE(), "regression"),
    (losses.HalfSSE(), "regression"),
    (losses.BCE(), "probabilities"),
    (losses.CrossEntropy(), "one_hot"),
    (losses.CrossEntropy(), "soft"),
]


@pytest.mark.parametrize("loss,kind", LOSS_CASES, ids=lambda c: getattr(c, "kind", c))
def test_loss_gradient_matches_central_difference(loss: losses.Loss, kind: str) -> None:
    rng = np.random.default_rng(2)
    shape = (3, 4)
    if kind == "probabilities":
        y = rng.uniform(0.05, 0.95, size=shape)
        t = rng.integers(0, 2, size=shape).astype(float)
    else:
        y = rng.normal(size=shape)
        t = rng.normal(size=shape)
        if kind == "one_hot":
            t = np.eye(4)[rng.integers(0, 4, size=3)]
        elif kind == "soft":
            t = rng.uniform(size=shape)
            t /= t.sum(axis=1, keepdims=True)
    analytic = loss.grad(nx, y, t)
    numeric = central_difference(lambda v: float(loss.value(nx, v, t)), y)  # type: ignore[arg-type]
    np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=ATOL)
    assert float(loss.value(nx, y, t)) == pytest.approx(float(loss.terms(nx, y, t).sum()))  # type: ignore[arg-type]


def test_kinks_take_the_configured_derivative_at_exactly_zero() -> None:
    x = np.array([[0.0, -1.0, 2.0]])
    g = np.ones((1, 3))
    relu_torch, relu_ge = L.ReLU(name="a"), L.ReLU(name="b", grad_at_zero=Fraction(1))
    leaky = L.LeakyReLU(name="c", slope=Fraction(1, 4))
    assert relu_torch.backward(nx, x, x, g, {})[0].tolist() == [[0.0, 0.0, 1.0]]
    assert relu_ge.backward(nx, x, x, g, {})[0].tolist() == [[1.0, 0.0, 1.0]]
    assert leaky.backward(nx, x, x, g, {})[0].tolist() == [[0.25, 0.25, 1.0]]


def test_extreme_values_stay_finite() -> None:
    x = np.array([[-800.0, 800.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(activations.sigmoid(nx, x)).all()
        assert np.isfinite(activations.softmax(nx, x)).all()
        assert np.isfinite(losses.log_softmax(nx, x)).all()
    p = np.array([[0.0, 1.0]])
    t = np.array([[1.0, 0.0]])
    assert float(losses.BCE().value(nx, p, t)) == pytest.approx(100.0)  # torch clamps log at -100
    assert np.isfinite(losses.BCE().grad(nx, p, t)).all()
