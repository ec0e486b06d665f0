"""The update, as the terminal shows it: old, gradient, step and new value of each entry that
moved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text

from backprop_trace.insights import (
    carriers,
    listing,
)
from backprop_trace.numerics import largest_first, to_float
from backprop_trace.render.large import LargeTensors
from backprop_trace.render.tables import MAX_ROWS, _drawn_width, _t, _table
from backprop_trace.render.view import View
from backprop_trace.trace import ParamStep, StepTrace
from backprop_trace.wording import noun, of_total


def _largest(count: int, singular: str) -> str:
    """'largest update', or '3 largest updates'."""
    return f"largest {singular}" if count == 1 else f"{count} largest {noun(count, singular)}"


class UpdatePhase:
    """4. The update: every parameter's old value, gradient, step and new value, and why the
    rest did not move."""

    def __init__(self, view: View, large: LargeTensors) -> None:
        self.view = view
        self.large = large

    def update(self, step: StepTrace) -> list[RenderableType]:
        opt = self.view.scenario.optimizer
        plain_sgd = opt.kind == "sgd" and not any(
            getattr(opt, k) for k in ("momentum", "weight_decay")
        )
        lr = self.view.plain(opt.lr)
        if plain_sgd:
            rule = f"new = old − η × grad, with η = {lr}"
            step_head = "η × grad"
        else:
            rule = f"new = old − step, where ({opt.kind}) {opt.rule()}"
            step_head = "Step"
        body: list[RenderableType] = [_t(rule)]
        dropped = self.terms_that_do_not_fit(step, step_head)
        kept = [label for label in self._labels(step) if label not in dropped]
        if dropped:
            body.append(
                _t(
                    f"({', '.join(dropped)} not shown at this width; --format json has every term)",
                    "dim",
                )
            )
        changed_rows: list[tuple[str, Any, Any]] = []
        changed = unchanged_zero = unchanged_other = frozen = 0
        still = self.why_unchanged(step)
        summarised: list[str] = []
        for p in step.params:
            if not p.trainable:
                frozen += p.old.size
                body.append(_t(f"{p.name}: frozen, not trained ({p.old.size} unchanged)", "blue"))
                continue
            assert p.grad is not None
            moved = p.new != p.old
            zero = (~moved) & (p.grad == 0)
            small = (~moved) & (p.grad != 0)
            changed += int(moved.sum())
            unchanged_zero += int(zero.sum())
            unchanged_other += int(small.sum())
            parts = [f"{int(moved.sum()):,} of {p.old.size:,} changed"]
            if zero.any():
                parts.append(f"{int(zero.sum()):,} unchanged: zero gradient")
            if small.any():
                parts.append(f"{int(small.sum()):,} unchanged: {still}")
            heading = f"{p.name}: " + "; ".join(parts)
            if not moved.any():
                body.append(_t(heading))
                continue
            big = p.old.size > self.view.table_limit
            indices = self._shown(p)
            if big:
                summarised.append(p.name)
                shape = "×".join(str(d) for d in p.shape)
                heading = heading.replace(f"{p.name}:", f"{p.name} ({shape}):", 1)
                heading += (
                    f" (summarised: more than {self.view.table_limit} entries, --table-limit)"
                )
            table = _table(
                heading if not big else f"{p.name}: the {_largest(len(indices), 'update')}",
                *self._heads(p, kept, step_head),
            )
            for ix in indices[:MAX_ROWS]:
                name = View.entry(p.name, ix)
                cells = self._cells(p, ix, kept)
                table.add_row(*[self.view.pick(cell, name) for cell in cells])
            if big:
                body += [self.large.tensor_stats(p, heading), table, self.large.update_histogram(p)]
                continue
            changed_rows += [(View.entry(p.name, ix), p.old[ix], p.new[ix]) for ix in indices]
            body += [
                table,
                *self.view.cut_note(min(len(indices), MAX_ROWS), len(indices), "changed entry"),
            ]
        body += self.before_after(changed_rows, summarised)
        total = sum(p.old.size for p in step.params)
        summary = (
            f"{of_total(changed, total, 'parameter', 'changed')}; {total - changed:,} unchanged"
        )
        reasons = [
            f"{n:,} {why}"
            for n, why in (
                (unchanged_zero, "zero gradient"),
                (frozen, "frozen"),
                (unchanged_other, still),
            )
            if n
        ]
        if reasons:
            summary += " (" + ", ".join(reasons) + ")"
        body.append(_t(summary + ".", "bold"))
        return body

    def why_unchanged(self, step: StepTrace) -> str:
        """Why an entry with a non-zero gradient did not move. Plain steps are a positive multiple
        of the gradient, never 0: in float64 they were too small to change the value. Momentum,
        running averages and weight decay can cancel the gradient exactly."""
        if self.view.trace.numerics == "exact":
            return "the step is exactly 0"
        if carriers(self.view.trace, step):
            return "step 0 or too small for float64"
        return "step too small for float64"

    @staticmethod
    def _labels(step: StepTrace) -> list[str]:
        """The optimizer's terms, as its tables list them (m, v, m̂, v̂, ...)."""
        return list(next((p.terms for p in step.params if p.terms), {}))

    def _shown(self, p: ParamStep) -> list[tuple[int, ...]]:
        """The entries of a trainable parameter that its update table shows: every one that
        moved, or, for a tensor the tables summarise, the 10 that moved the most."""
        moved = p.new != p.old
        if p.old.size <= self.view.table_limit:
            return [tuple(int(i) for i in ix) for ix in np.argwhere(moved)]
        sizes = np.abs(to_float(p.old - p.new)).ravel()
        order = largest_first(sizes, min(10, int(moved.sum())))
        return [tuple(int(i) for i in np.unravel_index(int(k), p.old.shape)) for k in order]

    def _heads(self, p: ParamStep, terms: list[str], step_head: str) -> list[str]:
        return [self.view.roles[p.name].capitalize(), "Old", "Gradient", *terms, step_head, "New"]

    def _cells(self, p: ParamStep, ix: tuple[int, ...], terms: list[str]) -> list[str | Text]:
        """An entry's row: name, old value, gradient, the terms asked for, step and new value."""
        old, new = p.old[ix], p.new[ix]
        return [
            View.entry(p.name, ix),
            self.view.num(old),
            self.view.gradient(p, ix),
            *[self.view.num(p.terms[label][ix]) for label in terms],
            _t(self.view.num(old - new), "red" if old > new else "green"),
            _t(self.view.num(new), "bold"),
        ]

    def terms_that_do_not_fit(self, step: StepTrace, step_head: str = "Step") -> list[str]:
        """Optimizer terms to leave out of the update tables so that each fits the width, by
        the widths its cells take (a column: its widest cell; between columns, their padding
        and a space): the optimizer's left_out_first, then from the right."""
        labels = self._labels(step)
        first = [label for label in self.view.scenario.optimizer.left_out_first if label in labels]
        order = first + [label for label in reversed(labels) if label not in first]
        tables = []  # each table's column widths, with every term
        for p in step.params:
            if not p.trainable or not (p.new != p.old).any():
                continue
            rows = [self._cells(p, ix, labels) for ix in self._shown(p)[:MAX_ROWS]]
            columns = zip(self._heads(p, labels, step_head), *rows, strict=True)
            tables.append([max(cell_len(str(cell)) for cell in column) for column in columns])
        dropped: list[str] = []
        for label in [None, *order]:
            if label is not None:
                dropped.append(label)
            gone = {2 + 1 + labels.index(d) for d in dropped}  # name, old, gradient, terms...
            shape = _table("", *[""] * (3 + len(labels) - len(dropped) + 2))  # as drawn
            if all(
                _drawn_width(shape, [w for i, w in enumerate(t) if i not in gone])
                <= self.view.width
                for t in tables
            ):
                break
        return [label for label in labels if label in dropped]

    def before_after(
        self, rows: list[tuple[str, Any, Any]], summarised: Sequence[str] = ()
    ) -> list[RenderableType]:
        if summarised and not rows:
            return []
        if not rows:
            return [_t("No parameter changed.")]
        table = _table(
            "Before → after: every parameter that changed", "Parameter", "Before", "After", "Change"
        )
        for name, old, new in rows[:MAX_ROWS]:
            change = new - old
            cells: list[str | Text] = [
                name,
                self.view.num(old),
                self.view.num(new),
                _t(self.view.num.signed(change), "green" if change > 0 else "red"),
            ]
            table.add_row(*[self.view.pick(cell, name) for cell in cells])
        out = [table, *self.view.cut_note(min(len(rows), MAX_ROWS), len(rows), "changed parameter")]
        if summarised:
            out.append(
                _t(f"(the changes of {listing(list(summarised))} are summarised above)", "dim")
            )
        return out
