"""Gradient check: every analytic gradient beside a central difference of the loss, in float64.

(L(p + h) - L(p - h)) / 2h with h = 1e-5 · max(1, |p|), on the same batch and parameters as the
step. Where the perturbation moves a relu-like input across its kink the derivative is one-sided
and the difference means nothing: such entries are reported as kinks, not compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .layers import Layer
from .numerics import FLOAT64, Array, to_float

RELATIVE_STEP = 1e-5
THRESHOLD = 1e-5  # largest relative error that passes
FLOOR = 1e-4  # gradients smaller than this are compared absolutely
MAX_PER_TENSOR = 64  # larger tensors are checked at this many evenly spaced entries


@dataclass(frozen=True)
class EntryCheck:
    name: str  # e.g. W1[0][2], in the scenario's layout
    analytic: float
    numerical: float
    error: float  # |a - n| / max(|a|, |n|, FLOOR)
    kink: bool  # the difference crossed a kink: not compared


@dataclass(frozen=True)
class GradientCheck:
    entries: tuple[EntryCheck, ...]
    total: int  # trainable entries in the network (some may be sampled out)
    threshold: float = THRESHOLD

    @property
    def compared(self) -> tuple[EntryCheck, ...]:
        return tuple(e for e in self.entries if not e.kink)

    @property
    def max_error(self) -> float:
        return max((e.error for e in self.compared), default=0.0)

    @property
    def passed(self) -> bool:
        return self.max_error <= self.threshold


def check_gradients(
    layers: tuple[Layer, ...],
    loss: Callable[[Array], float],
    params: dict[str, Array],
    grads: dict[str, Array],
    x: Array,
    names: Callable[[str, tuple[int, ...]], str],
) -> GradientCheck:
    """params and grads: the trainable parameters (in_out layout) and their analytic gradients;
    loss(outputs) -> float; names(param, index) -> the entry's name in the scenario's layout."""
    base = {n: to_float(v) for n, v in params.items()}
    entries: list[EntryCheck] = []
    total = 0
    for name, grad in grads.items():
        analytic = to_float(grad)
        total += analytic.size
        flat = np.arange(analytic.size)
        if analytic.size > MAX_PER_TENSOR:
            flat = np.unique(np.linspace(0, analytic.size - 1, MAX_PER_TENSOR).astype(int))
        for k in flat:
            index = tuple(int(i) for i in np.unravel_index(int(k), analytic.shape))
            value = base[name][index]
            h = RELATIVE_STEP * max(1.0, abs(value))
            up, up_sides = _loss_at(layers, loss, base, x, name, index, value + h)
            down, down_sides = _loss_at(layers, loss, base, x, name, index, value - h)
            numerical = (up - down) / (2 * h)
            a = float(analytic[index])
            kink = any((u != d).any() for u, d in zip(up_sides, down_sides, strict=True))
            error = abs(a - numerical) / max(abs(a), abs(numerical), FLOOR)
            entries.append(EntryCheck(names(name, index), a, numerical, error, kink))
    return GradientCheck(tuple(entries), total)


def _loss_at(
    layers: tuple[Layer, ...],
    loss: Callable[[Array], float],
    base: dict[str, Array],
    x: Array,
    name: str,
    index: tuple[int, ...],
    value: float,
) -> tuple[float, list[Array]]:
    """The loss with one entry changed, and which side of its kink every relu-like input is on."""
    params = dict(base)
    params[name] = base[name].copy()
    params[name][index] = value
    sides = []
    h = to_float(x)
    for layer in layers:
        if layer.kinked:
            sides.append(layer.kink_sides(h))
        h = layer.forward(FLOAT64, h, params)
    return loss(h), sides
