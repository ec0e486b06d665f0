"""Large tensors, summarised: ranges, norms and zeros, and a histogram of update sizes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import RenderableType
from rich.table import Table

from backprop_trace.numerics import Array, to_float
from backprop_trace.render.tables import _table
from backprop_trace.render.view import View
from backprop_trace.trace import ParamStep


class LargeTensors:
    def __init__(self, view: View) -> None:
        self.view = view

    def tensor_stats(self, p: ParamStep, heading: str) -> RenderableType:
        """Shape, norms and ranges of a large tensor's old values, gradient, step and new values."""
        rows: list[tuple[str, Array]] = [("old", p.old)]
        if p.grad is not None:
            rows.append(("gradient", p.grad))
        rows += [("step (old − new)", p.old - p.new), ("new", p.new)]
        return self.stats(heading, rows)

    def stats(self, title: str, rows: Sequence[tuple[str, Array]]) -> Table:
        table = _table(title, "", "min", "mean", "max", "‖·‖₂", "zeros")
        for label, values in rows:
            f = to_float(values)
            table.add_row(
                label,
                self.view.num(f.min()),
                self.view.mean(values),
                self.view.num(f.max()),
                self.view.num(float(np.sqrt((f * f).sum()))),
                f"{int((f == 0).sum()):,}",
            )
        return table

    def update_histogram(self, p: ParamStep) -> RenderableType:
        """How many entries moved by how much: |old − new| by powers of ten."""
        sizes = np.abs(to_float(p.old - p.new)).ravel()
        moved = sizes[sizes > 0]
        bins: list[tuple[str, int]] = []
        if moved.size:
            exact_exponents = np.floor(np.log10(moved)).astype(int)
            top = int(exact_exponents.max())
            bottom = max(int(exact_exponents.min()), top - 7)
            exponents = np.clip(exact_exponents, bottom, top)
            clipped = int(exact_exponents.min()) < bottom
            for e in range(top, bottom - 1, -1):
                label = f"below 1e{e + 1}" if (e == bottom and clipped) else f"1e{e} – 1e{e + 1}"
                bins.append((label, int((exponents == e).sum())))
        bins.append(("0 (unchanged)", int((sizes == 0).sum())))
        most = max(count for _, count in bins) or 1
        bar_room = max(10, self.view.width - 32)
        table = _table(f"{p.name}: size of the update |old − new|", "Size", "Entries", "")
        table.columns[-1].justify = "left"
        for label, count in bins:
            table.add_row(
                label, f"{count:,}", "█" * max(1 if count else 0, round(count / most * bar_room))
            )
        return table
