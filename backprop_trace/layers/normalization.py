"""Normalisation and dropout: batchnorm (over the batch, per feature or channel), layernorm
(over each example's features) and dropout (a mask per step, scaled by 1/(1 − p))."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from backprop_trace.chain import Factor, Route
from backprop_trace.numerics import FLOAT64, Array, Numerics, noise_bound
from backprop_trace.spec_types import Flag, Input, Number, Vector, short_number
from backprop_trace.wording import plural

from .base import (
    PARAMETER,
    SETTING,
    Around,
    Building,
    Built,
    Layer,
    LayerNote,
    LayerSpec,
    Params,
    Shape,
    ShapeProblem,
    shape_text,
)

if TYPE_CHECKING:
    from backprop_trace.trace import LayerStep


def _column(values: Array, ndim: int) -> Array:
    """A per-channel vector shaped to broadcast over [example, channel, height, width]"""
    return values if ndim == 2 else values.reshape(1, -1, 1, 1)


def _through_statistics(
    scale: Array, ax: Array, e: Array, g: Array, axes: tuple[int, ...], count: int
) -> Array:
    """The rounding bound of dL/dx = scale · (g − mean(g) − x̂ · mean(g · x̂)), the means over
    ``axes`` (``count`` values): what the incoming bounds ``e`` carry through it, plus its own
    rounding of sums of magnitudes |g| (ax = |x̂|)."""

    def spread(v: Array) -> Array:
        out: Array = v + v.mean(axis=axes, keepdims=True)
        out = out + ax * (v * ax).mean(axis=axes, keepdims=True)
        return out

    bound: Array = scale * spread(e) + noise_bound(scale * spread(g), count + 2)
    return bound


def _vector(values: Any) -> Array:
    return np.array(values, dtype=object)


@dataclass(frozen=True)
class _Normalisation(Layer):
    """What batchnorm and layernorm share: an optional affine weight and bias per feature, eps,
    and defaults sized by the input (weight ones, bias zeros)."""

    weight: str | None = dataclasses.field(default=None, metadata=PARAMETER)
    bias: str | None = dataclasses.field(default=None, metadata=PARAMETER)
    features: int = 0
    eps: Fraction = dataclasses.field(default=Fraction(1, 100000), metadata=SETTING)
    affine: bool = dataclasses.field(default=True, metadata=SETTING)
    images: bool = False  # sized on images (batchnorm: BatchNorm2d)
    rational: ClassVar[bool] = False
    axis_name: ClassVar[str] = "feature"

    @classmethod
    def build(cls, spec: Any, at: Building) -> Built | None:
        given = {key: getattr(spec, key) for key in ("weight", "bias")}
        given.update({key: getattr(spec, key, None) for key in ("running_mean", "running_var")})
        sizes = {len(v) for v in given.values() if v is not None}
        if len(sizes) > 1:
            at.problem(
                None,
                "weight, bias and the running statistics must have one number per "
                f"{cls.axis_name}, but their lengths differ ({', '.join(map(str, sorted(sizes)))})",
                f"give one number per {cls.axis_name} in each",
            )
            return None
        if not spec.affine and (spec.weight is not None or spec.bias is not None):
            at.problem("affine", "affine: false has no weight or bias", "remove them", at_key=True)
        options: dict[str, Any] = {key: getattr(spec, key) for key in cls.option_names()}
        if spec.affine:
            options.update(weight=at.param("weight"), bias=at.param("bias"))
        layer = cls(name=at.name, features=sizes.pop() if sizes else 0, **options)
        layer.check(at)
        roles = layer.roles()
        params = {roles[k]: _vector(v) for k, v in given.items() if k in roles and v is not None}
        state = {
            f"{at.name}.{k}": _vector(v)
            for k, v in given.items()
            if k.startswith("running") and v is not None
        }
        return Built(layer, params, state=state)

    def check(self, at: Building) -> None:
        if not self.eps > 0:
            at.problem("eps", f"eps must be positive, got {short_number(self.eps)}", "e.g. 1e-5")

    def sized(self, shape: Shape, at: Building) -> Built | None:
        self.output_shape(shape)  # the sizes written must agree with the input's
        channels = self._channels(shape)
        params = {}
        if self.weight is not None:
            params[self.weight] = np.full(channels, Fraction(1), dtype=object)
            params[self.bias or ""] = np.full(channels, Fraction(0), dtype=object)
        state = self._default_state(channels)  # the loader keeps what was written instead
        layer = dataclasses.replace(self, features=channels, images=len(shape) == 3)
        return Built(layer, {k: v for k, v in params.items() if k}, state=state)

    def _default_state(self, channels: int) -> Params:
        return {}

    def _channels(self, shape: Shape) -> int:
        return shape[0]

    def output_shape(self, shape: Shape) -> Shape:
        channels = self._channels(shape)
        if self.features and self.features != channels:
            raise ShapeProblem(
                f"this layer has {plural(self.features, self.axis_name)} but its input has "
                f"{channels}",
                f"give one number per {self.axis_name}",
            )
        return shape


# -- batchnorm -------------------------------------------------------------------------------------


def _normalised(layer: BatchNorm | LayerNorm, around: Around) -> tuple[Array, Array]:
    """(x̂, 1/√(σ² + eps) for every entry), once per step"""
    if "xhat" not in around.memo:
        stats = layer._statistics(around.nx, around.x)
        around.memo["xhat"] = stats[0]
        around.memo["inv_std"] = np.broadcast_to(stats[1], around.x.shape)
        mean = around.x.mean(axis=layer._axes(around.x), keepdims=True)
        around.memo["mean"] = np.broadcast_to(mean, around.x.shape)
    return around.memo["xhat"], around.memo["inv_std"]


def _through_the_statistics(
    layer: BatchNorm | LayerNorm,
    around: Around,
    at: tuple[int, ...],
    group: Sequence[tuple[int, ...]],
) -> list[Route]:
    """∂y_j/∂x_i = γ_j/√(σ² + eps)·(δ_ij − 1/N − x̂_i·x̂_j/N) for the N entries j that share x_i's
    mean and variance: every one of them moves when x_i does"""
    xhat, inv_std = _normalised(layer, around)
    n = len(group)
    gamma = around.params[layer.weight] if layer.weight is not None else None
    out = []
    for to in group:
        g = gamma[to[1]] if gamma is not None else around.nx.one
        delta = around.nx.one if to == at else around.nx.zero
        r, a, b = inv_std[at], xhat[at], xhat[to]
        value = g * r * (delta - around.nx.one / n - a * b / n)
        factor = Factor(
            f"∂{around.output_unit(to)}/∂{around.input_unit(at)}",
            value,
            ("γ" if gamma is not None else "1") + "/√(σ² + eps)·(δ − 1/N − x̂ᵢ·x̂ⱼ/N)",
            "g*r*(d - 1/n - a*b/n)",
            (("g", g), ("r", r), ("d", delta), ("n", n), ("a", a), ("b", b)),
        )
        out.append(Route(to, factor))
    return out


def _normalised_factor(
    layer: BatchNorm | LayerNorm, around: Around, role: str, to: tuple[int, ...]
) -> Factor:
    """∂y/∂weight = x̂ there, ∂y/∂bias = 1"""
    if role == "bias":
        return Factor("1", around.nx.one)
    xhat, inv_std = _normalised(layer, around)
    return Factor(
        f"x̂ of {around.input_unit(to)}",
        xhat[to],
        "(x − μ)/√(σ² + eps)",
        "(x - m)*r",
        (("x", around.x[to]), ("m", around.memo["mean"][to]), ("r", inv_std[to])),
    )


@dataclass(frozen=True)
class BatchNorm(_Normalisation):
    """Training mode, as torch.nn.BatchNorm1d (on [example, feature]) and BatchNorm2d (on
    images, per channel): with the batch's mean μ and biased variance σ² (over the examples,
    and the rows and columns of an image),  x̂ = (x − μ) / √(σ² + eps),  y = weight · x̂ + bias.
    running_mean and running_var move towards μ and the unbiased variance by ``momentum``."""

    momentum: Fraction = dataclasses.field(default=Fraction(1, 10), metadata=SETTING)
    axis_name: ClassVar[str] = "channel"

    class Spec(LayerSpec):
        type: Literal["batchnorm"]
        weight: Vector | None = None
        bias: Vector | None = None
        affine: Flag = True
        eps: Number = Fraction(1, 100000)
        momentum: Number = Fraction(1, 10)
        running_mean: Vector | None = None
        running_var: Vector | None = None

    def check(self, at: Building) -> None:
        super().check(at)
        if not 0 < self.momentum <= 1:
            at.problem(
                "momentum",
                f"momentum must lie in (0, 1], got {short_number(self.momentum)}",
                "torch's default is 0.1 (a cumulative average, momentum None, is not offered)",
            )

    def _channels(self, shape: Shape) -> int:
        if len(shape) not in (1, 3):
            raise ShapeProblem(
                f"batchnorm takes vectors or images, but gets {shape_text(shape)}", "flatten first"
            )
        return shape[0]

    def state_names(self) -> dict[str, str]:
        return {key: f"{self.name}.{key}" for key in ("running_mean", "running_var")}

    def _default_state(self, channels: int) -> Params:
        return {
            f"{self.name}.running_mean": np.full(channels, Fraction(0), dtype=object),
            f"{self.name}.running_var": np.full(channels, Fraction(1), dtype=object),
        }

    def batch_problem(self, rows: int, shape: Shape) -> str:
        values = rows * (int(np.prod(shape[1:])) if len(shape) == 3 else 1)
        if values == 1:
            return (
                f"{self.name} would normalise one value per channel (a batch of {rows}): its "
                "variance is 0, and torch refuses to train batchnorm on it"
            )
        return ""

    def _axes(self, x: Array) -> tuple[int, ...]:
        return (0,) if x.ndim == 2 else (0, 2, 3)

    def _statistics(self, nx: Numerics, x: Array) -> tuple[Array, Array, Array, int]:
        """(x̂, 1/√(σ² + eps) shaped to x, the batch variance σ² (biased), values per channel)"""
        axes = self._axes(x)
        count = int(np.prod([x.shape[a] for a in axes]))
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        variance = (centred * centred).mean(axis=axes, keepdims=True)
        inv_std = 1 / nx.sqrt(variance + nx.scalar(self.eps))
        return centred * inv_std, inv_std, variance, count

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        xhat, _, _, _ = self._statistics(nx, x)
        if self.weight is None or self.bias is None:
            return xhat
        out: Array = xhat * _column(params[self.weight], x.ndim) + _column(
            params[self.bias], x.ndim
        )
        return out

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        """dL/dweight = Σ g·x̂;  dL/dbias = Σ g (over the batch, and rows and columns);
        through the batch statistics, every example's gradient depends on the others:
        dL/dx = (weight / √(σ² + eps)) · (g − mean(g) − x̂ · mean(g · x̂))"""
        xhat, inv_std, _, _ = self._statistics(nx, x)
        axes = self._axes(x)
        grads: Params = {}
        g_hat = grad_y
        if self.weight is not None and self.bias is not None:
            grads[self.weight] = (grad_y * xhat).sum(axis=axes)
            grads[self.bias] = grad_y.sum(axis=axes)
            g_hat = grad_y * _column(params[self.weight], x.ndim)
        mean_g = g_hat.mean(axis=axes, keepdims=True)
        mean_gx = (g_hat * xhat).mean(axis=axes, keepdims=True)
        grad_x: Array = inv_std * (g_hat - mean_g - xhat * mean_gx)
        return grad_x, grads

    def backward_noise(
        self, x: Array, y: Array, grad_y: Array, noise_y: Array, params: Params
    ) -> tuple[Array, Params]:
        """The sums over the batch (Σ g, Σ g·x̂ and the means in dL/dx), their rounding over the
        values per channel, plus what the incoming bounds carry through them."""
        xhat, inv_std, _, count = self._statistics(FLOAT64, x)
        axes, ax = self._axes(x), np.abs(xhat)
        g, e = np.abs(grad_y), noise_y
        bounds: Params = {}
        scale = np.abs(inv_std)
        if self.weight is not None and self.bias is not None:
            bounds[self.weight] = (e * ax).sum(axis=axes) + noise_bound(
                (g * ax).sum(axis=axes), count
            )
            bounds[self.bias] = e.sum(axis=axes) + noise_bound(g.sum(axis=axes), count)
            w = np.abs(_column(params[self.weight], x.ndim))
            g, e = g * w, e * w

        return _through_statistics(scale, ax, e, g, axes, count), bounds

    def notes(
        self, step: LayerStep, flow_in: Array | None, examples: tuple[int, ...]
    ) -> list[LayerNote]:
        if len(examples) < 2:
            return []
        return [
            LayerNote(
                "backward",
                "batch_coupled",
                f"{self.name} normalises with the batch's own mean and variance, so each "
                "example's learning flow depends on every other example of the batch: "
                "dL/dx = weight/√(σ² + eps) · (g − mean(g) − x̂ · mean(g · x̂)).",
            )
        ]

    @staticmethod
    def _channel(shape: tuple[int, ...], c: int) -> list[tuple[int, ...]]:
        """Every entry of channel c: in every example (and every row and column of an image)"""
        if len(shape) == 2:
            return [(e, c) for e in range(shape[0])]
        return [
            (e, c, r, q) for e in range(shape[0]) for r in range(shape[2]) for q in range(shape[3])
        ]

    def local(self, around: Around, at: tuple[int, ...]) -> list[Route]:
        """every entry of the channel shares the batch's mean and variance"""
        return _through_the_statistics(self, around, at, self._channel(around.x.shape, at[1]))

    def param_local(self, around: Around, role: str, index: tuple[int, ...]) -> list[Route]:
        group = self._channel(around.x.shape, index[0])
        return [Route(to, _normalised_factor(self, around, role, to)) for to in group]

    def next_state(self, nx: Numerics, x: Array, state: Params) -> Params:
        """running = (1 − momentum) · running + momentum · statistic, with the unbiased
        variance σ² · n / (n − 1), as torch"""
        _, _, variance, count = self._statistics(nx, x)
        axes = self._axes(x)
        m = nx.scalar(self.momentum)
        names = self.state_names()
        mean = x.mean(axis=axes)
        unbiased = variance.reshape(-1) * (nx.scalar(count) / nx.scalar(count - 1))
        return {
            names["running_mean"]: (1 - m) * state[names["running_mean"]] + m * mean,
            names["running_var"]: (1 - m) * state[names["running_var"]] + m * unbiased,
        }

    def torch_module(self) -> str:
        kind = "BatchNorm2d" if self.images else "BatchNorm1d"
        return (
            f"nn.{kind}({self.features}, eps={float(self.eps)!r}, "
            f"momentum={float(self.momentum)!r}, affine={self.affine})"
        )


