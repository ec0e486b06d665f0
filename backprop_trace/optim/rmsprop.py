"""RMSprop, as torch.optim.RMSprop: centred, with momentum, weight decay."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from backprop_trace.chain import Factor, computed
from backprop_trace.numerics import Array, Numerics

from .base import Optimizer, State, _lerp, _scaled


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
        self,
        nx: Numerics,
        p: Array,
        grad: Array,
        state: RMSpropState | None,
        *,
        reuse: bool = False,
    ) -> tuple[Array, RMSpropState]:
        if state is None:  # each its own zeros, as each may be written in place
            state, reuse = (
                RMSpropState(
                    square_avg=nx.zeros(p.shape),
                    grad_avg=nx.zeros(p.shape) if self.centered else None,
                    momentum_buffer=nx.zeros(p.shape) if self.momentum else None,
                ),
                True,
            )
        assert state.square_avg is not None
        alpha = nx.scalar(self.alpha)
        g = grad
        if self.weight_decay:
            g = g + nx.scalar(self.weight_decay) * p
        s = _scaled(state.square_avg, alpha, in_place=reuse)
        s += (1 - alpha) * (g * g)
        grad_avg = None
        if self.centered:
            assert state.grad_avg is not None
            grad_avg = _lerp(state.grad_avg, g, 1 - alpha, into_a=reuse)
            avg = nx.sqrt(s - grad_avg * grad_avg)
        else:
            avg = nx.sqrt(s)
        avg = avg + nx.scalar(self.eps)
        buf = None
        if self.momentum:
            assert state.momentum_buffer is not None
            buf = _scaled(state.momentum_buffer, nx.scalar(self.momentum), in_place=reuse)
            buf += g / avg
            step = nx.scalar(self.lr) * buf
        else:
            step = g / avg
            step *= nx.scalar(self.lr)
        new_p = np.subtract(p, step, out=step)
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
