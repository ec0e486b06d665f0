"""What every optimizer is (Optimizer, State) and the helpers they share.

Optimizers have torch.optim semantics, defaults and order of operations; state as dataclasses.

Each optimizer updates one parameter tensor: ``update(nx, p, grad, state) -> (new_p, new_state)``.
Hyperparameters are exact Fractions; they become floats only in the float64 backend. States are
values, never changed after the update that made them, except where the engine says an update may
write into the arrays of the state it is given (``reuse``: no trace holds them).
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from backprop_trace.chain import Factor, computed
from backprop_trace.numerics import Array, Numerics


@dataclass(frozen=True)
class State:
    """Per-parameter optimizer state after an update."""

    def arrays(self) -> dict[str, Array]:
        """The state's tensors by name (those that exist)."""
        out: dict[str, Array] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                out[f.name] = value
        return out


DEFINED: dict[str, type[Optimizer]] = {}  # kind -> class, as the optimizers' modules are imported


@dataclass(frozen=True)
class Optimizer(ABC):
    """An optimizer: registered by being defined, under its kind (optim.OPTIMIZER_TYPES)."""

    lr: Fraction
    kind: ClassVar[str] = ""
    rational: ClassVar[bool] = False
    left_out_first: ClassVar[tuple[str, ...]] = ()  # terms a narrow update table drops first
    torch_name: ClassVar[str] = ""  # its class in torch.optim
    # settings a scenario writes as one list: betas: [beta1, beta2]
    pairs: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            if cls.kind in DEFINED:
                raise TypeError(f"two optimizers are called {cls.kind!r}")
            DEFINED[cls.kind] = cls

    def problems(self) -> list[tuple[tuple[str | int, ...], str, str]]:
        """Settings torch.optim refuses, as (key path under optimizer, message, hint): every
        rate, coefficient and epsilon is non-negative; each of a pair (betas) lies in [0, 1)."""
        out: list[tuple[tuple[str | int, ...], str, str]] = []
        paired = {
            name: (key, i) for key, names in self.pairs.items() for i, name in enumerate(names)
        }
        for name, value in self.hyperparameters().items():
            if isinstance(value, bool):
                continue
            if name in paired:
                key, i = paired[name]
                if not 0 <= value < 1:
                    out.append(
                        (
                            (key, i),
                            f"{key}[{i}] must lie in [0, 1), got {_short(value)}",
                            "e.g. betas: [0.9, 0.999]",
                        )
                    )
            elif value < 0:
                out.append(
                    (
                        (name,),
                        f"{name} must not be negative, got {_short(value)}",
                        "torch.optim refuses negative values here",
                    )
                )
        return out

    def hyperparameters(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def terms(self, nx: Numerics, p: Array, grad: Array, state: Any) -> dict[str, Array]:
        """What the update was made of, for the update table: label -> values after the step,
        in the order the rule computes them."""
        return {}

    @abstractmethod
    def explain(self, p: Any, grad: Any, before: Any | None, after: Any) -> list[Factor]:
        """The update of one entry with this step's numbers, line by line in the order the rule
        computes them, ending in the new value: ``p`` and ``grad`` that entry's value and
        gradient, ``before`` and ``after`` its optimizer state (a State of scalars, None
        before the first step)."""

    def _gradient(self, p: Any, grad: Any) -> tuple[Any, list[Factor]]:
        """g with weight decay added to the gradient (torch's weight_decay), as a line"""
        wd = getattr(self, "weight_decay", 0)
        if not wd or getattr(self, "decoupled", False):
            return grad, []
        line = computed("g", "grad + wd·p", "grad + wd*p", grad=grad, wd=wd, p=p)
        return line.value, [line]

    @abstractmethod
    def rule(self) -> str:
        """The update rule in words and symbols, with the options in force."""

    def _decay(self, nx: Numerics, p: Array) -> dict[str, Array]:
        wd = getattr(self, "weight_decay", 0)
        return {"wd × p": nx.scalar(wd) * p} if wd else {}

    @abstractmethod
    def update(
        self, nx: Numerics, p: Array, grad: Array, state: Any | None, *, reuse: bool = False
    ) -> tuple[Array, State]:
        """(new parameter, new state) from the gradient and the state before (None at first).
        ``reuse``: the arrays of ``state`` are this call's alone (the engine passes it for a step
        no trace keeps), so the new state may be written into them; the numbers are the same
        either way. Writing in place moves less memory, which is most of a large tensor's
        update. ``p`` is never written."""


def _short(value: Fraction) -> str:
    """1/3 -> 0.333333, 5 -> 5: a number for a message."""
    return str(value) if value.denominator == 1 else f"{float(value):g}"


def _lerp(a: Array, b: Array, weight: Any, *, into_a: bool = False) -> Array:
    """torch.lerp: a + weight * (b - a), in one new array, or written into ``a`` (the same
    numbers: the sum is the same in either order)"""
    out: Array = b - a
    out *= weight
    if into_a:
        a += out
        return a
    out += a
    return out


def _scaled(a: Array, factor: Any, *, in_place: bool) -> Array:
    """a * factor, in a new array or written into ``a``"""
    if in_place:
        a *= factor
        return a
    out: Array = a * factor
    return out
