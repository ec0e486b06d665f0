"""Layers on images, [example][channel][height][width]: conv2d, max and average pooling, flatten.

All are rational: exact arithmetic carries through them. Windows are gathered with index arrays
(im2col), so the same code serves exact Fractions (object arrays) and float64.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from backprop_trace.chain import Factor, Route
from backprop_trace.numerics import Array, Numerics, noise_bound
from backprop_trace.spec_types import (
    Bias,
    FileRef,
    InitName,
    KernelOrFile,
    Number,
    PaddingPair,
    PositiveCount,
    SizePair,
)
from backprop_trace.wording import plural

from .base import (
    PARAMETER,
    Around,
    Building,
    Built,
    Layer,
    LayerNote,
    LayerSpec,
    Marked,
    Params,
    Shape,
    ShapeProblem,
    TableData,
    shape_text,
)
from .linear import MAX_UNITS, initialise, input_factor, written_bias, written_weight

Pair = tuple[int, int]

if TYPE_CHECKING:
    from backprop_trace.trace import LayerStep


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """floor((size + 2·padding − kernel) / stride) + 1, as torch computes it"""
    return (size + 2 * padding - kernel) // stride + 1


def windows(height: int, width: int, kernel: Pair, stride: Pair) -> tuple[Array, Array, int, int]:
    """Row and column indices of every window's entries: rows [OH, 1, KH, 1] and columns
    [1, OW, 1, KW], which broadcast to [OH, OW, KH, KW]."""
    oh = (height - kernel[0]) // stride[0] + 1
    ow = (width - kernel[1]) // stride[1] + 1
    rows = (np.arange(oh) * stride[0])[:, None, None, None] + np.arange(kernel[0])[
        None, None, :, None
    ]
    cols = (np.arange(ow) * stride[1])[None, :, None, None] + np.arange(kernel[1])[
        None, None, None, :
    ]
    return rows, cols, oh, ow


def pad(nx: Numerics, x: Array, padding: Pair) -> Array:
    """x with ``padding`` rows and columns of zeros on each side of every map"""
    if padding == (0, 0):
        return x
    n, c, h, w = x.shape
    out = nx.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]))
    out[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w] = x
    return out


def unpad(x: Array, padding: Pair) -> Array:
    h, w = x.shape[2] - 2 * padding[0], x.shape[3] - 2 * padding[1]
    return x[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w]


def scatter(nx: Numerics, shape: tuple[int, ...], rows: Array, cols: Array, values: Array) -> Array:
    """The adjoint of gathering windows: each window entry's value added back where it came
    from. values: [N, C, OH, OW, KH, KW]."""
    out = nx.zeros(shape)
    r = np.broadcast_to(rows, values.shape[2:])
    c = np.broadcast_to(cols, values.shape[2:])
    for i in np.ndindex(*values.shape[2:]):  # windows overlap: add one window entry at a time
        window: tuple[Any, ...] = (slice(None), slice(None), *i)  # Python 3.10: not in []
        out[:, :, r[i], c[i]] += values[window]
    return out


# -- conv2d ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conv2d(Layer):
    """y[n, o] = b[o] + Σ_c Σ_kh Σ_kw w[o, c, kh, kw] · x[n, c, s·i + kh − p, s·j + kw − p]
    (cross-correlation, zero padding, as torch.nn.Conv2d). weight [out][in][kh][kw], bias [out];
    parameters <name>.weight and <name>.bias (conv2d1.weight when the layer has no name)."""

    same_shape: ClassVar[bool] = False

    weight: str = dataclasses.field(default="weight", metadata=PARAMETER)
    bias: str | None = dataclasses.field(default=None, metadata=PARAMETER)
    in_channels: int = 1
    out_channels: int = 1
    kernel_size: Pair = (1, 1)
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)

    class Spec(LayerSpec):
        """Explicit weight [out][in][kh][kw] (and bias), written out or in .npy files, or
        in_channels, out_channels, kernel_size and an init (fan-in in·kh·kw, as torch)."""

        type: Literal["conv2d"]
        weight: KernelOrFile | None = None
        bias: Bias = None
        in_channels: PositiveCount | None = None
        out_channels: PositiveCount | None = None
        kernel_size: SizePair | None = None
        stride: SizePair = (1, 1)
        padding: PaddingPair = (0, 0)
        init: InitName | None = None
        std: Number | None = None

    def options(self) -> dict[str, object]:
        return {"stride": list(self.stride), "padding": list(self.padding)}

    @classmethod
    def build(cls, spec: Conv2d.Spec, at: Building) -> Built | None:
        how = ""
        if spec.weight is not None:
            if spec.init is not None:
                at.problem(
                    "init", "give either weight or init, not both", "remove init", at_key=True
                )
            written = written_weight(spec.weight, at, 4)
            if written is None:
                return None
            weight, how = written
            out_c, in_c, kh, kw = (int(d) for d in weight.shape)
            for key, given, actual in (
                ("in_channels", spec.in_channels, in_c),
                ("out_channels", spec.out_channels, out_c),
                ("kernel_size", spec.kernel_size, (kh, kw)),
            ):
                if given is not None and given != actual:
                    at.problem(
                        key,
                        f"{key} does not match the weight, which has {actual}",
                        "remove it or make them agree",
                    )
            default_bias: Array = np.full(out_c, Fraction(0), dtype=object)
            wants_bias = spec.bias is True
        else:
            missing = [
                k
                for k in ("in_channels", "out_channels", "kernel_size")
                if getattr(spec, k) is None
            ]
            if missing:
                at.problem(
                    None,
                    f"a conv2d layer needs weight, or in_channels, out_channels and kernel_size "
                    f"(missing: {', '.join(missing)})",
                    "e.g. {type: conv2d, in_channels: 1, out_channels: 2, kernel_size: 3}",
                )
                return None
            assert spec.in_channels and spec.out_channels and spec.kernel_size
            out_c, in_c, (kh, kw) = spec.out_channels, spec.in_channels, spec.kernel_size
            init = spec.init or "torch"
            weight, default_bias = initialise(
                init,
                (out_c, in_c, kh, kw),
                in_c * kh * kw,
                at.builder.rng,
                spec.std,
                out_c * kh * kw,
            )
            how = "" if init == "zeros" else f"initialised randomly ({init})"
            wants_bias = spec.bias is not False
        values: dict[str, Array] = {at.param("weight"): weight}
        bias = written_bias(spec.bias, out_c, at, "output channel")
        if bias is not None:
            values[at.param("bias")] = bias
        elif wants_bias:
            values[at.param("bias")] = default_bias
        layer = cls(
            name=at.name,
            weight=at.param("weight"),
            bias=at.param("bias") if at.param("bias") in values else None,
            in_channels=in_c,
            out_channels=out_c,
            kernel_size=(kh, kw),
            stride=spec.stride,
            padding=spec.padding,
        )
        return Built(layer, values, how)

    @staticmethod
    def parameter_count(spec: Conv2d.Spec, weight_shape: Shape | None) -> int | None:
        if weight_shape is not None:
            if len(weight_shape) != 4:
                return None
            out_c, in_c, kh, kw = weight_shape
        elif spec.weight is not None and not isinstance(spec.weight, FileRef):
            w = spec.weight
            out_c, in_c, kh, kw = len(w), len(w[0]), len(w[0][0]), len(w[0][0][0])
        elif spec.in_channels and spec.out_channels and spec.kernel_size:
            sizes = (spec.in_channels, spec.out_channels, *spec.kernel_size)
            if any(not 1 <= n <= MAX_UNITS for n in sizes):
                return None
            in_c, out_c, kh, kw = sizes
        else:
            return None
        return out_c * in_c * kh * kw + out_c

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 3:
            raise ShapeProblem(
                "a conv2d layer takes images [channel][height][width], but gets "
                + shape_text(shape),
                "give the data as images, or use a linear layer",
            )
        c, h, w = shape
        if c != self.in_channels:
            raise ShapeProblem(
                f"this layer takes {plural(self.in_channels, 'channel')} but gets {c}",
                "the weight's second axis counts the input channels",
                "weight",
            )
        return (self.out_channels, *_pooled_size(self.kernel_size, self.stride, self.padding, h, w))

    def work_size(self, shape: Shape) -> int:
        """The windows gathered (in·kh·kw numbers at each output position) and the output"""
        c, oh, ow = self.output_shape(shape)
        return oh * ow * (self.in_channels * self.kernel_size[0] * self.kernel_size[1] + c)

    def _patches(self, nx: Numerics, x: Array) -> tuple[Array, Array, Array, int, int]:
        xp = pad(nx, x, self.padding)
        rows, cols, oh, ow = windows(xp.shape[2], xp.shape[3], self.kernel_size, self.stride)
        patches = xp[:, :, rows, cols]  # [N, C, OH, OW, KH, KW]
        n = x.shape[0]
        matrix = patches.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, -1)
        return matrix, rows, cols, oh, ow

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        matrix, _, _, oh, ow = self._patches(nx, x)
        kernel = params[self.weight].reshape(self.out_channels, -1)
        y: Array = (matrix @ kernel.T).reshape(x.shape[0], oh, ow, -1).transpose(0, 3, 1, 2)
        if self.bias is not None:
            y = y + params[self.bias][None, :, None, None]
        return y

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        """dL/dw[o, c, kh, kw] = Σ_n Σ_ij g[n, o, i, j] · x_padded[n, c, s·i + kh, s·j + kw];
        dL/db[o] = Σ_n Σ_ij g[n, o, i, j];  dL/dx: each g[n, o, i, j] · w[o] added back onto
        the window it came from (the padding dropped)"""
        matrix, rows, cols, oh, ow = self._patches(nx, x)
        n = x.shape[0]
        g = grad_y.transpose(0, 2, 3, 1).reshape(n * oh * ow, self.out_channels)
        grads: Params = {self.weight: (g.T @ matrix).reshape(params[self.weight].shape)}
        if self.bias is not None:
            grads[self.bias] = grad_y.sum(axis=(0, 2, 3))
        if not need_x:
            return grad_y, grads
        return self._back_to_input(nx, x, g, params[self.weight], rows, cols, oh, ow), grads

    def _back_to_input(
        self,
        nx: Numerics,
        x: Array,
        g: Array,
        weight: Array,
        rows: Array,
        cols: Array,
        oh: int,
        ow: int,
    ) -> Array:
        n, c = x.shape[0], x.shape[1]
        kh, kw = self.kernel_size
        columns = (g @ weight.reshape(self.out_channels, -1)).reshape(n, oh, ow, c, kh, kw)
        padded = (n, c, x.shape[2] + 2 * self.padding[0], x.shape[3] + 2 * self.padding[1])
        return unpad(
            scatter(nx, padded, rows, cols, columns.transpose(0, 3, 1, 2, 4, 5)), self.padding
        )

    def backward_noise(
        self, x: Array, y: Array, grad_y: Array, noise_y: Array, params: Params
    ) -> tuple[Array, Params]:
        """Each result is a sum: dL/dw over the batch and positions, dL/db the same, dL/dx over
        the output channels and the windows that cover it; bound = own rounding + carried."""
        from backprop_trace.numerics import FLOAT64

        ax, aw = np.abs(x), np.abs(params[self.weight])
        matrix, rows, cols, oh, ow = self._patches(FLOAT64, ax)
        n = x.shape[0]
        positions = n * oh * ow
        g = np.abs(grad_y).transpose(0, 2, 3, 1).reshape(positions, self.out_channels)
        e = noise_y.transpose(0, 2, 3, 1).reshape(positions, self.out_channels)
        shape = params[self.weight].shape
        bounds: Params = {
            self.weight: (e.T @ matrix).reshape(shape)
            + noise_bound((g.T @ matrix).reshape(shape), positions)
        }
        if self.bias is not None:
            bounds[self.bias] = noise_y.sum(axis=(0, 2, 3)) + noise_bound(
                np.abs(grad_y).sum(axis=(0, 2, 3)), positions
            )
        carried = self._back_to_input(FLOAT64, ax, e, aw, rows, cols, oh, ow)
        scale = self._back_to_input(FLOAT64, ax, g, aw, rows, cols, oh, ow)
        terms = self.out_channels * self.kernel_size[0] * self.kernel_size[1]
        return carried + noise_bound(scale, terms), bounds

    def input_rounding(self, x: Array, params: Params) -> tuple[Array, int] | None:
        absolute = {self.weight: np.abs(params[self.weight])}
        if self.bias is not None:
            absolute[self.bias] = np.abs(params[self.bias])
        from backprop_trace.numerics import FLOAT64

        scale = self.forward(FLOAT64, np.abs(x), absolute)
        return scale, self.in_channels * self.kernel_size[0] * self.kernel_size[1] + 1

    def _positions(self, around: Around) -> tuple[int, int]:
        return int(around.y.shape[2]), int(around.y.shape[3])

    def local(self, around: Around, at: tuple[int, ...]) -> list[Route]:
        """∂y[o, i, j]/∂x[c, r, q] = w[o, c, kh, kw] for every output position whose window
        holds x[c, r, q] (at kernel entry kh, kw) and every output channel o"""
        e, c, r, q = at
        oh, ow = self._positions(around)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        w = around.params[self.weight]
        out = []
        for o in range(self.out_channels):
            for a in range(kh):
                for b in range(kw):
                    i, i_rest = divmod(r + ph - a, sh)
                    j, j_rest = divmod(q + pw - b, sw)
                    if i_rest or j_rest or not (0 <= i < oh and 0 <= j < ow):
                        continue
                    factor = Factor(around.entry(self.weight, (o, c, a, b)), w[o, c, a, b])
                    out.append(Route((e, o, i, j), factor))
        return out

    def param_local(self, around: Around, role: str, index: tuple[int, ...]) -> list[Route]:
        """∂y[n, o, i, j]/∂w[o, c, kh, kw] = x[n, c, s·i + kh − p, s·j + kw − p] (0 in the
        padding);  ∂y[n, o, i, j]/∂b[o] = 1, at every position of every example"""
        oh, ow = self._positions(around)
        n = int(around.x.shape[0])
        if role == "bias":
            one = Factor("1", around.nx.one)
            return [
                Route((e, index[0], i, j), one)
                for e in range(n)
                for i in range(oh)
                for j in range(ow)
            ]
        o, c, a, b = index
        (sh, sw), (ph, pw) = self.stride, self.padding
        height, width = int(around.x.shape[2]), int(around.x.shape[3])
        out = []
        for e in range(n):
            for i in range(oh):
                for j in range(ow):
                    r, q = i * sh + a - ph, j * sw + b - pw
                    if 0 <= r < height and 0 <= q < width:
                        factor = input_factor(around, (e, c, r, q))
                    else:
                        factor = Factor(
                            "0 (padding)",
                            around.nx.zero,
                            why="the window reaches into the zero padding",
                        )
                    out.append(Route((e, o, i, j), factor))
        return out

    def torch_module(self) -> str:
        return (
            f"nn.Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None})"
        )


def _pooled_size(kernel: Pair, stride: Pair, padding: Pair, h: int, w: int) -> tuple[int, int]:
    oh = out_size(h, kernel[0], stride[0], padding[0])
    ow = out_size(w, kernel[1], stride[1], padding[1])
    if oh < 1 or ow < 1:
        raise ShapeProblem(
            f"a {kernel[0]}×{kernel[1]} window does not fit a {h}×{w} map"
            + (f" padded by {padding[0]}×{padding[1]}" if padding != (0, 0) else ""),
            "use a smaller kernel_size, or more padding",
            "kernel_size",
        )
    return oh, ow


# -- pooling ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pool(Layer):
    same_shape: ClassVar[bool] = False
    kernel_size: Pair = (2, 2)
    stride: Pair = (2, 2)

    @classmethod
    def build(cls, spec: MaxPool2d.Spec, at: Building) -> Built | None:
        return Built(
            cls(name=at.name, kernel_size=spec.kernel_size, stride=spec.stride or spec.kernel_size)
        )

    def options(self) -> dict[str, object]:
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride)}

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 3:
            raise ShapeProblem(
                f"a {self.kind} layer takes images [channel][height][width], but gets "
                f"{shape_text(shape)}",
                "pool before flattening",
            )
        return (shape[0], *_pooled_size(self.kernel_size, self.stride, (0, 0), shape[1], shape[2]))

    def work_size(self, shape: Shape) -> int:
        c, oh, ow = self.output_shape(shape)
        return c * oh * ow * (self.kernel_size[0] * self.kernel_size[1] + 1)

    def _windows(self, x: Array) -> tuple[Array, Array, Array]:
        """Each window's entries in row-major order: [N, C, OH, OW, KH·KW], and the indices."""
        rows, cols, _oh, _ow = windows(x.shape[2], x.shape[3], self.kernel_size, self.stride)
        patches = x[:, :, rows, cols]
        return patches.reshape(*patches.shape[:4], -1), rows, cols


