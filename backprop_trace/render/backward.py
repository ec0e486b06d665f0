"""The backward pass, as the terminal shows it: learning flows, gradients, the gradient check."""

from __future__ import annotations

from functools import partial

import numpy as np
from rich.console import RenderableType
from rich.text import Text

from backprop_trace.numerics import to_float
from backprop_trace.render.grids import Grids
from backprop_trace.render.large import LargeTensors
from backprop_trace.render.numbers import ROUNDING_ZERO
from backprop_trace.render.tables import MAX_ROWS, _aside, _t, _table
from backprop_trace.render.view import View
from backprop_trace.trace import ParamStep, StepTrace
from backprop_trace.wording import of_total, plural


class BackwardPhase:
    """3. The backward pass: learning flows from the loss back, each layer's gradients, and the
    gradient check."""

    def __init__(self, view: View, large: LargeTensors, grids: Grids) -> None:
        self.view = view
        self.large = large
        self.grids = grids

    def backward(self, step: StepTrace) -> list[RenderableType]:
        body: list[RenderableType] = [
            _t("The learning flow dL/d(output) runs from the loss back to the first layer.")
        ]
        for lin, act in reversed(self.view.stages()):
            body += self.flow_table(step, lin, act)
            for i in (act, lin):
                if i is not None:
                    tables = self.view.scenario.layers[i].backward_tables(step.layers[i])
                    body += [self.view.plain_table(t) for t in tables]
            if lin is not None:
                for name in step.layers[lin].params:
                    body += self.gradient_grid(step.param(name))
        if step.check is not None:
            body += self.gradient_check(step)
        return body

    def gradient_check(self, step: StepTrace) -> list[RenderableType]:
        check = step.check
        assert check is not None
        entries = list(check.entries)
        if len(entries) > MAX_ROWS:  # the worst first
            entries = sorted(entries, key=lambda e: -e.error)[:MAX_ROWS]
        table = _table(
            "Gradient check: (L(p + h) − L(p − h)) / 2h, h = 1e-5·max(1, |p|)",
            "Parameter",
            "Analytic",
            "Numerical",
            "Rel. error",
            "",
        )
        for e in entries:
            table.add_row(
                self.view.pick(e.name, e.name),
                self.view.num(e.analytic),
                self.view.num(e.numerical),
                "—" if e.kink else f"{e.error:.1e}",
                _t("kink: one-sided, not compared", "yellow")
                if e.kink
                else (_t("✓", "green") if e.error <= check.threshold else _t("✗", "bold red")),
            )
        kinks = len(check.entries) - len(check.compared)
        verdict = "pass" if check.passed else "FAIL"
        line = (
            f"Gradient check: {verdict}. Largest relative error {check.max_error:.1e} "
            f"(threshold {check.threshold:.0e}) over {plural(len(check.compared), 'entry')}"
        )
        if kinks:
            line += f"; {kinks} at a kink, where the derivative is one-sided"
        if len(check.entries) < check.total:
            checked = of_total(len(check.entries), check.total, "entry", "was")
            line += f"; {checked} checked (evenly spaced)"
        out: list[RenderableType] = [
            table,
            _t(line + ".", "bold green" if check.passed else "bold red"),
        ]
        if self.view.trace.numerics == "exact":
            out.append(
                _t(
                    "In exact numerics the analytic gradients are exact fractions; the check "
                    "compares them with float64 differences, so agreement to about 1e-9 is all "
                    "it can show."
                )
            )
        if len(entries) < len(check.entries):
            out.append(_aside(f"(the {len(entries)} largest errors of {len(check.entries)} shown)"))
        return out

    def flow_table(self, step: StepTrace, lin: int | None, act: int | None) -> list[RenderableType]:
        layers = step.layers
        title = "Learning flow: " + self.view.stage_title(lin, act)
        first = layers[lin] if lin is not None else None
        second = layers[act] if act is not None else None
        if any(la is not None and la.grad_output.ndim > 2 for la in (first, second)):
            return [
                piece
                for la in (second, first)
                if la is not None and la.grad_output.ndim > 2
                for piece in self.grids.maps(
                    step,
                    f"Learning flow dL/d {la.name}",
                    la.grad_output,
                    number=partial(self.view.flow, la),
                    entry=la.name,
                )
            ]
        units = (first or second).grad_output.shape[1]  # type: ignore[union-attr]
        rows = min(units, MAX_ROWS)
        if (first or second).grad_output.size > self.view.table_limit:  # type: ignore[union-attr]
            flows = [(f"dL/d {lay.name}", lay.grad_output) for lay in (second, first) if lay]
            return [self.large.stats(f"{title}: {plural(units, 'unit')}, summarised", flows)]
        if len(step.examples) == 1:
            heads = ["Unit"]
            if second is not None:
                heads.append(f"dL/d {second.name}")
            if first is not None:
                heads.append(f"dL/d {first.name}")
            table = _table(title, *heads)
            for j in range(rows):
                cells = [
                    self.view.pick(self.view.flow(layer, (0, j)), View.entry(layer.name, j))
                    for layer in (second, first)
                    if layer is not None
                ]
                table.add_row(str(j), *cells)
            return [table, *self.view.cut_note(rows, units, "unit")]
        examples = self.view.fit_columns(len(step.examples), 2)
        target = first or second
        assert target is not None
        table = _table(
            title + f"  (dL/d {target.name})",
            "Unit",
            *[self.view.example_label(step, a) for a in range(examples)],
        )
        for j in range(rows):
            table.add_row(
                str(j),
                *[
                    self.view.pick(self.view.flow(target, (a, j)), View.entry(target.name, j), a)
                    for a in range(examples)
                ],
            )
        return [
            table,
            *self.view.cut_note(rows, units, "unit"),
            *self.view.cut_note(examples, len(step.examples), "example"),
        ]

    def gradient_grid(self, p: ParamStep) -> list[RenderableType]:
        if p.grad is None:
            return [_t(f"{p.name}: frozen, no gradient", "blue")]
        title = f"dL/d{p.name}"
        if p.grad.size > self.view.table_limit:
            f = np.abs(to_float(p.grad))
            ix = tuple(int(i) for i in np.unravel_index(int(np.argmax(f)), f.shape))
            where = View.entry(p.name, ix)
            shape = "×".join(str(d) for d in p.shape)
            return [
                self.large.stats(f"{title} ({shape}, summarised)", [("gradient", p.grad)]),
                Text.assemble(
                    _t("Largest |gradient|: "),
                    self.view.pick(f"{where} = {self.view.gradient(p, ix)}", where),
                ),
            ]
        if p.grad.ndim > 2:  # a kernel: one small grid per leading index ([out][in])
            return [
                piece
                for lead in np.ndindex(*p.grad.shape[:-2])
                for piece in self.grids.grid(
                    title + "".join(f"[{i}]" for i in lead),
                    (int(p.grad.shape[-2]), int(p.grad.shape[-1])),
                    partial(self.gradient_cell, p, lead),
                )
            ]
        grad = p.grad if p.grad.ndim == 2 else p.grad.reshape(1, -1)
        rows_total, cols_total = grad.shape
        cols = self.view.fit_columns(cols_total)
        rows = min(rows_total, MAX_ROWS)
        label = (
            (("in", "unit") if self.view.scenario.layout == "in_out" else ("unit", "in"))
            if p.grad.ndim == 2
            else ("", "unit")
        )
        table = _table(title, "", *[f"{label[1]} {j}" for j in range(cols)])
        for i in range(rows):
            cells = []
            for j in range(cols):
                at = (i, j) if p.grad.ndim == 2 else j
                text = self.view.gradient(p, at)
                style = "dim" if grad[i][j] == 0 or text == ROUNDING_ZERO else ""
                cells.append(self.view.pick(_t(text, style), View.entry(p.name, at)))
            table.add_row(f"{label[0]} {i}".strip() if p.grad.ndim == 2 else "", *cells)
        return [
            table,
            *self.view.cut_note(rows, rows_total, "row"),
            *self.view.cut_note(cols, cols_total, "column"),
        ]

    def gradient_cell(self, p: ParamStep, lead: tuple[int, ...], r: int, x: int) -> Text:
        assert p.grad is not None
        ix = (*lead, r, x)
        text = self.view.gradient(p, ix)
        style = "dim" if p.grad[ix] == 0 or text == ROUNDING_ZERO else ""
        return self.view.pick(_t(text, style), View.entry(p.name, ix))
