"""Maps as grids: images (a channel of one example) and kernels, one table each."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.console import RenderableType
from rich.text import Text

from backprop_trace.numerics import Array
from backprop_trace.render.large import LargeTensors
from backprop_trace.render.tables import MAX_ROWS, _aside, _t, _table
from backprop_trace.render.view import View
from backprop_trace.trace import StepTrace
from backprop_trace.wording import plural

MAX_EXAMPLES = 2  # examples of a batch shown as grids: a map per channel each adds up fast


class Grids:
    """Maps (images, kernels) as grids: one table per channel and example."""

    def __init__(self, view: View, large: LargeTensors) -> None:
        self.view = view
        self.large = large

    def maps(
        self,
        step: StepTrace,
        title: str,
        values: Array,
        cell: Callable[[tuple[int, ...], str], Text] | None = None,
        number: Callable[[tuple[int, ...]], str] | None = None,
        entry: str | None = None,
    ) -> list[RenderableType]:
        """Values of shape [example, channel, height, width] as one grid per channel and
        example (rows: height, columns: width); a batch summarised when its maps are large.
        ``entry``: the layer whose units the cells are (the explorer picks them)."""
        examples, channels, height, width = (int(d) for d in values.shape)
        if height * width > self.view.table_limit:
            return [
                self.large.stats(
                    f"{title}: {examples} × {channels} × {height} × {width}, summarised",
                    [("values", values)],
                )
            ]
        shown = min(examples, MAX_EXAMPLES)
        out: list[RenderableType] = []
        for a in range(shown):
            for c in range(channels):
                label = f"{title} · " + (
                    f"{self.view.example_label(step, a)} · " if examples > 1 else ""
                )
                out += self.grid(
                    f"{label}channel {c}",
                    (height, width),
                    partial(self.map_cell, values, (a, c), cell, number, entry),
                )
        if shown < examples:
            rest = plural(examples - shown, "example").replace(" ", " more ", 1)
            out.append(_aside(f"({rest} not shown as grids; --format json has every number)"))
        return out

    def map_cell(
        self,
        values: Array,
        lead: tuple[int, ...],
        cell: Callable[[tuple[int, ...], str], Text] | None,
        number: Callable[[tuple[int, ...]], str] | None,
        entry: str | None,
        r: int,
        x: int,
    ) -> Text:
        ix = (*lead, r, x)
        text = number(ix) if number is not None else self.view.num(values[ix])
        shown = cell(ix, text) if cell is not None else _t(text, "dim" if values[ix] == 0 else "")
        if entry is None:
            return shown
        return self.view.pick(shown, View.entry(entry, ix[1:]), ix[0])

    def grid(
        self, title: str, shape: tuple[int, int], cell: Callable[[int, int], Text]
    ) -> list[RenderableType]:
        """One map as a table: a row per row of the map, a column per column."""
        height, width = shape
        cols = self.view.fit_columns(width)
        rows = min(height, MAX_ROWS)
        table = _table(title, "", *[str(x) for x in range(cols)])
        for r in range(rows):
            table.add_row(str(r), *[cell(r, x) for x in range(cols)])
        return [
            table,
            *self.view.cut_note(rows, height, "row"),
            *self.view.cut_note(cols, width, "column"),
        ]
