"""What every layer kind is: one class that declares its scenario spec, how it is built, its
shapes, forward and backward (the math in the docstrings), exactness, its PyTorch module and its
saved form. Everything else reads the registry (``layers.LAYER_TYPES``), which finds a kind's
module by its name (``layers.KIND_MODULES``) and imports it when the kind is first asked for.

Arrays are batches: [example, ...one example's shape]. Linear weights are held in the in_out
layout (weight[i][j] joins input i to unit j; y = x @ W + b) whatever the scenario's layout.
"""

from __future__ import annotations

import dataclasses
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
from pydantic import create_model

from backprop_trace.chain import Factor, Route
from backprop_trace.errors import Path
from backprop_trace.numerics import FLOAT64, Array, Numerics
from backprop_trace.spec_types import FileRef, Spec, Text

if typing.TYPE_CHECKING:
    from backprop_trace.trace import LayerStep

Params = dict[str, Array]
Shape = tuple[int, ...]  # one example's shape: (features,) or (channels, height, width)

OPTION = "option"  # dataclass field metadata: a setting of the kind that a scenario writes
SETTING = {OPTION: True}  # field(default=..., metadata=SETTING): written under its own name
PARAM = "param"  # field metadata: the field holds the name of a parameter; its role is the field
PARAMETER = {PARAM: True}


class LayerSpec(Spec):
    """What every layer's entry in a scenario may hold besides its kind's own keys. A kind's
    model narrows type to Literal[its kind]."""

    type: str
    name: Text | None = None


class Builder(Protocol):
    """What building a layer may use of the scenario being loaded."""

    layout: str  # in_out | out_in: how linear weights are written

    @property
    def rng(self) -> np.random.Generator:
        """For init: one generator, seeded by the scenario, drawn from in layer order."""

    def problem(self, path: Path, message: str, hint: str = "", *, key: bool = False) -> None:
        """Report a problem located at ``path`` (key=True: at the key rather than its value)."""

    def read_tensor(self, ref: FileRef, path: Path, ndim: int) -> Array | None:
        """A tensor of ``ndim`` dimensions from a .npy file beside the scenario, in float64;
        None (with the problem reported) when it cannot be read."""


@dataclass(frozen=True)
class Building:
    """Where a layer stands in the scenario being loaded: what its build is given."""

    builder: Builder
    index: int  # its position in layers, from 0
    name: str  # its name: given, or the kind and its count (relu2)
    count: int  # its number among the layers of its kind, from 1
    named: bool  # the scenario gave the name

    @property
    def path(self) -> Path:
        return ("layers", self.index)

    def problem(
        self, key: str | None, message: str, hint: str = "", *, at_key: bool = False
    ) -> None:
        """A problem with the layer (key None) or one of its keys."""
        self.builder.problem(
            self.path if key is None else (*self.path, key), message, hint, key=at_key
        )

    def param(self, role: str) -> str:
        """The name of the layer's parameter with this role: <layer name>.<role>."""
        return f"{self.name}.{role}"


@dataclass(frozen=True)
class Built:
    """A built layer, its initial parameters by name (in the engine's layout, in order), and how
    they came in float64 ('' when written out exactly or zeros; else 'read from W.npy', ...)."""

    layer: Layer
    params: dict[str, Array] = dataclasses.field(default_factory=dict)
    float_reason: str = ""
    state: dict[str, Array] = dataclasses.field(default_factory=dict)  # buffers: running stats


@dataclass(frozen=True)
class Marked:
    """A number in a kind's table with what it means: tone 'blocked', 'kink' or 'other side' (as
    Layer.mark), or 'quiet' (nothing to see)."""

    value: Any
    tone: str = ""


Cell = Any  # text (str), a number (Fraction or float) the renderer formats, or Marked


