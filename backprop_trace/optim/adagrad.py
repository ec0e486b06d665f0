"""Adagrad, as torch.optim.Adagrad: learning-rate decay, initial accumulator, weight decay."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from backprop_trace.chain import Factor, computed
from backprop_trace.numerics import Array, Numerics

from .base import Optimizer, State


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
        self,
        nx: Numerics,
        p: Array,
        grad: Array,
        state: AdagradState | None,
        *,
        reuse: bool = False,
    ) -> tuple[Array, AdagradState]:
        if state is None:
            start = nx.zeros(p.shape) + nx.scalar(self.initial_accumulator_value)
            state, reuse = AdagradState(sum=start), True
        assert state.sum is not None
        step = state.step + 1
        g = grad
        if self.weight_decay:
            g = g + nx.scalar(self.weight_decay) * p
        clr = nx.scalar(self.lr) / (1 + (step - 1) * nx.scalar(self.lr_decay))
        total = np.add(state.sum, g * g, out=state.sum if reuse else None)
        std = nx.sqrt(total)
        std += nx.scalar(self.eps)
        change = np.divide(g, std, out=std)
        change *= clr
        return np.subtract(p, change, out=change), AdagradState(step=step, sum=total)

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
