"""Losses with torch.nn semantics: value, per-element contributions, and gradient.

Outputs ``y`` and targets ``t`` are [example, output] arrays (cross-entropy targets are rows of
class probabilities; class indices arrive one-hot). The terms sum to the loss, so a table can show
each output's share of it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .chain import Factor
from .numerics import Array, Numerics

LOG_FLOOR = -100.0  # torch.nn.BCELoss clamps each log at -100
BCE_EPSILON = 1e-12  # torch's binary_cross_entropy_backward divides by max((1 - p) p, 1e-12)


@dataclass(frozen=True)
class Loss(ABC):
    kind: ClassVar[str] = ""
    torch_module: ClassVar[str] = ""
    rational: ClassVar[bool] = True
    formula: ClassVar[str] = ""
    of_errors: ClassVar[bool] = False  # made of (y - t)² alone: 0 exactly where every error is

    @abstractmethod
    def terms(self, nx: Numerics, y: Array, t: Array) -> Array:
        """Each output's contribution; their sum is the loss."""
        ...

    @abstractmethod
    def grad(self, nx: Numerics, y: Array, t: Array) -> Array:
        """dLoss/dy"""
        ...

    @abstractmethod
    def explain(self, nx: Numerics, y: Array, t: Array, at: tuple[int, ...]) -> Factor:
        """dLoss/dy[at] (``at`` with the example first), with its rule in symbols and as
        arithmetic on its operands. ``symbol`` is left for the caller to name."""

    def value(self, nx: Numerics, y: Array, t: Array) -> object:
        return self.terms(nx, y, t).sum()

    def terms_and_grad(self, nx: Numerics, y: Array, t: Array) -> tuple[Array, Array]:
        """terms and grad together, for a loss that can share work between them"""
        return self.terms(nx, y, t), self.grad(nx, y, t)

    def probabilities(self, nx: Numerics, y: Array) -> Array | None:
        """What the loss reads the outputs as, when that is not the outputs themselves."""
        return None


@dataclass(frozen=True)
class MSE(Loss):
    """L = mean((y - t)^2) over all elements;  dL/dy = 2 (y - t) / n  (torch MSELoss)"""

    kind: ClassVar[str] = "mse"
    torch_module: ClassVar[str] = "nn.MSELoss()"  # as export torch writes it
    of_errors: ClassVar[bool] = True
    formula: ClassVar[str] = "mean((y - t)²)"

    def terms(self, nx: Numerics, y: Array, t: Array) -> Array:
        d = y - t
        out: Array = d * d / y.size
        return out

    def explain(self, nx: Numerics, y: Array, t: Array, at: tuple[int, ...]) -> Factor:
        n = y.size
        value = 2 * (y[at] - t[at]) / n
        return Factor(
            "", value, "2·(y − t)/n", "2*(y - t)/n", (("y", y[at]), ("t", t[at]), ("n", n))
        )

    def grad(self, nx: Numerics, y: Array, t: Array) -> Array:
        out: Array = 2 * (y - t) / y.size
        return out


@dataclass(frozen=True)
class SSE(Loss):
    """L = sum((y - t)^2);  dL/dy = 2 (y - t)"""

    kind: ClassVar[str] = "sse"
    torch_module: ClassVar[str] = 'nn.MSELoss(reduction="sum")'  # as export torch writes it
    of_errors: ClassVar[bool] = True
    formula: ClassVar[str] = "sum((y - t)²)"

    def terms(self, nx: Numerics, y: Array, t: Array) -> Array:
        d = y - t
        out: Array = d * d
        return out

    def explain(self, nx: Numerics, y: Array, t: Array, at: tuple[int, ...]) -> Factor:
        return Factor(
            "", 2 * (y[at] - t[at]), "2·(y − t)", "2*(y - t)", (("y", y[at]), ("t", t[at]))
        )

    def grad(self, nx: Numerics, y: Array, t: Array) -> Array:
        out: Array = 2 * (y - t)
        return out


@dataclass(frozen=True)
class HalfSSE(Loss):
    """L = 1/2 sum((y - t)^2);  dL/dy = y - t"""

    kind: ClassVar[str] = "half_sse"
    torch_module: ClassVar[str] = (  # as export torch writes it
        'lambda y, t: 0.5 * nn.functional.mse_loss(y, t, reduction="sum")'
    )
    of_errors: ClassVar[bool] = True
    formula: ClassVar[str] = "½ · sum((y - t)²)"

    def terms(self, nx: Numerics, y: Array, t: Array) -> Array:
        d = y - t
        out: Array = d * d / 2
        return out

    def explain(self, nx: Numerics, y: Array, t: Array, at: tuple[int, ...]) -> Factor:
        return Factor("", y[at] - t[at], "y − t", "y - t", (("y", y[at]), ("t", t[at])))

    def grad(self, nx: Numerics, y: Array, t: Array) -> Array:
        out: Array = y - t
        return out