def _covering(pool: _Pool, around: Around, at: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """The windows (i, j) that hold input entry at = (e, c, r, q), with the entry's place k in
    each window (row-major)."""
    _e, _c, r, q = at
    (kh, kw), (sh, sw) = pool.kernel_size, pool.stride
    oh, ow = int(around.y.shape[2]), int(around.y.shape[3])
    out = []
    for i in range(oh):
        for j in range(ow):
            a, b = r - i * sh, q - j * sw
            if 0 <= a < kh and 0 <= b < kw:
                out.append((i, j, a * kw + b))
    return out


@dataclass(frozen=True)
class MaxPool2d(_Pool):
    """y[n, c, i, j] = the largest entry of its window; its gradient goes to that entry alone,
    to the first in row-major order when several tie (as PyTorch on CPU): a tie is a kink."""

    class Spec(LayerSpec):
        type: Literal["maxpool2d"]
        kernel_size: SizePair
        stride: SizePair | None = None

    has_kink: ClassVar[bool] = True

    def _winners(self, x: Array) -> tuple[Array, Array, Array, Array]:
        flat, rows, cols = self._windows(x)
        if flat.dtype == object:  # argmax of Fractions: the first largest, as for floats
            best = np.max(flat, axis=-1, keepdims=True)
            first = np.argmax(flat == best, axis=-1)
        else:
            first = np.argmax(flat, axis=-1)
        return flat, first, rows, cols

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        flat, first, _, _ = self._winners(x)
        out: Array = np.take_along_axis(flat, first[..., None], axis=-1)[..., 0]
        return out

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        """dL/dx = dL/dy at each window's winner, 0 elsewhere (summed where windows overlap)"""
        flat, first, rows, cols = self._winners(x)
        spread = nx.zeros(flat.shape)
        np.put_along_axis(spread, first[..., None], grad_y[..., None], axis=-1)
        kh, kw = self.kernel_size
        return scatter(nx, x.shape, rows, cols, spread.reshape(*flat.shape[:4], kh, kw)), {}

    def local(self, around: Around, at: tuple[int, ...]) -> list[Route]:
        """∂y[i, j]/∂x = 1 for the input that won window [i][j], 0 for the others"""
        if "first" not in around.memo:
            around.memo["first"] = self._winners(around.x)[1]
            around.memo["ties"] = self.kinks(around.x)
        first, ties = around.memo["first"], around.memo["ties"]
        e, c = at[0], at[1]
        kw = self.kernel_size[1]
        out = []
        for i, j, k in _covering(self, around, at):
            to = (e, c, i, j)
            symbol = f"∂{around.output_unit(to)}/∂{around.input_unit(at)}"
            won = int(first[to])
            if won == k:
                why = f"window [{c}][{i}][{j}] ties: " + self.kink_convention() if ties[to] else ""
                factor = Factor(symbol, around.nx.one, "it won the window", why=why)
            else:
                r = i * self.stride[0] + won // kw
                q = j * self.stride[1] + won % kw
                why = f"window [{c}][{i}][{j}] was won by {around.input_unit((e, c, r, q))}"
                if ties[to]:
                    why += " (a tie: " + self.kink_convention().rstrip(".") + ")"
                factor = Factor(symbol, around.nx.zero, "another input won", why=why)
            out.append(Route(to, factor))
        return out

    def kink_sides(self, x: Array) -> Array:
        return self._winners(x)[1]

    def kinks(self, x: Array) -> Array:
        """The windows whose largest value appears more than once (a tie)"""
        flat, first, _, _ = self._winners(x)
        best = np.take_along_axis(flat, first[..., None], axis=-1)
        out: Array = (flat == best).sum(axis=-1) > 1
        return out

    def near_kinks(self, x: Array, bound: Array) -> Array:
        """float64: windows whose two largest inputs differ, but by no more than rounding could
        have moved them (which of them won was decided by rounding)"""
        flat, first, rows, cols = self._winners(x)
        best = np.take_along_axis(flat, first[..., None], axis=-1)
        bounds = np.broadcast_to(bound, x.shape)[:, :, rows, cols].reshape(flat.shape)
        close = (flat != best) & (
            best - flat <= bounds + np.take_along_axis(bounds, first[..., None], axis=-1)
        )
        out: Array = close.any(axis=-1)
        return out

    def kink_phrase(self, at: tuple[int, ...]) -> str:
        return "window " + "".join(f"[{i}]" for i in at) + " has its largest input twice or more"

    def kink_convention(self) -> str:
        return (
            "the gradient goes to the first of the tied entries in row-major order, as "
            "PyTorch on CPU."
        )

    def notes(
        self, step: LayerStep, flow_in: Array | None, examples: tuple[int, ...]
    ) -> list[LayerNote]:
        """Ties (one note for the layer), and that only each window's winner gets a gradient."""
        out = []
        ties = self.kinks(step.input)
        if ties.any():
            where = []
            for a in range(ties.shape[0]):
                windows = ["".join(f"[{i}]" for i in ix) for ix in np.argwhere(ties[a])]
                if windows:
                    label = f"example {examples[a]}: " if len(examples) > 1 else ""
                    where.append(
                        label
                        + ", ".join(windows[:6])
                        + (f" and {len(windows) - 6} more" if len(windows) > 6 else "")
                    )
            out.append(
                LayerNote(
                    "forward",
                    "tie",
                    f"{self.name}: {plural(int(ties.sum()), 'window')} "
                    f"{'has its' if ties.sum() == 1 else 'have their'} largest input twice or "
                    f"more ({'; '.join(where)}): the gradient goes to the first of the tied inputs "
                    "in row-major order, as PyTorch on CPU.",
                )
            )
        if step.near_kink:
            out.append(
                LayerNote(
                    "forward",
                    "near_tie",
                    f"{self.name}: in {plural(len(step.near_kink), 'window')} the two largest "
                    "inputs differ by no more than float64's rounding of the sums that made them, "
                    "so which of them won (and gets the gradient) was decided by rounding.",
                )
            )
        winners = self._won(step.input)
        losers = int((~winners[0]).sum())
        if losers:
            per = int(np.prod(step.input.shape[1:]))
            out.append(
                LayerNote(
                    "backward",
                    "pool_losers",
                    f"{self.name} passes each window's gradient to its largest input only: "
                    f"{losers} of the {per} inputs"
                    + (" of the first example" if len(examples) > 1 else "")
                    + " win no window, so their learning flow is 0.",
                )
            )
        return out

    def _won(self, x: Array) -> Array:
        """Which inputs win at least one window: a boolean array like x."""
        _flat, first, rows, cols = self._winners(x)
        won = np.zeros(x.shape, dtype=bool)
        _kh, kw = self.kernel_size
        for ix in np.ndindex(*first.shape):
            k = int(first[ix])
            won[ix[0], ix[1], int(rows[ix[2], 0, k // kw, 0]), int(cols[0, ix[3], 0, k % kw])] = (
                True
            )
        return won

    def forward_tables(self, step: LayerStep) -> list[TableData]:
        """Which input won each window, for the first example."""
        _flat, first, rows, cols = self._winners(step.input)
        _kh, kw = self.kernel_size
        ties = self.kinks(step.input)
        out_rows = []
        for c, i, j in np.ndindex(*first.shape[1:]):
            k = int(first[0, c, i, j])
            r, col = int(rows[i, 0, k // kw, 0]), int(cols[0, j, 0, k % kw])
            value = step.input[0, c, r, col]
            tie = "tie: first in row-major order" if ties[0, c, i, j] else ""
            out_rows.append(
                (
                    f"[{c}][{i}][{j}]",
                    f"[{c}][{r}][{col}]",
                    Marked(value, "kink" if tie else ""),
                    tie,
                )
            )
        title = f"{self.name}: which input won each window" + (
            " (first example)" if step.input.shape[0] > 1 else ""
        )
        return [TableData(title, ("Output", "Winner (input)", "Value", ""), tuple(out_rows))]

    def torch_module(self) -> str:
        return f"nn.MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride})"


@dataclass(frozen=True)
class AvgPool2d(_Pool):
    """y[n, c, i, j] = the mean of its window;  dL/dx: each window's gradient shared equally
    among its kh·kw entries"""

    class Spec(LayerSpec):
        type: Literal["avgpool2d"]
        kernel_size: SizePair
        stride: SizePair | None = None

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        flat, _, _ = self._windows(x)
        out: Array = flat.sum(axis=-1) / (self.kernel_size[0] * self.kernel_size[1])
        return out

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        kh, kw = self.kernel_size
        _, rows, cols = self._windows(x)
        share = grad_y / (kh * kw)
        spread = np.broadcast_to(share[..., None, None], (*grad_y.shape, kh, kw))
        return scatter(nx, x.shape, rows, cols, spread), {}

    def local(self, around: Around, at: tuple[int, ...]) -> list[Route]:
        """∂y[i, j]/∂x = 1/(kh·kw) for each window [i][j] that holds x"""
        kh, kw = self.kernel_size
        share = around.nx.one / (kh * kw)
        e, c = at[0], at[1]
        return [
            Route(
                (e, c, i, j),
                Factor(
                    f"∂{around.output_unit((e, c, i, j))}/∂{around.input_unit(at)}",
                    share,
                    "1/(kh·kw)",
                    "1/n",
                    (("n", kh * kw),),
                ),
            )
            for i, j, _k in _covering(self, around, at)
        ]

    def backward_noise(
        self, x: Array, y: Array, grad_y: Array, noise_y: Array, params: Params
    ) -> tuple[Array, Params]:
        """overlapping windows add up: a sum over at most kh·kw windows"""
        from backprop_trace.numerics import FLOAT64

        carried, _ = self.backward(FLOAT64, x, y, noise_y, params)
        scale, _ = self.backward(FLOAT64, x, y, np.abs(grad_y), params)
        return carried + noise_bound(scale, self.kernel_size[0] * self.kernel_size[1]), {}

    def torch_module(self) -> str:
        return f"nn.AvgPool2d(kernel_size={self.kernel_size}, stride={self.stride})"


@dataclass(frozen=True)
class Flatten(Layer):
    """[c][h][w] -> c·h·w in row-major order (torch.flatten(x, 1));  dL/dx: dL/dy reshaped"""

    same_shape: ClassVar[bool] = False

    class Spec(LayerSpec):
        type: Literal["flatten"]

    def output_shape(self, shape: Shape) -> Shape:
        return (int(np.prod(shape)),)

    def forward(self, nx: Numerics, x: Array, params: Params) -> Array:
        return x.reshape(x.shape[0], -1)

    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        return grad_y.reshape(x.shape), {}

    def local(self, around: Around, at: tuple[int, ...]) -> list[Route]:
        """x[c][h][w] is output entry c·H·W + h·W + w (row-major): a derivative of 1"""
        to = (at[0], int(np.ravel_multi_index(at[1:], around.x.shape[1:])))
        symbol = f"∂{around.output_unit(to)}/∂{around.input_unit(at)}"
        return [Route(to, Factor(symbol, around.nx.one, "the same number, renamed"))]

    def backward_noise(
        self, x: Array, y: Array, grad_y: Array, noise_y: Array, params: Params
    ) -> tuple[Array, Params]:
        return noise_y.reshape(x.shape), {}

    def torch_module(self) -> str:
        return "nn.Flatten()"
