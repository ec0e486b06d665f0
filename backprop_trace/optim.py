"""Optimizers with torch.optim semantics, defaults and order of operations; state as dataclasses.

Each optimizer updates one parameter tensor: ``update(nx, p, grad, state) -> (new_p, new_state)``.
Hyperparameters are exact Fractions; they become floats only in the float64 backend.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .chain import Factor, computed
from .numerics import Array, Numerics


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


@dataclass(frozen=True)
class Optimizer(ABC):
    lr: Fraction
    kind: ClassVar[str] = ""
    rational: ClassVar[bool] = False
    left_out_first: ClassVar[tuple[str, ...]] = ()  # terms a narrow update table drops first
    torch_name: ClassVar[str] = ""  # its class in torch.optim
    # settings a scenario writes as one list: betas: [beta1, beta2]
    pairs: ClassVar[dict[str, tuple[str, str]]] = {}

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
    def update(self, nx: Numerics, p: Array, grad: Array, state: Any | None) -> tuple[Array, State]:
        """(new parameter, new state) from the gradient and the state before (None at first)."""


def _short(value: Fraction) -> str:
    """1/3 -> 0.333333, 5 -> 5: a number for a message."""
    return str(value) if value.denominator == 1 else f"{float(value):g}"


def _lerp(a: Array, b: Array, weight: Any) -> Array:
    """torch.lerp: a + weight * (b - a), in one new array (the same numbers: the sum is the
    same in either order)"""
    out: Array = b - a
    out *= weight
    out += a
    return out


@dataclass(frozen=True)
class SGDState(State):
    momentum_buffer: Array | None = None


@dataclass(frozen=True)
class SGD(Optimizer):
    """g = grad + wd p;  buf = g (first step) or mu buf + (1 - dampening) g;
    g = g + mu buf (nesterov) or buf;  p = p - lr g"""

    lr: Fraction = Fraction(1, 1000)
    momentum: Fraction = Fraction(0)
    dampening: Fraction = Fraction(0)
    nesterov: bool = False
    weight_decay: Fraction = Fraction(0)
    kind: ClassVar[str] = "sgd"
    torch_name: ClassVar[str] = "SGD"
    rational: ClassVar[bool] = True

    def update(
        self, nx: Numerics, p: Array, grad: Array, state: SGDState | None
    ) -> tuple[Array, SGDState]:
        g = grad
        if self.weight_decay:
            g = g + nx.scalar(self.weight_decay) * p
        buf = None
        if self.momentum:
            mu = nx.scalar(self.momentum)
            if state is None or state.momentum_buffer is None:
                buf = g.copy()
            else:
                buf = state.momentum_buffer * mu + nx.scalar(1 - self.dampening) * g
            g = g + mu * buf if self.nesterov else buf
        return p - nx.scalar(self.lr) * g, SGDState(momentum_buffer=buf)

    def problems(self) -> list[tuple[tuple[str | int, ...], str, str]]:
        out = super().problems()
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            out.append(
                (
                    ("nesterov",),
                    "nesterov needs momentum > 0 and dampening 0",
                    "as torch.optim.SGD requires",
                )
            )
        return out

    def explain(self, p: Any, grad: Any, before: Any | None, after: Any) -> list[Factor]:
        g, lines = self._gradient(p, grad)
        if not self.momentum:
            lines.append(computed("new", "p − lr·g", "p - lr*g", p=p, lr=self.lr, g=g))
            return lines
        mu = self.momentum
        if before is None or before.momentum_buffer is None:
            buf = computed("buffer", "g (the first step)", "g", g=g)
        else:
            buf = computed(
                "buffer",
                "momentum·buffer + (1 − dampening)·g",
                "mu*b + (1 - d)*g",
                mu=mu,
                b=before.momentum_buffer,
                d=self.dampening,
                g=g,
            )
        lines.append(buf)
        if self.nesterov:
            lines.append(computed("d", "g + momentum·buffer", "g + mu*b", g=g, mu=mu, b=buf.value))
            step = lines[-1].value
        else:
            step = buf.value
        lines.append(
            computed(
                "new",
                "p − lr·d" if self.nesterov else "p − lr·buffer",
                "p - lr*d",
                p=p,
                lr=self.lr,
                d=step,
            )
        )
        return lines

    def rule(self) -> str:
        if not self.momentum:
            text = "step = lr · g"
        else:
            text = "buffer = g on step 1, then momentum·buffer + (1 − dampening)·g;  step = lr · "
            text += "(g + momentum·buffer)" if self.nesterov else "buffer"
        return ("g = grad + wd × p;  " if self.weight_decay else "") + text

    def terms(self, nx: Numerics, p: Array, grad: Array, state: SGDState) -> dict[str, Array]:
        out = self._decay(nx, p)
        if state.momentum_buffer is not None:
            out["buffer"] = state.momentum_buffer
        return out


@dataclass(frozen=True)
class AdamState(State):
    step: int = 0
    exp_avg: Array | None = None
    exp_avg_sq: Array | None = None
    max_exp_avg_sq: Array | None = None


@dataclass(frozen=True)
class Adam(Optimizer):
    """m = lerp(m, g, 1 - b1);  v = b2 v + (1 - b2) g^2;
    p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps);
    weight decay adds wd p to g (Adam) or first scales p by 1 - lr wd (AdamW)"""

    lr: Fraction = Fraction(1, 1000)
    beta1: Fraction = Fraction(9, 10)
    beta2: Fraction = Fraction(999, 1000)
    eps: Fraction = Fraction(1, 10**8)
    weight_decay: Fraction = Fraction(0)
    amsgrad: bool = False
    kind: ClassVar[str] = "adam"
    torch_name: ClassVar[str] = "Adam"
    pairs: ClassVar[dict[str, tuple[str, str]]] = {"betas": ("beta1", "beta2")}
    decoupled: ClassVar[bool] = False
    left_out_first: ClassVar[tuple[str, ...]] = ("m", "v")  # the step is made of m̂ and v̂

    def update(
        self, nx: Numerics, p: Array, grad: Array, state: AdamState | None
    ) -> tuple[Array, AdamState]:
        state = state or AdamState(exp_avg=nx.zeros(p.shape), exp_avg_sq=nx.zeros(p.shape))
        assert state.exp_avg is not None and state.exp_avg_sq is not None
        lr, b1, b2 = nx.scalar(self.lr), nx.scalar(self.beta1), nx.scalar(self.beta2)
        step = state.step + 1
        g = grad
        if self.weight_decay:
            if self.decoupled:
                p = p * (1 - lr * nx.scalar(self.weight_decay))
            else:
                g = g + nx.scalar(self.weight_decay) * p
        m = _lerp(state.exp_avg, g, 1 - b1)
        squares = g * g
        squares *= 1 - b2
        v = state.exp_avg_sq * b2
        v += squares
        step_size = lr / (1 - b1**step)
        bias_correction2_sqrt = (1 - b2**step) ** 0.5
        v_max = None
        if self.amsgrad:
            v_max = v if state.max_exp_avg_sq is None else np.maximum(state.max_exp_avg_sq, v)
        # denom = sqrt(v) / sqrt(1 - b2^t) + eps, then m / denom, scaled: in place, new arrays
        denom = nx.sqrt(v if v_max is None else v_max)
        denom /= bias_correction2_sqrt
        denom += nx.scalar(self.eps)
        ratio = np.divide(m, denom, out=denom)
        ratio *= step_size
        new_p = p - ratio
        return new_p, AdamState(step=step, exp_avg=m, exp_avg_sq=v, max_exp_avg_sq=v_max)

    def terms(self, nx: Numerics, p: Array, grad: Array, state: AdamState) -> dict[str, Array]:
        """m, v; the bias-corrected m̂ = m / (1 - b1^t), v̂ = v / (1 - b2^t) (AMSGrad: of the
        running maximum of v); weight decay as its own term (AdamW: lr wd p, taken first)."""
        assert state.exp_avg is not None and state.exp_avg_sq is not None
        out = self._decay(nx, p)
        if self.decoupled and out:
            out = {"lr × wd × p": nx.scalar(self.lr) * out["wd × p"]}
        t = state.step
        v = state.max_exp_avg_sq if state.max_exp_avg_sq is not None else state.exp_avg_sq
        out["m"] = state.exp_avg
        out["v"] = state.exp_avg_sq
        out["m̂"] = state.exp_avg / (1 - nx.scalar(self.beta1) ** t)
        out["v̂"] = v / (1 - nx.scalar(self.beta2) ** t)
        return out

    def explain(self, p: Any, grad: Any, before: Any | None, after: Any) -> list[Factor]:
        g, lines = self._gradient(p, grad)
        lr, b1, b2, t = self.lr, self.beta1, self.beta2, after.step
        if self.weight_decay and self.decoupled:
            lines.append(
                computed(
                    "p", "p·(1 − lr·wd), first", "p*(1 - lr*wd)", p=p, lr=lr, wd=self.weight_decay
                )
            )
            p = lines[-1].value
        m0 = before.exp_avg if before is not None else 0 * g
        v0 = before.exp_avg_sq if before is not None else 0 * g
        m = computed("m", "β1·m + (1 − β1)·g", "b1*m + (1 - b1)*g", b1=b1, m=m0, g=g)
        v = computed("v", "β2·v + (1 − β2)·g²", "b2*v + (1 - b2)*g**2", b2=b2, v=v0, g=g)
        lines += [m, v]
        v_used = v.value
        if self.amsgrad:
            earlier = before.max_exp_avg_sq if before is not None else None
            if earlier is not None:
                lines.append(computed("v max", "max(v max, v)", "max(a, v)", a=earlier, v=v.value))
                v_used = lines[-1].value
        m_hat = computed("m̂", "m / (1 − β1^t)", "m/(1 - b1**t)", m=m.value, b1=b1, t=t)
        v_hat = computed(
            "v̂",
            ("v max" if self.amsgrad else "v") + " / (1 − β2^t)",
            "v/(1 - b2**t)",
            v=v_used,
            b2=b2,
            t=t,
        )
        lines += [m_hat, v_hat]
        lines.append(
            computed(
                "new",
                "p − lr·m̂ / (√v̂ + eps)",
                "p - lr*m/(sqrt(v) + eps)",
                p=p,
                lr=lr,
                m=m_hat.value,
                v=v_hat.value,
                eps=self.eps,
            )
        )
        return lines

    def rule(self) -> str:
        text = (
            "m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  m̂ = m / (1 − β1^t);  "
            "v̂ = v / (1 − β2^t);  step = lr · m̂ / (√v̂ + eps)"
        )
        if self.amsgrad:
            text += ", with v̂ from the largest v so far (AMSGrad)"
        if self.weight_decay and self.decoupled:
            text = "p shrinks by lr × wd × p first;  " + text
        elif self.weight_decay:
            text = "g = grad + wd × p;  " + text
        return text


@dataclass(frozen=True)
class AdamW(Adam):
    weight_decay: Fraction = Fraction(1, 100)
    kind: ClassVar[str] = "adamw"
    torch_name: ClassVar[str] = "AdamW"
    decoupled: ClassVar[bool] = True


@dataclass(frozen=True)
class RMSpropState(State):
    step: int = 0
    square_avg: Array | None = None
    grad_avg: Array | None = None
    momentum_buffer: Array | None = None


@dataclass(frozen=True)
class RMSprop(Optimizer):
    """s = alpha s + (1 - alpha) g^2;  avg = sqrt(s - gbar^2) (centered) or sqrt(s), plus eps;
    buf = mu buf + g / avg and p = p - lr buf (momentum), else p = p - lr g / avg"""

    lr: Fraction = Fraction(1, 100)
    alpha: Fraction = Fraction(99, 100)
    eps: Fraction = Fraction(1, 10**8)
    weight_decay: Fraction = Fraction(0)
    momentum: Fraction = Fraction(0)
    centered: bool = False
    kind: ClassVar[str] = "rmsprop"
    torch_name: ClassVar[str] = "RMSprop"

    def update(
        self, nx: Numerics, p: Array, grad: Array, state: RMSpropState | None
    ) -> tuple[Array, RMSpropState]:
        zeros = nx.zeros(p.shape)
        state = state or RMSpropState(
            square_avg=zeros,
            grad_avg=zeros if self.centered else None,
            momentum_buffer=zeros if self.momentum else None,
        )
        assert state.square_avg is not None
        alpha = nx.scalar(self.alpha)
        g = grad
        if self.weight_decay:
            g = g + nx.scalar(self.weight_decay) * p
        s = state.square_avg * alpha + (1 - alpha) * (g * g)
        grad_avg = None
        if self.centered:
            assert state.grad_avg is not None
            grad_avg = _lerp(state.grad_avg, g, 1 - alpha)
            avg = nx.sqrt(s - grad_avg * grad_avg)
        else:
            avg = nx.sqrt(s)
        avg = avg + nx.scalar(self.eps)
        buf = None
        if self.momentum:
            assert state.momentum_buffer is not None
            buf = state.momentum_buffer * nx.scalar(self.momentum) + g / avg
            new_p = p - nx.scalar(self.lr) * buf
        else:
            new_p = p - nx.scalar(self.lr) * (g / avg)
        return new_p, RMSpropState(
            step=state.step + 1, square_avg=s, grad_avg=grad_avg, momentum_buffer=buf
        )

    def explain(self, p: Any, grad: Any, before: Any | None, after: Any) -> list[Factor]:
        g, lines = self._gradient(p, grad)
        a = self.alpha
        s0 = before.square_avg if before is not None else 0 * g
        s = computed(
            "square avg", "α·square avg + (1 − α)·g²", "a*s + (1 - a)*g**2", a=a, s=s0, g=g
        )
        lines.append(s)
        if self.centered:
            a0 = before.grad_avg if before is not None else 0 * g
            avg = computed("grad avg", "α·grad avg + (1 − α)·g", "a*m + (1 - a)*g", a=a, m=a0, g=g)
            lines.append(avg)
            d = computed(
                "d",
                "√(square avg − grad avg²) + eps",
                "sqrt(s - m**2) + eps",
                s=s.value,
                m=avg.value,
                eps=self.eps,
            )
        else:
            d = computed("d", "√(square avg) + eps", "sqrt(s) + eps", s=s.value, eps=self.eps)
        lines.append(d)
        if self.momentum:
            b0 = before.momentum_buffer if before is not None else 0 * g
            buf = computed(
                "buffer",
                "momentum·buffer + g/d",
                "mu*b + g/d",
                mu=self.momentum,
                b=b0,
                g=g,
                d=d.value,
            )
            lines += [
                buf,
                computed("new", "p − lr·buffer", "p - lr*b", p=p, lr=self.lr, b=buf.value),
            ]
        else:
            lines.append(
                computed("new", "p − lr·g/d", "p - lr*g/d", p=p, lr=self.lr, g=g, d=d.value)
            )
        return lines

    def rule(self) -> str:
        text = "square avg = α·s + (1 − α)·g²;  "
        if self.centered:
            text += "grad avg = α·a + (1 − α)·g;  d = √(square avg − grad avg²) + eps;  "
        else:
            text += "d = √(square avg) + eps;  "
        text += (
            "buffer = momentum·buffer + g/d;  step = lr · buffer"
            if self.momentum
            else ("step = lr · g / d")
        )
        return ("g = grad + wd × p;  " if self.weight_decay else "") + text

    def terms(self, nx: Numerics, p: Array, grad: Array, state: RMSpropState) -> dict[str, Array]:
        out = self._decay(nx, p)
        assert state.square_avg is not None
        out["square avg"] = state.square_avg
        if state.grad_avg is not None:
            out["grad avg"] = state.grad_avg
        if state.momentum_buffer is not None:
            out["buffer"] = state.momentum_buffer
        return out


@dataclass(frozen=True)
class AdagradState(State):
    step: int = 0
    sum: Array | None = None


@dataclass(frozen=True)
class Adagrad(Optimizer):
    """clr = lr / (1 + (t - 1) lr_decay);  sum = sum + g^2;  p = p - clr g / (sqrt(sum) + eps)"""

    lr: Fraction = Fraction(1, 100)
    lr_decay: Fraction = Fraction(0)
    weight_decay: Fraction = Fraction(0)
    initial_accumulator_value: Fraction = Fraction(0)
    eps: Fraction = Fraction(1, 10**10)
    kind: ClassVar[str] = "adagrad"
    torch_name: ClassVar[str] = "Adagrad"

    def update(
        self, nx: Numerics, p: Array, grad: Array, state: AdagradState | None
    ) -> tuple[Array, AdagradState]:
        if state is None:
            start = nx.zeros(p.shape) + nx.scalar(self.initial_accumulator_value)
            state = AdagradState(sum=start)
        assert state.sum is not None
        step = state.step + 1
        g = grad
        if self.weight_decay:
            g = g + nx.scalar(self.weight_decay) * p
        clr = nx.scalar(self.lr) / (1 + (step - 1) * nx.scalar(self.lr_decay))
        total = state.sum + g * g
        std = nx.sqrt(total) + nx.scalar(self.eps)
        return p - clr * (g / std), AdagradState(step=step, sum=total)

    def explain(self, p: Any, grad: Any, before: Any | None, after: Any) -> list[Factor]:
        g, lines = self._gradient(p, grad)
        t = after.step
        clr = computed(
            "lr_t",
            "lr / (1 + (t − 1)·lr_decay)",
            "lr/(1 + (t - 1)*k)",
            lr=self.lr,
            t=t,
            k=self.lr_decay,
        )
        start = before.sum if before is not None else self.initial_accumulator_value + 0 * g
        total = computed("sum", "sum + g²", "s + g**2", s=start, g=g)
        lines += [clr, total]
        lines.append(
            computed(
                "new",
                "p − lr_t·g / (√sum + eps)",
                "p - c*g/(sqrt(s) + eps)",
                p=p,
                c=clr.value,
                g=g,
                s=total.value,
                eps=self.eps,
            )
        )
        return lines

    def rule(self) -> str:
        text = (
            "sum = sum + g²;  step = lr_t · g / (√sum + eps),  lr_t = lr / (1 + (t − 1)·lr_decay)"
        )
        return ("g = grad + wd × p;  " if self.weight_decay else "") + text

    def terms(self, nx: Numerics, p: Array, grad: Array, state: AdagradState) -> dict[str, Array]:
        out = self._decay(nx, p)
        assert state.sum is not None
        out["sum of g²"] = state.sum
        return out


OPTIMIZER_TYPES: dict[str, type[Optimizer]] = {
    cls.kind: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad)
}
