"""The network's outputs against the targets: the loss phase and the verifying pass."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from rich.console import RenderableType
from rich.text import Text

from backprop_trace.insights import loss_within_rounding
from backprop_trace.numerics import Array, change_is_noise, errors_within_rounding
from backprop_trace.render.numbers import ROUNDING_ZERO, exact_fraction, is_shortened
from backprop_trace.render.tables import _percent, _t, _table
from backprop_trace.render.view import View
from backprop_trace.trace import StepTrace

WHOLE_HINT = "; --fractions shows every number whole"


class OutputsPhase:
    """2. The loss, and 5. the verifying pass: the network's outputs against the targets."""

    def __init__(self, view: View) -> None:
        self.view = view

    def loss(self, step: StepTrace) -> list[RenderableType]:
        s = self.view.scenario
        batch = len(step.examples) > 1
        ce = step.probabilities is not None
        heads = (["Example"] if batch else []) + ["Output"]
        heads += ["Logit", "Probability", "Target"] if ce else ["Prediction", "Target", "Error"]
        heads.append("Contribution")
        table = _table("", *heads)
        y, t = step.outputs_before, step.targets
        # errors (and so their squares) that are 0 to the precision of y - t show as ≈ 0
        rounding = errors_within_rounding(y, t) & (y != t) if not ce else np.zeros(y.shape, bool)
        outputs = self.view.outputs(step)
        for a, j, cells in outputs:
            if ce:
                assert step.probabilities is not None
                cells += [
                    self.view.num(y[a][j]),
                    self.view.num(step.probabilities[a][j]),
                    self.view.num(t[a][j]),
                ]
            else:
                error = ROUNDING_ZERO if rounding[a][j] else self.view.num(y[a][j] - t[a][j])
                cells += [self.view.num(y[a][j]), self.view.num(t[a][j]), error]
            term = step.loss_terms[a][j]
            cells.append(
                ROUNDING_ZERO if rounding[a][j] and s.loss.of_errors else self.view.num(term)
            )
            table.add_row(*[self.view.pick(cell, f"loss[{j}]", a) for cell in cells])
        table.add_section()
        loss = self.loss_value(step.loss_before, y, t)
        table.add_row(*(["Loss"] + [""] * (len(heads) - 2) + [loss]), style="bold")
        formula = f"L = {s.loss.formula} " + (
            "≈ 0: every error is 0 to float64's precision" if loss == ROUNDING_ZERO else f"= {loss}"
        )
        if isinstance(step.loss_before, Fraction) and not self.view.num.fractions:
            formula += f"  (exactly {exact_fraction(step.loss_before)}"
            formula += f"{WHOLE_HINT})" if is_shortened(step.loss_before) else ")"
        return [table, *self.view.cut_note(len(outputs), y.size, "output"), _t(formula)]

    def loss_value(self, loss: Any, outputs: Array, targets: Array) -> str:
        """A loss, or ≈ 0 where it is made of errors that are all 0 to float64's precision."""
        if loss_within_rounding(self.view.trace, loss, outputs, targets):
            return ROUNDING_ZERO
        return self.view.num(loss)

    def verify(self, step: StepTrace) -> list[RenderableType]:
        batch = len(step.examples) > 1
        ce = step.probabilities is not None and step.probabilities_after is not None
        before = step.probabilities if ce else step.outputs_before
        after = step.probabilities_after if ce else step.outputs_after
        assert before is not None and after is not None
        heads = (["Example"] if batch else []) + ["Output"]
        heads += ["P before", "P after"] if ce else ["Before", "After"]
        table = _table("Forward pass with the new weights", *heads, "Target", "Better?")
        t = step.targets
        outputs = self.view.outputs(step)
        settled = (  # on the target to the precision of y - t, before and after
            errors_within_rounding(before, t) & errors_within_rounding(after, t)
            if not ce
            else np.zeros(t.shape, bool)
        )
        for a, j, cells in outputs:
            gap_before, gap_after = abs(before[a][j] - t[a][j]), abs(after[a][j] - t[a][j])
            if settled[a][j]:
                verdict = _t("= same", "dim")
            elif gap_after < gap_before:
                verdict = _t("✓ closer", "green")
            elif gap_after > gap_before:
                verdict = _t("✗ further", "red")
            else:
                verdict = _t("= same", "dim")
            cells += [
                self.view.num(before[a][j]),
                self.view.num(after[a][j]),
                self.view.num(t[a][j]),
            ]
            row: list[str | Text] = [*cells, verdict]
            table.add_row(*[self.view.pick(cell, f"loss[{j}]", a) for cell in row])
        loss = _table("", "", "Before", "After", "Change")
        change = step.loss_after - step.loss_before
        shown_before = self.loss_value(step.loss_before, step.outputs_before, t)
        shown_after = self.loss_value(step.loss_after, step.outputs_after, t)
        nil = (ROUNDING_ZERO, self.view.num(0))  # 0, or 0 to the precision of the computation
        if change_is_noise(step.loss_before, step.loss_after) or (
            shown_before in nil
            and shown_after in nil
            and ROUNDING_ZERO in (shown_before, shown_after)
        ):
            shown = _t(ROUNDING_ZERO)  # float64 rounding alone could have made the difference
        else:
            shown = _t(
                self.view.num.signed(change) + _percent(change, step.loss_before),
                "green" if change < 0 else "red" if change > 0 else "",
            )
        loss.add_row("Loss", shown_before, shown_after, shown)
        out: list[RenderableType] = [
            table,
            *self.view.cut_note(len(outputs), t.size, "output"),
            loss,
        ]
        if isinstance(step.loss_after, Fraction) and not self.view.num.fractions:
            losses = (step.loss_before, step.loss_after)
            line = "Loss exactly: " + " → ".join(exact_fraction(loss) for loss in losses)
            out.append(_t(line + (WHOLE_HINT if any(map(is_shortened, losses)) else "")))
        return out
