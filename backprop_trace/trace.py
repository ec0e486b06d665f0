"""The trace: what one run did to every number, as frozen plain data. Rendered elsewhere.

Arrays hold exact Fractions (exact numerics) or float64, and are in the scenario's layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .numerics import Array, Mode

if TYPE_CHECKING:
    from .gradcheck import GradientCheck
    from .scenario import Scenario


@dataclass(frozen=True)
class ParamStep:
    """One parameter tensor in one step: before, gradient, after, and the optimizer's state."""

    name: str
    layer: str
    trainable: bool
    old: Array
    grad: Array | None  # None when frozen (requires_grad=False), as in PyTorch
    new: Array
    state: dict[str, Array] = field(default_factory=dict)  # torch.optim's names
    terms: dict[str, Array] = field(default_factory=dict)  # for the update table, by label
    # float64: the rounding bound of each gradient entry (a sum over the batch, of learning flows
    # that are sums themselves), so that a gradient within it shows as 0; None in exact numerics
    grad_noise: Array | None = None
    # the optimizer's state for this tensor before and after the step (a State, in the
    # engine's layout; None before the first step), for explain
    optimizer_before: Any = None
    optimizer_after: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.old.shape)


@dataclass(frozen=True)
class LayerStep:
    """One layer in one step: what went in, what came out, and the learning flow dLoss/doutput."""

    name: str
    kind: str
    input: Array  # [example, unit]: for an activation, the pre-activation
    output: Array
    grad_output: Array
    params: tuple[str, ...] = ()
    # where the input sits exactly on a kink (a relu-like input at 0: [example, unit]; a
    # max-pool window whose largest value ties: [example, channel, row, column] of the output)
    at_kink: tuple[tuple[int, ...], ...] = ()
    near_kink: tuple[tuple[int, ...], ...] = ()  # float64: within rounding distance of a kink
    # float64: the rounding bound of each entry of the learning flow (sums over the units of the
    # layers after it), so that a flow within it shows as 0; None in exact numerics
    grad_output_noise: Array | None = None
    state: dict[str, Array] = field(default_factory=dict)  # carried buffers after the step
    drawn: dict[str, Array] = field(default_factory=dict)  # this step's own (mask)


@dataclass(frozen=True)
class StepTrace:
    """One training step, phase by phase: forward, loss, backward, update, verify."""

    step: int
    examples: tuple[int, ...]  # which examples (rows of the data, from 0) formed the batch
    inputs: Array
    targets: Array
    outputs_before: Array
    outputs_after: Array
    loss_before: Any  # Fraction or float
    loss_after: Any
    loss_terms: Array  # each output's share of loss_before
    layers: tuple[LayerStep, ...]
    params: tuple[ParamStep, ...]
    probabilities: Array | None = None  # cross-entropy: softmax of the outputs (logits)
    probabilities_after: Array | None = None
    check: GradientCheck | None = None  # --check: central differences beside the gradients

    def param(self, name: str) -> ParamStep:
        return next(p for p in self.params if p.name == name)


@dataclass(frozen=True)
class Divergence:
    """The first place a run produced NaN or infinity."""

    step: int
    phase: str  # forward | loss | backward | update | verify
    where: str  # e.g. "linear2 output, example 0, unit 3" or "W1[0][2]"
    value: float


@dataclass(frozen=True)
class Trace:
    """A whole run: the scenario, the numerics used, the steps kept in full, and every loss."""

    scenario: Scenario
    numerics: Mode
    numerics_reason: str
    steps: tuple[StepTrace, ...]
    losses_before: tuple[Any, ...]  # loss before the update, every step run (Fraction or float)
    losses_after: tuple[Any, ...]  # None where a step not shown skipped the verifying pass
    total_steps: int
    final_params: dict[str, Array] = field(default_factory=dict)  # in the scenario's layout
    final_state: dict[str, Array] = field(default_factory=dict)  # the layers' carried buffers
    diverged: Divergence | None = None  # set when the run stopped on NaN or infinity
    interrupted: bool = False  # Ctrl-C stopped the run: the steps before it, and only those
    # every step run: the L2 norm of each trainable parameter tensor's gradient (float64)
    grad_norms: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        """In a notebook: the trace as its web page shows it (the header, the network drawn,
        every phase's tables)."""
        from backprop_trace.render.page import page_body
        from backprop_trace.render.view import RenderOptions

        return page_body(self, RenderOptions())
