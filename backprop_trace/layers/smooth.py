"""Smooth relatives of relu: gelu, silu, elu and softplus, layers that act entry by entry, each
function next to its derivative, the math in the docstrings. (Their own module: a scenario that
has none of them does not pay for defining them.)"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, Literal

import numpy as np

from backprop_trace.chain import Factor
from backprop_trace.numerics import Array, Numerics
from backprop_trace.spec_types import Approximation, Number

from .activations import sigmoid
from .base import SETTING, Around, Building, Layer, LayerSpec, Params

# -- the functions, each next to its derivative --------------------------------------------------


SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_CUBIC = 0.044715  # torch's tanh approximation


def gelu(nx: Numerics, x: Array, approximate: str) -> Array:
    """none: f(x) = x Φ(x) = x (1 + erf(x / √2)) / 2;
    tanh: f(x) = x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2"""
    if approximate == "tanh":
        out: Array = 0.5 * x * (1 + nx.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x**3)))
        return out
    out = 0.5 * x * (1 + nx.erf(x / math.sqrt(2)))
    return out


def gelu_back(nx: Numerics, x: Array, grad: Array, approximate: str) -> Array:
    """none: f'(x) = Φ(x) + x φ(x), φ(x) = e^(-x²/2) / √(2π);
    tanh: f'(x) = (1 + t) / 2 + x (1 − t²) √(2/π) (1 + 3·0.044715 x²) / 2, t the tanh above"""
    if approximate == "tanh":
        t = nx.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x**3))
        slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x**2)
    else:
        slope = 0.5 * (1 + nx.erf(x / math.sqrt(2))) + x * nx.exp(-0.5 * x * x) / math.sqrt(
            2 * math.pi
        )
    out: Array = grad * slope
    return out


def silu(nx: Numerics, x: Array) -> Array:
    """f(x) = x σ(x)"""
    out: Array = x * sigmoid(nx, x)
    return out


def silu_back(nx: Numerics, x: Array, grad: Array) -> Array:
    """f'(x) = σ(x) (1 + x (1 − σ(x)))"""
    s = sigmoid(nx, x)
    out: Array = grad * s * (1 + x * (1 - s))
    return out


def elu(nx: Numerics, x: Array, alpha: Fraction) -> Array:
    """f(x) = x if x > 0 else α (e^x − 1)"""
    negative = nx.scalar(alpha) * (nx.exp(np.minimum(x, 0)) - 1)
    out: Array = np.where(x > 0, x, negative)
    return out


def elu_back(nx: Numerics, x: Array, grad: Array, alpha: Fraction) -> Array:
    """f'(x) = 1 if x > 0 else α e^x (PyTorch: α at exactly 0, so a kink there unless α = 1)"""
    slope = np.where(x > 0, 1.0, nx.scalar(alpha) * nx.exp(np.minimum(x, 0)))
    out: Array = grad * slope
    return out


def softplus(nx: Numerics, x: Array, beta: Fraction, threshold: Fraction) -> Array:
    """f(x) = log(1 + e^(βx)) / β, and x itself where βx > threshold (as PyTorch)"""
    b = nx.scalar(beta)
    bx = b * x
    smooth = (np.maximum(bx, 0) + nx.log1p(nx.exp(-np.abs(bx)))) / b  # no overflow
    out: Array = np.where(bx > nx.scalar(threshold), x, smooth)
    return out


def softplus_back(nx: Numerics, x: Array, grad: Array, beta: Fraction, t: Fraction) -> Array:
    """f'(x) = σ(βx), and 1 where βx > t (the threshold)"""
    bx = nx.scalar(beta) * x
    out: Array = grad * np.where(bx > nx.scalar(t), 1.0, sigmoid(nx, bx))
    return out


