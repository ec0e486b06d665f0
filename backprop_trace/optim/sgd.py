"""SGD, as torch.optim.SGD: momentum, dampening, Nesterov, weight decay."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from backprop_trace.chain import Factor, computed
from backprop_trace.numerics import Array, Numerics

from .base import Optimizer, State, _scaled


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
        self, nx: Numerics, p: Array, grad: Array, state: SGDState | None, *, reuse: bool = False
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
                buf = _scaled(state.momentum_buffer, mu, in_place=reuse)
                buf += nx.scalar(1 - self.dampening) * g
            g = g + mu * buf if self.nesterov else buf
        step = nx.scalar(self.lr) * g
        return np.subtract(p, step, out=step), SGDState(momentum_buffer=buf)

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
