"""Activations: layers that act entry by entry (softmax: over the last axis), each function next
to its derivative, the math in the docstrings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Literal

import numpy as np

from backprop_trace.chain import Factor, Route
from backprop_trace.numerics import Array, Numerics, noise_bound
from backprop_trace.spec_types import Number, short_number

from .base import SETTING, Around, Building, Layer, LayerSpec, Params

# -- the functions, each next to its derivative --------------------------------------------------


def relu(nx: Numerics, x: Array) -> Array:
    """f(x) = max(0, x)"""
    return np.maximum(x, nx.zero)


def relu_back(nx: Numerics, x: Array, grad: Array, grad_at_zero: Fraction) -> Array:
    """f'(x) = 1 if x > 0, grad_at_zero if x == 0 (PyTorch: 0), else 0: the gradient passes
    where x > 0, is scaled by grad_at_zero where x == 0, and is 0 elsewhere (as PyTorch's
    threshold_backward: 0, not 0 × grad)"""
    if grad_at_zero == 0:
        return np.where(x > 0, grad, nx.zero)
    at_zero = grad * nx.scalar(grad_at_zero)
    return np.where(x > 0, grad, np.where(x == 0, at_zero, nx.zero))


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


RELU_AT = '''
class ReLUAtFunction(torch.autograd.Function):
    """max(0, x) whose derivative at exactly 0 is grad_at_zero (torch's own ReLU uses 0)."""

    @staticmethod
    def forward(ctx, x, grad_at_zero):
        ctx.save_for_backward(x)
        ctx.grad_at_zero = grad_at_zero
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        slope = (x > 0).to(grad.dtype) + (x == 0).to(grad.dtype) * ctx.grad_at_zero
        return grad * slope, None


class ReLUAt(nn.Module):
    def __init__(self, grad_at_zero):
        super().__init__()
        self.grad_at_zero = grad_at_zero

    def forward(self, x):
        return ReLUAtFunction.apply(x, self.grad_at_zero)
'''


# -- the kinds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReLU(Layer):
    """max(0, x), with its derivative at exactly 0 a choice (PyTorch: 0)."""

    grad_at_zero: Fraction = dataclasses.field(default=Fraction(0), metadata=SETTING)
    has_kink: ClassVar[bool] = True
    activation: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["relu"]
        grad_at_zero: Number = Fraction(0)

    def check(self, at: Building) -> None:
        if not 0 <= self.grad_at_zero <= 1:
            at.problem(
                "grad_at_zero",
                f"grad_at_zero must lie in [0, 1], got {short_number(self.grad_at_zero)}",
                "0 is PyTorch's convention, 1 the 'x >= 0' one",
            )

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return relu(nx, x)

    def kink_convention(self) -> str:
        if self.grad_at_zero == 0:
            return (
                "its derivative there is taken as 0 (PyTorch's convention), so no gradient passes."
            )
        if self.grad_at_zero == 1:
            return "its derivative there is taken as 1 (the x >= 0 convention), so gradient passes."
        return f"its derivative there is taken as grad_at_zero = {self.grad_at_zero}."

    def blocked(self, x: Array) -> Array | None:
        """x < 0, and x == 0 too when the derivative there is taken as 0"""
        out: Array = (x < 0) | ((x == 0) & (self.grad_at_zero == 0))
        return out

    def mark(self, x: Any) -> tuple[str, str]:
        if x == 0:
            return ("at kink: dead" if self.grad_at_zero == 0 else "at kink: passes"), "kink"
        return ("dead", "blocked") if x < 0 else ("", "")

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return relu_back(nx, x, grad_y, self.grad_at_zero), {}

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        z = around.x[at]
        symbol = f"relu′({around.input_unit(at)})"
        if z > 0:
            return Factor(symbol, around.nx.one, "as z > 0")
        if z < 0:
            why = f"{around.input_unit(at)} < 0: the unit is dead"
            return Factor(symbol, around.nx.zero, "as z < 0", why=why)
        why = f"{around.input_unit(at)} is exactly 0, on the kink: " + self.kink_convention()
        return Factor(
            symbol, around.nx.scalar(self.grad_at_zero), "as z = 0: grad_at_zero", why=why
        )

    def torch_module(self) -> str:
        if self.grad_at_zero == 0:
            return "nn.ReLU()"
        return f"ReLUAt({float(self.grad_at_zero)!r})"

    def torch_definitions(self) -> str:
        return RELU_AT if self.grad_at_zero != 0 else ""


@dataclass(frozen=True)
class LeakyReLU(Layer):
    """x if x > 0 else slope * x"""

    slope: Fraction = dataclasses.field(default=Fraction(1, 100), metadata=SETTING)
    has_kink: ClassVar[bool] = True
    activation: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["leaky_relu"]
        slope: Number = Fraction(1, 100)

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return leaky_relu(nx, x, self.slope)

    def kink_convention(self) -> str:
        return f"its derivative there is the slope, {self.slope}, as in PyTorch."

    def mark(self, x: Any) -> tuple[str, str]:
        if x == 0:  # PyTorch takes the slope here, as the note under the table says
            return "at kink: slope", "kink"
        return ("negative side", "other side") if x < 0 else ("", "")

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return leaky_relu_back(nx, x, grad_y, self.slope), {}

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        z = around.x[at]
        symbol = f"leaky_relu′({around.input_unit(at)})"
        if z > 0:
            return Factor(symbol, around.nx.one, "as z > 0")
        why = (
            f"{around.input_unit(at)} is exactly 0, on the kink: " + self.kink_convention()
            if z == 0
            else ""
        )
        return Factor(symbol, around.nx.scalar(self.slope), "the slope, as z ≤ 0", why=why)

    def torch_module(self) -> str:
        return f"nn.LeakyReLU({float(self.slope)!r})"


@dataclass(frozen=True)
class Tanh(Layer):
    rational: ClassVar[bool] = False
    activation: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["tanh"]

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return tanh(nx, x)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return tanh_back(y, grad_y), {}

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        t = around.y[at]
        return Factor(
            f"tanh′({around.input_unit(at)})",
            1 - t * t,
            "1 − tanh²(z)",
            "1 - t**2",
            (("t", t),),
        )

    def torch_module(self) -> str:
        return "nn.Tanh()"


@dataclass(frozen=True)
class Sigmoid(Layer):
    rational: ClassVar[bool] = False
    gives_probabilities: ClassVar[bool] = True
    activation: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["sigmoid"]

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return sigmoid(nx, x)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return sigmoid_back(y, grad_y), {}

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        y = around.y[at]
        return Factor(
            f"σ′({around.input_unit(at)})",
            y * (1 - y),
            "σ(z)·(1 − σ(z))",
            "s*r",
            (("s", y), ("r", 1 - y)),
        )

    def torch_module(self) -> str:
        return "nn.Sigmoid()"


@dataclass(frozen=True)
class Identity(Layer):
    activation: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["identity"]

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return x

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return grad_y, {}

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        return Factor(f"identity′({around.input_unit(at)})", around.nx.one, "always")

    def torch_module(self) -> str:
        return "nn.Identity()"


@dataclass(frozen=True)
class Softmax(Layer):
    rational: ClassVar[bool] = False
    gives_probabilities: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["softmax"]

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

    def local(self, around: Around, at: tuple[int, ...]) -> list[Route]:
        """∂p_j/∂z_i = p_j (δ_ij − p_i): every output of the example depends on every input"""
        p, i = around.y, at[-1]
        out = []
        for j in range(p.shape[-1]):
            to = (*at[:-1], j)
            symbol = f"∂{around.output_unit(to)}/∂{around.input_unit(at)}"
            if j == i:
                factor = Factor(
                    symbol, p[at] * (1 - p[at]), "p_i·(1 − p_i)", "pi*(1 - pi)", (("pi", p[at]),)
                )
            else:
                factor = Factor(
                    symbol, -p[to] * p[at], "−p_j·p_i", "-pj*pi", (("pj", p[to]), ("pi", p[at]))
                )
            out.append(Route(to, factor))
        return out

    def torch_module(self) -> str:
        return "nn.Softmax(dim=-1)"