# -- layernorm -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerNorm(_Normalisation):
    """As torch.nn.LayerNorm over the features of each example: with its own mean μ and biased
    variance σ²,  x̂ = (x − μ) / √(σ² + eps),  y = weight · x̂ + bias."""

    class Spec(LayerSpec):
        type: Literal["layernorm"]
        weight: Vector | None = None
        bias: Vector | None = None
        affine: Flag = True
        eps: Number = Fraction(1, 100000)

    def _channels(self, shape: Shape) -> int:
        if len(shape) != 1:
            raise ShapeProblem(
                f"layernorm takes a vector per example, but gets {shape_text(shape)}",
                "put a '- type: flatten' layer before it",
            )
        return shape[0]

    def _statistics(self, nx: Numerics, x: Array) -> tuple[Array, Array]:
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        inv_std = 1 / nx.sqrt(
            (centred * centred).mean(axis=-1, keepdims=True) + nx.scalar(self.eps)
        )
        return centred * inv_std, inv_std

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        xhat, _ = self._statistics(nx, x)
        if self.weight is None or self.bias is None:
            return xhat
        out: Array = xhat * params[self.weight] + params[self.bias]
        return out

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        """dL/dweight = Σ over the batch of g·x̂;  dL/dbias = Σ g;  per example, over its
        features: dL/dx = (1/√(σ² + eps)) · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)), ĝ = g · weight"""
        xhat, inv_std = self._statistics(nx, x)
        grads: Params = {}
        g_hat = grad_y
        if self.weight is not None and self.bias is not None:
            grads[self.weight] = (grad_y * xhat).sum(axis=0)
            grads[self.bias] = grad_y.sum(axis=0)
            g_hat = grad_y * params[self.weight]
        mean_g = g_hat.mean(axis=-1, keepdims=True)
        mean_gx = (g_hat * xhat).mean(axis=-1, keepdims=True)
        grad_x: Array = inv_std * (g_hat - mean_g - xhat * mean_gx)
        return grad_x, grads

    def _axes(self, x: Array) -> tuple[int, ...]:
        return (x.ndim - 1,)

    def local(self, around: Around, at: tuple[int, ...]) -> list[Route]:
        """every feature of the example shares its mean and variance"""
        group = [(at[0], j) for j in range(around.x.shape[1])]
        return _through_the_statistics(self, around, at, group)

    def param_local(self, around: Around, role: str, index: tuple[int, ...]) -> list[Route]:
        group = [(e, index[0]) for e in range(around.x.shape[0])]
        return [Route(to, _normalised_factor(self, around, role, to)) for to in group]

    def backward_noise(
        self, x: Array, y: Array, grad_y: Array, noise_y: Array, params: Params
    ) -> tuple[Array, Params]:
        xhat, inv_std = self._statistics(FLOAT64, x)
        ax, g, e = np.abs(xhat), np.abs(grad_y), noise_y
        n, features = int(x.shape[0]), int(x.shape[1])
        bounds: Params = {}
        if self.weight is not None and self.bias is not None:
            bounds[self.weight] = (e * ax).sum(axis=0) + noise_bound((g * ax).sum(axis=0), n)
            bounds[self.bias] = e.sum(axis=0) + noise_bound(g.sum(axis=0), n)
            w = np.abs(params[self.weight])
            g, e = g * w, e * w

        return _through_statistics(np.abs(inv_std), ax, e, g, (-1,), features), bounds

    def torch_module(self) -> str:
        return (
            f"nn.LayerNorm({self.features}, eps={float(self.eps)!r}, "
            f"elementwise_affine={self.affine})"
        )


