"""Layers: each one's forward and backward side by side, the math in the docstrings.

Arrays are batches: shape [example, unit]. Linear weights are held in the in_out layout
(weight[i][j] joins input i to unit j; y = x @ W + b) whatever the scenario's layout.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .numerics import FLOAT64, Array, Numerics, noise_bound

Params = dict[str, Array]


# -- the functions, each next to its derivative --------------------------------------------------


def relu(nx: Numerics, x: Array) -> Array:
    """f(x) = max(0, x)"""
    return np.where(x > 0, x, nx.zero)


def relu_back(nx: Numerics, x: Array, grad: Array, grad_at_zero: Fraction) -> Array:
    """f'(x) = 1 if x > 0, grad_at_zero if x == 0 (PyTorch: 0), else 0"""
    at_zero = nx.scalar(grad_at_zero)
    derivative: Array = np.where(x > 0, nx.one, np.where(x == 0, at_zero, nx.zero))
    return grad * derivative


def leaky_relu(nx: Numerics, x: Array, slope: Fraction) -> Array:
    """f(x) = x if x > 0 else slope * x"""
    return np.where(x > 0, x, x * nx.scalar(slope))


def leaky_relu_back(nx: Numerics, x: Array, grad: Array, slope: Fraction) -> Array:
    """f'(x) = 1 if x > 0 else slope (PyTorch: slope at exactly 0 too)"""
    derivative: Array = np.where(x > 0, np.asarray(nx.one), np.asarray(nx.scalar(slope)))
    return grad * derivative


def tanh(nx: Numerics, x: Array) -> Array:
    """f(x) = tanh(x)"""
    return nx.tanh(x)


def tanh_back(y: Array, grad: Array) -> Array:
    """f'(x) = 1 - tanh(x)^2 = 1 - y^2"""
    out: Array = grad * (1 - y * y)
    return out


def sigmoid(nx: Numerics, x: Array) -> Array:
    """f(x) = 1 / (1 + e^-x), computed without overflow: e^-|x| never exceeds 1"""
    e = nx.exp(-np.abs(x))
    out: Array = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out


def sigmoid_back(y: Array, grad: Array) -> Array:
    """f'(x) = f(x) (1 - f(x)) = y (1 - y)"""
    out: Array = grad * y * (1 - y)
    return out


def softmax(nx: Numerics, x: Array) -> Array:
    """f(x)_j = e^(x_j - max x) / sum_k e^(x_k - max x), over the last axis"""
    e = nx.exp(x - x.max(axis=-1, keepdims=True))
    out: Array = e / e.sum(axis=-1, keepdims=True)
    return out


def softmax_back(y: Array, grad: Array) -> Array:
    """df_j/dx_k = y_j (delta_jk - y_k), so grad_x = y * (grad - sum(grad * y))"""
    out: Array = y * (grad - (grad * y).sum(axis=-1, keepdims=True))
    return out


# -- layers ----------------------------------------------------------------------------------------


OPTION = "option"  # dataclass field metadata: a setting of the kind that a scenario writes
SETTING = {OPTION: True}  # field(default=..., metadata=SETTING): written under its own name


@dataclass(frozen=True)
class Layer(ABC):
    """A step of the network. ``name`` is how traces and messages call it."""

    name: str
    kind: ClassVar[str] = ""
    rational: ClassVar[bool] = True
    has_kink: ClassVar[bool] = False  # relu-like: the derivative jumps at 0

    @property
    def param_names(self) -> tuple[str, ...]:
        return ()

    def options(self) -> dict[str, Any]:
        """The kind's own settings, as a scenario writes them (grad_at_zero, slope): its fields
        marked ``option``. --save writes every one back, so none is dropped on the way."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.metadata.get(OPTION)
        }

    @abstractmethod
    def forward(self, nx: Numerics, x: Array, params: Params) -> Array: ...

    @abstractmethod
    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        """(dLoss/dx, {parameter: dLoss/dparameter}) from dLoss/dy."""

    def backward_noise(
        self, x: Array, y: Array, grad_y: Array, noise_y: Array, params: Params
    ) -> tuple[Array, Params]:
        """float64: how far from its true value the rounding of sums can have put each result of
        ``backward``, given that bound for dLoss/dy (numerics.noise_bound): (bound of dLoss/dx,
        {parameter: bound of its gradient}). Here, for a layer that acts unit by unit: its
        derivative is linear in dLoss/dy, so the bound is |f'| times that of dLoss/dy."""
        return np.abs(self.backward(FLOAT64, x, y, noise_y, params)[0]), {}