@dataclass(frozen=True)
class GELU(Layer):
    """x Φ(x), Φ the standard normal's distribution (or its tanh approximation)."""

    approximate: str = dataclasses.field(default="none", metadata=SETTING)
    rational: ClassVar[bool] = False
    activation: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["gelu"]
        approximate: Approximation = "none"

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return gelu(nx, x, self.approximate)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return gelu_back(nx, x, grad_y, self.approximate), {}

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        z = float(around.x[at])
        symbol = f"gelu′({around.input_unit(at)})"
        if self.approximate == "tanh":
            t = math.tanh(SQRT_2_OVER_PI * (z + GELU_CUBIC * z**3))
            slope = 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * SQRT_2_OVER_PI * (
                1 + 3 * GELU_CUBIC * z**2
            )
            return Factor(
                symbol,
                slope,
                "(1 + t)/2 + z·(1 − t²)·√(2/π)·(1 + 3·0.044715·z²)/2, "
                "t = tanh(√(2/π)·(z + 0.044715·z³))",
                "(1 + t)/2 + z*(1 - t**2)*c*(1 + 3*k*z**2)/2",
                (("t", t), ("z", z), ("c", SQRT_2_OVER_PI), ("k", GELU_CUBIC)),
            )
        big_phi = 0.5 * (1 + math.erf(z / math.sqrt(2)))
        small_phi = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return Factor(
            symbol,
            big_phi + z * small_phi,
            "Φ(z) + z·φ(z)",
            "Phi + z*phi",
            (("Phi", big_phi), ("z", z), ("phi", small_phi)),
        )

    def torch_module(self) -> str:
        return f"nn.GELU(approximate={self.approximate!r})"


@dataclass(frozen=True)
class SiLU(Layer):
    """x σ(x) (also called swish)."""

    rational: ClassVar[bool] = False
    activation: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["silu"]

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return silu(nx, x)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return silu_back(nx, x, grad_y), {}

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        z = float(around.x[at])
        s = float(sigmoid(around.nx, np.array(z)))
        return Factor(
            f"silu′({around.input_unit(at)})",
            s * (1 + z * (1 - s)),
            "σ(z)·(1 + z·(1 − σ(z)))",
            "s*(1 + z*(1 - s))",
            (("s", s), ("z", z)),
        )

    def torch_module(self) -> str:
        return "nn.SiLU()"


@dataclass(frozen=True)
class ELU(Layer):
    """x if x > 0 else α (e^x − 1)."""

    alpha: Fraction = dataclasses.field(default=Fraction(1), metadata=SETTING)
    rational: ClassVar[bool] = False
    activation: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["elu"]
        alpha: Number = Fraction(1)

    @property
    def kinked(self) -> bool:
        """The slope jumps at 0 from α (PyTorch's value there) to 1, unless α = 1."""
        return self.alpha != 1

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return elu(nx, x, self.alpha)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return elu_back(nx, x, grad_y, self.alpha), {}

    def kink_convention(self) -> str:
        return f"its derivative there is taken as alpha = {self.alpha} (PyTorch's), not 1."

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        z = float(around.x[at])
        symbol = f"elu′({around.input_unit(at)})"
        if z > 0:
            return Factor(symbol, 1.0, "as z > 0")
        why = (
            f"{around.input_unit(at)} is exactly 0, on the kink: " + self.kink_convention()
            if z == 0 and self.kinked
            else ""
        )
        e = math.exp(z)
        return Factor(
            symbol,
            float(self.alpha) * e,
            "α·e^z, as z ≤ 0",
            "a*e",
            (("a", float(self.alpha)), ("e", e)),
            why,
        )

    def torch_module(self) -> str:
        return f"nn.ELU(alpha={float(self.alpha)!r})"


@dataclass(frozen=True)
class Softplus(Layer):
    """log(1 + e^(βx)) / β, a smooth relu; linear where βx > threshold."""

    beta: Fraction = dataclasses.field(default=Fraction(1), metadata=SETTING)
    threshold: Fraction = dataclasses.field(default=Fraction(20), metadata=SETTING)
    rational: ClassVar[bool] = False
    activation: ClassVar[bool] = True

    class Spec(LayerSpec):
        type: Literal["softplus"]
        beta: Number = Fraction(1)
        threshold: Number = Fraction(20)

    def check(self, at: Building) -> None:
        if self.beta == 0:
            at.problem("beta", "beta must not be 0: softplus divides by it", "e.g. beta: 1")

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return softplus(nx, x, self.beta, self.threshold)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return softplus_back(nx, x, grad_y, self.beta, self.threshold), {}

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        bz = float(self.beta) * float(around.x[at])
        symbol = f"softplus′({around.input_unit(at)})"
        if bz > self.threshold:
            why = "β·z is above the threshold: there softplus is z itself (as PyTorch)"
            return Factor(symbol, 1.0, "as β·z > threshold", why=why)
        s = float(sigmoid(around.nx, np.array(bz)))
        return Factor(symbol, s, "σ(β·z)", "s", (("s", s),))

    def torch_module(self) -> str:
        return f"nn.Softplus(beta={float(self.beta)!r}, threshold={float(self.threshold)!r})"