@dataclass(frozen=True)
class TableData:
    """A table a kind gives for its layer, as plain data: render/ lays it out (and formats the
    numbers in the run's style); nothing here knows about the terminal."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class LayerNote:
    """A kind's note on its layer: the phase it belongs to, its kind (insights.NOTE_KINDS) and
    its text."""

    phase: str
    kind: str
    text: str


@dataclass(frozen=True)
class Around:
    """What a kind's local-derivative hooks are handed about its layer in one step: its input
    x and output y (whole batches), the parameters and buffers it read, and how entries are
    named as the tables name them (``entry``: a parameter's entry, in the scenario's layout;
    ``unit``: an entry of the layer's input or output, 'sigmoid1[0]', 'x[2]')."""

    nx: Numerics
    x: Array
    y: Array
    params: Params
    entry: Callable[[str, tuple[int, ...]], str]
    input_unit: Callable[[tuple[int, ...]], str]
    output_unit: Callable[[tuple[int, ...]], str]
    memo: dict[str, Any] = dataclasses.field(default_factory=dict)  # a kind's own, per step


class ShapeProblem(Exception):
    """An input shape the layer cannot take: the message and hint, located at ``key``."""

    def __init__(self, message: str, hint: str = "", key: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint, self.key = message, hint, key


def shape_text(shape: Shape) -> str:
    """(4,) -> '4 numbers'; (1, 8, 8) -> 'a 1×8×8 tensor'."""
    if len(shape) == 1:
        return f"{shape[0]} number" + ("" if shape[0] == 1 else "s")
    return "a " + "×".join(str(n) for n in shape) + " tensor"


DEFINED: dict[str, type[Layer]] = {}  # kind -> class, as the kinds' modules are imported


@dataclass(frozen=True)
class Layer(ABC):
    """A step of the network. ``name`` is how traces and messages call it.

    A kind declares ``Spec`` (its scenario entry: a LayerSpec with ``type: Literal[kind]``; the
    kind's name is read from it), and is registered by being defined."""

    name: str
    kind: ClassVar[str] = ""
    Spec: ClassVar[type[LayerSpec]] = LayerSpec
    rational: ClassVar[bool] = True  # exact arithmetic possible
    has_kink: ClassVar[bool] = False  # relu-like: the derivative jumps at 0
    activation: ClassVar[bool] = False  # offered by `new` as the hidden layers' activation
    same_shape: ClassVar[bool] = True  # its output has its input's shape (acts entry-wise)
    gives_probabilities: ClassVar[bool] = False  # every output in [0, 1] (what bce takes)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("Spec") is None:
            return  # an abstract helper class, not a kind
        annotation = cls.Spec.model_fields["type"].annotation
        (cls.kind,) = typing.get_args(annotation)
        # named after the kind (ReLUSpec), as the JSON Schema and messages call it
        cls.Spec = create_model(f"{cls.__name__}Spec", __base__=cls.Spec, __doc__=cls.Spec.__doc__)
        if cls.kind in DEFINED:
            raise TypeError(f"two layer kinds are called {cls.kind!r}")
        DEFINED[cls.kind] = cls

    # -- the scenario's side ----------------------------------------------------------------------

    @classmethod
    def build(cls, spec: Any, at: Building) -> Built | None:
        """The layer from its validated spec; None when it cannot be built (problems reported).
        By default: the kind's settings (fields marked SETTING) taken from the spec's keys of
        the same names, then ``check``."""
        layer = cls(name=at.name, **{key: getattr(spec, key) for key in cls.option_names()})
        layer.check(at)
        return Built(layer)

    def check(self, at: Building) -> None:  # noqa: B027 (most kinds take any setting)
        """Report settings out of their range (as torch refuses them)."""

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get(OPTION))

    def options(self) -> dict[str, Any]:
        """The kind's own settings, as a scenario writes them (grad_at_zero, slope): its fields
        marked ``option``. --save writes every one back, so none is dropped on the way."""
        return {key: getattr(self, key) for key in self.option_names()}

    def roles(self) -> dict[str, str]:
        """The layer's parameters by role (weight, bias): the keys a scenario writes them under."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.metadata.get(PARAM) and getattr(self, f.name) is not None
        }

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.roles().values())

    # -- state: buffers carried from step to step, and drawn for each step ---------------------

    def sized(self, shape: Shape, at: Building) -> Built | None:
        """The layer once its input shape is known, when its parameters' sizes come from it (a
        batchnorm's features): its parameters and state, None when nothing changes."""
        return None

    def state_names(self) -> dict[str, str]:
        """The buffers the layer carries from step to step (batchnorm's running statistics):
        their key in the scenario and the trace (running_mean) -> name (bn1.running_mean)."""
        return {}

    def next_state(self, nx: Numerics, x: Array, state: Params) -> Params:
        """The carried buffers after a training step whose input to this layer was x."""
        return {}

    def draw(self, rng: np.random.Generator, shape: Shape) -> Params:
        """Buffers drawn afresh for each step (a dropout mask), for a batch of ``shape``
        [rows, ...]: by name; the verifying pass reuses them."""
        return {}

    def work_size(self, shape: Shape) -> int:
        """How many numbers the layer's forward and backward hold per example, for an input of
        ``shape`` (its output, or a convolution's windows): checked before any is allocated."""
        return int(np.prod(self.output_shape(shape)))

    def batch_problem(self, rows: int, shape: Shape) -> str:
        """What is wrong with a batch of ``rows`` examples of ``shape`` for this layer ('')."""
        return ""

    # -- shapes -----------------------------------------------------------------------------------

    def input_shape(self) -> Shape | None:
        """The shape of one example this layer requires, when it fixes one (a linear layer's
        in_features); None when it takes what comes."""
        return None

    def input_mismatch(self, shape: Shape, layout: str) -> ShapeProblem:
        """What to say when the layer before gives ``shape``, not the input_shape() it fixes."""
        return ShapeProblem(
            f"this layer takes {shape_text(self.input_shape() or ())} per example but the layer "
            f"before it gives {shape_text(shape)}",
            "make the sizes agree",
        )

    def output_shape(self, shape: Shape) -> Shape:
        """One example's output shape from its input shape (raise ShapeProblem if it cannot
        take it). By default the layer acts entry by entry."""
        return shape

    # -- the math ---------------------------------------------------------------------------------

    @abstractmethod
    def forward(self, nx: Numerics, x: Array, params: Params) -> Array: ...

    @abstractmethod
    def backward(
        self, nx: Numerics, x: Array, y: Array, grad_y: Array, params: Params, need_x: bool = True
    ) -> tuple[Array, Params]:
        """(dLoss/dx, {parameter: dLoss/dparameter}) from dLoss/dy."""

    @staticmethod
    def parameter_count(spec: Any, weight_shape: Shape | None) -> int | None:
        """How many parameters the spec asks for, counted before any is allocated (None:
        unknown until built). ``weight_shape``: its weight file's array shape, if it names one."""
        return 0

    def backward_noise(
        self, x: Array, y: Array, grad_y: Array, noise_y: Array, params: Params
    ) -> tuple[Array, Params]:
        """float64: how far from its true value the rounding of sums can have put each result of
        ``backward``, given that bound for dLoss/dy (numerics.noise_bound): (bound of dLoss/dx,
        {parameter: bound of its gradient}). Here, for a layer that acts entry by entry: its
        derivative is linear in dLoss/dy, so the bound is |f'| times that of dLoss/dy."""
        return np.abs(self.backward(FLOAT64, x, y, noise_y, params)[0]), {}

    def input_rounding(self, x: Array, params: Params) -> tuple[Array, int] | None:
        """float64: each output entry is a sum of this many terms whose magnitudes add up to
        this scale (for the rounding bound of the next layer's input: numerics.noise_bound);
        None when the output is not such a sum (then a few ulps of the value itself)."""
        return None

    # -- how each number came to be (explain) ----------------------------------------------------

    def local(self, around: Around, at: tuple[int, ...]) -> list[Route]:
        """How dL/dx[at] (``at`` with the example first) is made from dL/dy: the entries of y
        that x[at] feeds, each with ∂y/∂x[at] and its formula. By default, for a kind that
        acts entry by entry: the one path to y[at], its factor from ``derivative``."""
        return [Route(at, self.derivative(around, at))]

    def derivative(self, around: Around, at: tuple[int, ...]) -> Factor:
        """f′ at the input entry x[at], for a kind that acts entry by entry, with its rule in
        symbols and as arithmetic on its operands."""
        raise NotImplementedError(f"{self.kind} does not say its derivative")

    def param_local(self, around: Around, role: str, index: tuple[int, ...]) -> list[Route]:
        """How dL/dθ for the entry ``index`` (the engine's layout) of the parameter with this
        role is made from dL/dy: every entry of y it moves (example first), with ∂y/∂θ."""
        return []

    # -- what the tables say ----------------------------------------------------------------------

    def blocked(self, x: Array) -> Array | None:
        """Where an input of this layer passes no gradient at all (a dead relu unit): a boolean
        array like x; None for a kind that never blocks."""
        return None

    def forward_tables(self, step: LayerStep) -> list[TableData]:
        """Tables of the kind's own for the forward pass, after the stage's (which window's
        input won a max-pool); none by default."""
        return []

    def backward_tables(self, step: LayerStep) -> list[TableData]:
        """Tables of the kind's own for the backward pass, after its learning flow."""
        return []

    @property
    def kinked(self) -> bool:
        """Whether the derivative jumps at 0 (relu-like), for these settings."""
        return self.has_kink

    def kinks(self, x: Array) -> Array:
        """Where the layer's input sits exactly on a kink: a boolean array (like x for a
        relu-like layer: x == 0; like the output for max-pooling: a tied window)."""
        out: Array = x == 0
        return out

    def near_kinks(self, x: Array, bound: Array) -> Array:
        """float64: inputs within ``bound`` (rounding) of a kink but not on it, like kinks()."""
        out: Array = (x != 0) & (np.abs(x) <= bound)
        return out

    def kink_sides(self, x: Array) -> Array:
        """What a small change of an input must leave alone for the derivative to hold (which
        side of 0 each input is on; which entry wins each window): the gradient check compares
        these before and after its perturbation."""
        out: Array = x > 0
        return out

    def kink_phrase(self, at: tuple[int, ...]) -> str:
        """What sits on the kink at ``at`` (an input's index without the example), as a note
        says it after the layer's name."""
        unit = f"unit {at[0]}" if len(at) == 1 else "entry " + "".join(f"[{i}]" for i in at)
        return f"{unit}'s pre-activation is exactly 0"

    def kink_convention(self) -> str:
        """What derivative the layer takes at exactly its kink, as a note says it."""
        return "its derivative there is taken from one side."

    def notes(
        self, step: LayerStep, flow_in: Array | None, examples: tuple[int, ...]
    ) -> list[LayerNote]:
        """What the kind has to say about its layer in this step, as facts of these numbers:
        ``flow_in`` is dL/d(its input) (None for the first layer), ``examples`` the batch's
        rows. Each note's kind is in insights.NOTE_KINDS, and a property test checks it."""
        return []

    def mark(self, x: Any) -> tuple[str, str]:
        """What the forward table says beside one input entry of this layer (a pre-activation):
        (words, tone), the tone one of 'blocked' (passes no gradient), 'kink' (exactly at a
        kink), 'other side' (on the other branch of the function); ('', '') for nothing."""
        return "", ""

    # -- PyTorch ----------------------------------------------------------------------------------

    @abstractmethod
    def torch_module(self) -> str:
        """The torch.nn module doing what this layer does, as Python source (nn.Tanh())."""

    def torch_definitions(self) -> str:
        """Code an exported script needs before the model (a module class of its own); ''."""
        return ""

    def torch_value(self, role: str, value: Array) -> Array:
        """A parameter in torch's layout, from the engine's."""
        return value