@dataclass(frozen=True)
class BCE(Loss):
    """L = -mean(t log p + (1 - t) log(1 - p)), each log clamped at -100 (torch BCELoss);
    dL/dp = (p - t) / max((1 - p) p, 1e-12) / n"""

    kind: ClassVar[str] = "bce"
    torch_module: ClassVar[str] = "nn.BCELoss()"  # as export torch writes it
    rational: ClassVar[bool] = False
    formula: ClassVar[str] = "-mean(t·log p + (1 - t)·log(1 - p))"

    def terms(self, nx: Numerics, y: Array, t: Array) -> Array:
        with np.errstate(divide="ignore"):
            log_p = np.maximum(nx.log(y), LOG_FLOOR)
            log_q = np.maximum(nx.log1p(-y), LOG_FLOOR)
        out: Array = -(t * log_p + (1 - t) * log_q) / y.size
        return out

    def explain(self, nx: Numerics, y: Array, t: Array, at: tuple[int, ...]) -> Factor:
        p, n = y[at], y.size
        value = (p - t[at]) / max((1 - p) * p, BCE_EPSILON) / n
        return Factor(
            "",
            value,
            "(p − t)/max(p·(1 − p), 1e-12)/n",
            "(p - t)/max(p*(1 - p), eps)/n",
            (("p", p), ("t", t[at]), ("eps", BCE_EPSILON), ("n", n)),
        )

    def grad(self, nx: Numerics, y: Array, t: Array) -> Array:
        out: Array = (y - t) / np.maximum((1 - y) * y, BCE_EPSILON) / y.size
        return out


def log_softmax(nx: Numerics, z: Array) -> Array:
    """log softmax(z)_j = z_j - max z - log sum_k e^(z_k - max z)"""
    shifted = z - z.max(axis=-1, keepdims=True)
    out: Array = shifted - nx.log(nx.exp(shifted).sum(axis=-1, keepdims=True))
    return out


@dataclass(frozen=True)
class CrossEntropy(Loss):
    """L = -mean over examples of sum_j t_j log softmax(z)_j (torch CrossEntropyLoss on logits);
    dL/dz = (softmax(z) * sum_j t_j - t) / N"""

    kind: ClassVar[str] = "cross_entropy"
    torch_module: ClassVar[str] = "nn.CrossEntropyLoss()"  # as export torch writes it
    rational: ClassVar[bool] = False
    formula: ClassVar[str] = "-mean(sum(t · log softmax(z)))"

    def terms(self, nx: Numerics, y: Array, t: Array) -> Array:
        return self._terms(log_softmax(nx, y), t)

    @staticmethod
    def _terms(log_p: Array, t: Array) -> Array:
        out: Array = np.where(t == 0, 0.0, -t * log_p) / log_p.shape[0]
        return out

    def probabilities(self, nx: Numerics, y: Array) -> Array | None:
        return nx.exp(log_softmax(nx, y))

    def explain(self, nx: Numerics, y: Array, t: Array, at: tuple[int, ...]) -> Factor:
        """softmax and the log together: p − t per example (over N examples), p the softmax"""
        p = nx.exp(log_softmax(nx, y))[at]
        total, n = t[at[0]].sum(), y.shape[0]
        operands = (("p", p), ("t", t[at]), ("n", n))
        if total == 1:
            return Factor("", (p - t[at]) / n, "(p − t)/N, p = softmax(z)", "(p - t)/n", operands)
        value = (p * total - t[at]) / n
        formula = "(p·Σt − t)/N, p = softmax(z)"
        return Factor("", value, formula, "(p*s - t)/n", (*operands, ("s", total)))

    def grad(self, nx: Numerics, y: Array, t: Array) -> Array:
        return self._grad(nx, log_softmax(nx, y), t)

    @staticmethod
    def _grad(nx: Numerics, log_p: Array, t: Array) -> Array:
        out: Array = (nx.exp(log_p) * t.sum(axis=-1, keepdims=True) - t) / log_p.shape[0]
        return out

    def terms_and_grad(self, nx: Numerics, y: Array, t: Array) -> tuple[Array, Array]:
        log_p = log_softmax(nx, y)  # once for both
        return self._terms(log_p, t), self._grad(nx, log_p, t)


LOSS_TYPES: dict[str, type[Loss]] = {
    cls.kind: cls for cls in (MSE, SSE, HalfSSE, BCE, CrossEntropy)
}
