"""Adam and AdamW, as torch.optim.Adam and AdamW: bias-corrected moments, AMSGrad, weight decay
coupled (Adam) or decoupled (AdamW)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from backprop_trace.chain import Factor, computed
from backprop_trace.numerics import Array, Numerics

from .base import Optimizer, State, _lerp, _scaled


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
        self, nx: Numerics, p: Array, grad: Array, state: AdamState | None, *, reuse: bool = False
    ) -> tuple[Array, AdamState]:
        if state is None:
            state, reuse = AdamState(exp_avg=nx.zeros(p.shape), exp_avg_sq=nx.zeros(p.shape)), True
        assert state.exp_avg is not None and state.exp_avg_sq is not None
        lr, b1, b2 = nx.scalar(self.lr), nx.scalar(self.beta1), nx.scalar(self.beta2)
        step = state.step + 1
        g = grad
        if self.weight_decay:
            if self.decoupled:
                p = p * (1 - lr * nx.scalar(self.weight_decay))
            else:
                g = g + nx.scalar(self.weight_decay) * p
        m = _lerp(state.exp_avg, g, 1 - b1, into_a=reuse)
        squares = g * g
        squares *= 1 - b2
        v = _scaled(state.exp_avg_sq, b2, in_place=reuse)
        v += squares
        del squares  # its memory is the next new array's
        step_size = lr / (1 - b1**step)
        bias_correction2_sqrt = (1 - b2**step) ** 0.5
        v_max = None
        if self.amsgrad:  # its own array from the first step: v may be written in place later
            earlier = state.max_exp_avg_sq
            v_max = (
                v.copy()
                if earlier is None
                else np.maximum(earlier, v, out=earlier if reuse else None)
            )
        # denom = sqrt(v) / sqrt(1 - b2^t) + eps, m / denom, scaled, and p minus that: each in
        # the one new array
        denom = nx.sqrt(v if v_max is None else v_max)
        denom /= bias_correction2_sqrt
        denom += nx.scalar(self.eps)
        ratio = np.divide(m, denom, out=denom)
        ratio *= step_size
        new_p = np.subtract(p, ratio, out=ratio)
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
