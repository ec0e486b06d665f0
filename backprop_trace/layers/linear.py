"""The fully connected layer: y = x @ W + b."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from backprop_trace.chain import Factor, Route
from backprop_trace.numerics import Array, Numerics, noise_bound
from backprop_trace.spec_types import Bias, FileRef, InitName, MatrixOrFile, Number, PositiveCount
from backprop_trace.wording import plural

from .base import (
    PARAMETER,
    Around,
    Building,
    Built,
    Layer,
    LayerSpec,
    Params,
    Shape,
    ShapeProblem,
    shape_text,
)

MAX_UNITS = 10_000_000


@dataclass(frozen=True)
class Linear(Layer):
    """y = x @ W + b: weight[i][j] joins input i to unit j (the in_out layout, whatever the
    scenario's). Its parameters are W{k} and b{k} (k counts linear layers), or <name>.weight
    and <name>.bias when the layer is named."""

    same_shape: ClassVar[bool] = False

    weight: str = dataclasses.field(default="W", metadata=PARAMETER)
    bias: str | None = dataclasses.field(default=None, metadata=PARAMETER)
    in_features: int = 0
    out_features: int = 0
    sizes_key: str = dataclasses.field(default="in", compare=False)  # where its sizes are written

    class Spec(LayerSpec):
        """Explicit weight (and bias), written out or in .npy files beside the scenario (as
        --save writes large ones), or in/out sizes with an init."""

        type: Literal["linear"]
        weight: MatrixOrFile | None = None
        bias: Bias = None
        in_: PositiveCount | None = Field(None, alias="in")
        out: PositiveCount | None = None
        init: InitName | None = None
        std: Number | None = None

    # -- building ---------------------------------------------------------------------------------

    @classmethod
    def build(cls, spec: Linear.Spec, at: Building) -> Built | None:
        """The layer, its initial parameters (in_out layout), and how they came in float64."""
        weight_name = at.param("weight") if at.named else f"W{at.count}"
        bias_name = at.param("bias") if at.named else f"b{at.count}"
        how = ""
        if spec.weight is not None:
            if spec.init is not None:
                at.problem(
                    "init",
                    "give either weight or init, not both",
                    "remove init to use the weights written here",
                    at_key=True,
                )
            written = written_weight(spec.weight, at, 2)
            if written is None:
                return None
            weight, how = written
            if at.builder.layout == "out_in":
                weight = weight.T
            fan_in, fan_out = int(weight.shape[0]), int(weight.shape[1])
            for key, size, actual in (("in", spec.in_, fan_in), ("out", spec.out, fan_out)):
                if size is not None and size != actual:
                    at.problem(
                        key,
                        f"{key}: {size} does not match the weight matrix, which has {actual}",
                        "remove it or make them agree",
                    )
            default_bias: Array = np.full(fan_out, Fraction(0), dtype=object)
            wants_bias = spec.bias is True  # written-out weights: no bias unless given
        else:
            sizes = _init_sizes(spec, at)
            if sizes is None:
                return None
            fan_in, fan_out = sizes
            init = spec.init or "torch"
            weight, default_bias = initialise(
                init, (fan_in, fan_out), fan_in, at.builder.rng, spec.std
            )
            how = "" if init == "zeros" else f"initialised randomly ({init})"
            wants_bias = spec.bias is not False  # like nn.Linear: a bias unless bias: false
        values: dict[str, Array] = {weight_name: weight}
        bias = written_bias(spec.bias, fan_out, at)
        if bias is not None:
            values[bias_name] = bias
        elif wants_bias:
            values[bias_name] = default_bias
        layer = cls(
            name=at.name,
            weight=weight_name,
            bias=bias_name if bias_name in values else None,
            in_features=fan_in,
            out_features=fan_out,
            sizes_key="in" if spec.weight is None else "weight",
        )
        return Built(layer, values, how)

    @staticmethod
    def parameter_count(spec: Linear.Spec, weight_shape: Shape | None) -> int | None:
        """The parameters the spec asks for, counted before any is allocated (None: unknown).
        ``weight_shape``: the shape of its weight file's array, when it names one."""
        if weight_shape is not None:
            fan_in, fan_out = (
                (weight_shape[0], weight_shape[1])
                if len(weight_shape) == 2
                else (weight_shape[0], 1)
            )
        elif spec.weight is not None and not isinstance(spec.weight, FileRef):
            fan_in, fan_out = len(spec.weight), len(spec.weight[0])
        elif spec.in_ is not None and spec.out is not None:
            if not (1 <= spec.in_ <= MAX_UNITS and 1 <= spec.out <= MAX_UNITS):
                return None
            fan_in, fan_out = spec.in_, spec.out
        else:
            return None
        # a bias unless bias: false; with written weights, only when it is written too
        biased = spec.bias is not False and (spec.weight is None or spec.bias is not None)
        return fan_in * fan_out + (fan_out if biased else 0)

    # -- shapes -----------------------------------------------------------------------------------

    def input_shape(self) -> Shape | None:
        return (self.in_features,) if self.in_features >= 0 else None

    def input_mismatch(self, shape: Shape, layout: str) -> ShapeProblem:
        if len(shape) != 1:
            return self._not_a_vector(shape)
        rows = "rows" if layout == "in_out" else "columns"
        return ShapeProblem(
            f"this layer takes {plural(self.in_features, 'input')} but the layer before it "
            f"gives {shape[0]}",
            f"in layout {layout} the weight matrix has one of its {rows} per input",
            self.sizes_key,
        )

    def _not_a_vector(self, shape: Shape) -> ShapeProblem:
        return ShapeProblem(
            f"a linear layer takes a vector per example, but gets {shape_text(shape)}",
            "put a '- type: flatten' layer before it",
        )

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 1:
            raise self._not_a_vector(shape)
        return (self.out_features,)

    # -- the math ---------------------------------------------------------------------------------

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

    def input_rounding(self, x: Array, params: Params) -> tuple[Array, int]:
        """The scale and number of terms of each output's sum (for the rounding bound of the
        next layer's input): |x| @ |W| + |b| over in_features + 1 terms."""
        scale = np.abs(x) @ np.abs(params[self.weight])
        if self.bias is not None:
            scale = scale + np.abs(params[self.bias])
        return scale, self.in_features + 1

    # -- explain ----------------------------------------------------------------------------------

    def local(self, around: Around, at: tuple[int, ...]) -> list[Route]:
        """∂y_j/∂x_i = W[i][j]: input i feeds every unit j"""
        w = around.params[self.weight]
        e, i = at
        return [
            Route((e, j), Factor(around.entry(self.weight, (i, j)), w[i, j]))
            for j in range(self.out_features)
        ]

    def param_local(self, around: Around, role: str, index: tuple[int, ...]) -> list[Route]:
        """∂y_j/∂W[i][j] = x_i (in every example);  ∂y_j/∂b[j] = 1"""
        rows = range(around.x.shape[0])
        if role == "bias":
            return [Route((e, index[0]), Factor("1", around.nx.one)) for e in rows]
        i, j = index
        return [Route((e, j), input_factor(around, (e, i))) for e in rows]

    # -- PyTorch ----------------------------------------------------------------------------------

    def torch_module(self) -> str:
        bias = "" if self.bias is not None else ", bias=False"
        return f"nn.Linear({self.in_features}, {self.out_features}{bias})"

    def torch_value(self, role: str, value: Array) -> Array:
        return value.T if role == "weight" else value  # nn.Linear keeps weight as [out, in]


def input_factor(around: Around, at: tuple[int, ...], symbol: str = "") -> Factor:
    """An input entry as a factor (∂y/∂w is the input the weight multiplies), saying so when
    it is 0."""
    value = around.x[at]
    name = symbol or around.input_unit(at)
    return Factor(name, value, why=f"its input {name} is 0" if value == 0 else "")


def written_weight(value: Any, at: Building, ndim: int) -> tuple[Array, str] | None:
    """A weight written out (exact) or named as a .npy file (float64), and how it came in
    float64 ('' when exact); None when the file cannot be read (the problem reported)."""
    if not isinstance(value, FileRef):
        return np.array(value, dtype=object), ""
    read = at.builder.read_tensor(value, (*at.path, "weight"), ndim)
    return None if read is None else (read, f"read from {value.path}")


def written_bias(spec_bias: object, units: int, at: Building, unit: str = "unit") -> Array | None:
    """The bias written (a list or a .npy file), checked against the layer's units (output
    channels, for a convolution); None when none is written or the file cannot be read."""
    if isinstance(spec_bias, FileRef):
        bias = at.builder.read_tensor(spec_bias, (*at.path, "bias"), 1)
        if bias is not None and len(bias) != units:
            at.problem(
                "bias",
                f"{spec_bias.path} holds {plural(len(bias), 'number')} "
                f"but the layer has {plural(units, unit)}",
                f"give one bias per {unit}",
            )
        return bias
    if isinstance(spec_bias, tuple):
        if len(spec_bias) != units:
            at.problem(
                "bias",
                f"the bias has {plural(len(spec_bias), 'number')} "
                f"but the layer has {plural(units, unit)}",
                f"give one bias per {unit}",
            )
        return np.array(spec_bias, dtype=object)
    return None


def _init_sizes(spec: Linear.Spec, at: Building) -> tuple[int, int] | None:
    if spec.in_ is None or spec.out is None:
        missing = [k for k, v in (("in", spec.in_), ("out", spec.out)) if v is None]
        at.problem(
            None,
            f"a linear layer needs weight, or in and out sizes (missing: {', '.join(missing)})",
            "e.g. {type: linear, in: 4, out: 3, init: he}",
        )
        return None
    for key, size in (("in", spec.in_), ("out", spec.out)):
        if not 1 <= size <= MAX_UNITS:
            at.problem(
                key,
                f"{key} must be between 1 and {MAX_UNITS:,}, got {size:,}",
                "layer sizes count units",
            )
            return None
    return spec.in_, spec.out  # the network's size is checked before: Builder._network_size


def initialise(
    init: str,
    shape: Shape,
    fan_in: int,
    rng: np.random.Generator,
    std: Fraction | None,
    fan_out: int | None = None,
) -> tuple[Array, Array]:
    """(weight of ``shape``, bias of shape[-1] units for linear, shape[0] for conv):
    he: N(0, 2/fan_in);  xavier: U(±sqrt(6/(fan_in+fan_out)));  normal: N(0, std^2), std 1 by
    default;  torch: U(±1/sqrt(fan_in)) for weight and bias (nn.Linear's and nn.Conv2d's
    default);  zeros: exact zeros. Biases are zeros except for torch."""
    units = shape[-1] if len(shape) == 2 else shape[0]
    fan_out = shape[-1] if fan_out is None else fan_out
    if init == "zeros":
        return (
            np.full(shape, Fraction(0), dtype=object),
            np.full(units, Fraction(0), dtype=object),
        )
    bias: Array = np.zeros(units)
    weight: Array
    if init == "he":
        weight = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)
    elif init == "xavier":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        weight = rng.uniform(-a, a, size=shape)
    elif init == "normal":
        weight = rng.normal(0.0, float(std) if std is not None else 1.0, size=shape)
    else:
        bound = 1.0 / math.sqrt(fan_in)
        weight = rng.uniform(-bound, bound, size=shape)
        bias = rng.uniform(-bound, bound, size=units)
    return weight, bias