# -- dropout ---------------------------------------------------------------------------------------


DROPOUT = '''
import numpy as np  # noqa: E402 (dropout's masks are drawn as backprop-trace draws them)

DRAWS = np.random.default_rng(SEED)  # dropout masks, drawn as backprop-trace draws them


class ReplayDropout(nn.Module):
    """Dropout that keeps each unit where the mask is 1 and scales by 1/(1-p): the mask given,
    or drawn at each step (new_step) as backprop-trace draws it, and kept for the verify pass."""

    def __init__(self, p, mask=None):
        super().__init__()
        self.p, self.fixed, self.mask = p, mask, None

    def new_step(self, rows, shape):
        if self.fixed is not None:
            self.mask = torch.tensor(self.fixed).expand(rows, *shape)
        else:
            self.mask = torch.tensor(DRAWS.random((rows, *shape)) >= self.p, dtype=torch.float64)

    def forward(self, x):
        return x * self.mask / (1 - self.p)
'''


@dataclass(frozen=True)
class Dropout(Layer):
    """y = x · mask / (1 − p), the mask 0 (dropped) or 1 (kept): the one given (the same for
    every example and step), or drawn at each step from the scenario's seed — keep where a
    uniform draw is ≥ p — and kept for the verifying pass;  dL/dx = dL/dy · mask / (1 − p)"""

    p: Fraction = dataclasses.field(default=Fraction(1, 2), metadata=SETTING)
    mask: Any = dataclasses.field(default=None, metadata=SETTING)

    class Spec(LayerSpec):
        type: Literal["dropout"]
        p: Number = Fraction(1, 2)
        mask: Input | None = None

    def check(self, at: Building) -> None:
        if not 0 <= self.p < 1:
            at.problem(
                "p",
                f"p must lie in [0, 1), got {short_number(self.p)}",
                "p is the chance a unit is dropped; p = 1 would drop every one",
            )
        if self.mask is not None:
            values = np.array(self.mask, dtype=object)
            if not all(v in (0, 1) for v in values.flat):
                at.problem(
                    "mask", "a mask holds only 0 (dropped) and 1 (kept)", "e.g. mask: [1, 0, 1]"
                )

    def output_shape(self, shape: Shape) -> Shape:
        if self.mask is not None and np.array(self.mask, dtype=object).shape != shape:
            raise ShapeProblem(
                f"the mask is {shape_text(np.array(self.mask, dtype=object).shape)} but one "
                f"example is {shape_text(shape)}",
                "give one 0 or 1 per unit of one example",
                "mask",
            )
        return shape

    def draw(self, rng: np.random.Generator, shape: Shape) -> Params:
        if self.mask is not None:
            fixed = np.array(self.mask, dtype=object)
            return {f"{self.name}.mask": np.broadcast_to(fixed, shape).copy()}
        keep = rng.random(shape) >= float(self.p)
        return {f"{self.name}.mask": keep.astype(np.float64)}

    def blocked(self, x: Array) -> Array | None:
        return None

    def notes(
        self, step: LayerStep, flow_in: Array | None, examples: tuple[int, ...]
    ) -> list[LayerNote]:
        mask = step.drawn["mask"]
        dropped = [
            f"{', '.join(str(int(j)) for j in np.flatnonzero(mask[a].reshape(-1) == 0))}"
            + (f" (example {examples[a]})" if len(examples) > 1 else "")
            for a in range(mask.shape[0])
            if (mask[a] == 0).any()
        ]
        if not dropped:
            return []
        scale = 1 / (1 - self.p)
        return [
            LayerNote(
                "forward",
                "dropped",
                f"{self.name} dropped units {'; '.join(dropped[:6])}"
                + (f" and in {len(dropped) - 6} more examples" if len(dropped) > 6 else "")
                + ": their output is 0 and no gradient flows back through them; the kept ones "
                f"are scaled by 1/(1 − p) = {scale}.",
            )
        ]

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        out: Array = x * params[f"{self.name}.mask"] * nx.scalar(1 / (1 - self.p))
        return out

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        out: Array = grad_y * params[f"{self.name}.mask"] * nx.scalar(1 / (1 - self.p))
        return out, {}

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        kept = around.params[f"{self.name}.mask"][at]
        symbol = f"∂{around.output_unit(at)}/∂{around.input_unit(at)}"
        scale = around.nx.scalar(1 / (1 - self.p))
        if kept:
            return Factor(
                symbol, scale, "kept: 1/(1 − p)", "1/(1 - p)", (("p", around.nx.scalar(self.p)),)
            )
        why = f"the mask dropped {around.input_unit(at)} this step"
        return Factor(symbol, around.nx.zero, "dropped", why=why)

    def torch_definitions(self) -> str:
        return DROPOUT

    def torch_module(self) -> str:
        mask = "" if self.mask is None else f", mask={np.array(self.mask, dtype=float).tolist()!r}"
        return f"ReplayDropout({float(self.p)!r}{mask})"