@dataclass(frozen=True)
class Linear(Layer):
    """y = x @ W + b"""

    weight: str = "W"
    bias: str | None = None
    in_features: int = 0
    out_features: int = 0
    kind: ClassVar[str] = "linear"

    @property
    def param_names(self) -> tuple[str, ...]:
        return (self.weight,) if self.bias is None else (self.weight, self.bias)

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        y: Array = x @ params[self.weight]
        if self.bias is not None:
            y = y + params[self.bias]
        return y

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        """dL/dx = g @ W^T (when need_x: the first layer's is not used);  dL/dW = x^T @ g;
        dL/db = sum of g over the batch"""
        grads: Params = {self.weight: x.T @ grad_y}
        if self.bias is not None:
            grads[self.bias] = grad_y.sum(axis=0)
        return (grad_y @ params[self.weight].T if need_x else grad_y), grads

    def backward_noise(
        self, x: Array, y: Array, grad_y: Array, noise_y: Array, params: Params
    ) -> tuple[Array, Params]:
        """Each result is a sum: dL/dx over the units (|g| @ |W|^T), dL/dW and dL/db over the
        batch (|x|^T @ |g|, sum of |g|); each bound is its own rounding plus what it carries in."""
        w = np.abs(params[self.weight])
        magnitudes, n = np.abs(grad_y), int(x.shape[0])
        bounds: Params = {
            self.weight: np.abs(x).T @ noise_y + noise_bound(np.abs(x).T @ magnitudes, n)
        }
        if self.bias is not None:
            bounds[self.bias] = noise_y.sum(axis=0) + noise_bound(magnitudes.sum(axis=0), n)
        return noise_y @ w.T + noise_bound(magnitudes @ w.T, self.out_features), bounds


@dataclass(frozen=True)
class ReLU(Layer):
    grad_at_zero: Fraction = dataclasses.field(default=Fraction(0), metadata=SETTING)
    kind: ClassVar[str] = "relu"
    has_kink: ClassVar[bool] = True

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return relu(nx, x)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return relu_back(nx, x, grad_y, self.grad_at_zero), {}


@dataclass(frozen=True)
class LeakyReLU(Layer):
    slope: Fraction = dataclasses.field(default=Fraction(1, 100), metadata=SETTING)
    kind: ClassVar[str] = "leaky_relu"
    has_kink: ClassVar[bool] = True

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return leaky_relu(nx, x, self.slope)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return leaky_relu_back(nx, x, grad_y, self.slope), {}


@dataclass(frozen=True)
class Tanh(Layer):
    kind: ClassVar[str] = "tanh"
    rational: ClassVar[bool] = False

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return tanh(nx, x)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return tanh_back(y, grad_y), {}


@dataclass(frozen=True)
class Sigmoid(Layer):
    kind: ClassVar[str] = "sigmoid"
    rational: ClassVar[bool] = False

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return sigmoid(nx, x)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return sigmoid_back(y, grad_y), {}


@dataclass(frozen=True)
class Identity(Layer):
    kind: ClassVar[str] = "identity"

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return x

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return grad_y, {}


@dataclass(frozen=True)
class Softmax(Layer):
    kind: ClassVar[str] = "softmax"
    rational: ClassVar[bool] = False

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return softmax(nx, x)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return softmax_back(y, grad_y), {}

    def backward_noise(
        self, x: Array, y: Array, grad_y: Array, noise_y: Array, params: Params
    ) -> tuple[Array, Params]:
        """y * (g - sum(g * y)): the sum over the units is a sum of its own"""
        units = int(y.shape[-1])
        carried = y * (noise_y + (noise_y * y).sum(axis=-1, keepdims=True))
        own = y * noise_bound(np.abs(grad_y * y).sum(axis=-1, keepdims=True), units)
        bound: Array = carried + own
        return bound, {}


LAYER_TYPES: dict[str, type[Layer]] = {
    cls.kind: cls for cls in (Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Identity, Softmax)
}
LAYER_OPTIONS = frozenset(
    f.name
    for cls in LAYER_TYPES.values()
    for f in dataclasses.fields(cls)
    if f.metadata.get(OPTION)
)
