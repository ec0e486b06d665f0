"""Tables for the terminal: literal text only, numbers never shortened, and a remark where a
table had to leave something out."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from backprop_trace.numerics import scalar_to_float
from backprop_trace.visible import visible

MAX_ROWS = 40  # rows of one table before it is cut (the JSON trace has everything)
NUMBER_WIDTH = 10  # room for one number column, padding included


def _t(text: str, style: str = "") -> Text:
    """User-given and computed text, never read as rich markup, its control characters shown
    escaped (see visible.py): every text of the terminal trace comes through here."""
    return Text(visible(text), style=style)


def _percent(change: Any, base: Any) -> str:
    """' (-19.02%)'; a rise past tenfold as a factor (' (×2.778e+14)'); nothing where the ratio
    is not a finite number."""
    if not base:
        return ""
    with np.errstate(all="ignore"):
        ratio = scalar_to_float(change / base * 100)
    if not np.isfinite(ratio):
        return ""
    return f" ({ratio:+.2f}%)" if ratio < 900 else f" (×{1 + ratio / 100:.4g})"


class _Table(Table):
    """A table whose cells are always literal text, never rich markup."""

    def add_row(self, *renderables: RenderableType | None, **kwargs: Any) -> None:
        cells = [_t(cell) if isinstance(cell, str) else cell for cell in renderables]
        super().add_row(*cells, **kwargs)


def _fit(console: Console, table: Table) -> list[RenderableType]:
    """Keep every number whole: a column never narrows below its widest cell (headers may wrap
    or shorten). A table that cannot fit even then is cut at the right edge, and says so."""
    unbounded = console.options.update_width(10**6)  # rich clamps a measurement to the width

    def minimum() -> int:
        return Measurement.get(console, unbounded, table).minimum

    table.min_width = min(table.min_width or 0, console.width)
    widest = [max((_width(c) for c in column.cells), default=0) for column in table.columns]
    headers = [_width(column.header) for column in table.columns]
    for column, cells, header in zip(table.columns, widest, headers, strict=True):
        column.min_width = max(cells, header)
    natural = [max(c, h) for c, h in zip(widest, headers, strict=True)]
    if _drawn_width(table, natural) <= console.width:
        # fits as it is: each column as wide as its widest line, which rich would measure cell
        # by cell to find (a fixed width spares it that), when every cell is text
        if all(isinstance(c, str | Text) for column in table.columns for c in column.cells):
            for column, cells, header in zip(table.columns, widest, headers, strict=True):
                column.width = max(cells, header)
        return [table]
    if minimum() > console.width:  # let the headers give way first
        for column, cells in zip(table.columns, widest, strict=True):
            column.min_width = cells
    dropped: list[str] = []
    while minimum() > console.width and len(table.columns) > 2:
        dropped.insert(0, str(table.columns.pop().header))
    if not dropped:
        return [table]
    return [
        table,
        _aside(
            f"(not shown, to fit {console.width} columns: {', '.join(dropped)}; "
            "widen the terminal or see --format json)"
        ),
    ]


def _drawn_width(table: Table, widths: list[int]) -> int:
    """How many cells wide rich draws the table with its columns' contents this wide: each
    cell's padding, and what the box draws between columns (a space) and at its edges."""
    padding = sum(table._get_padding_width(i) for i in range(len(table.columns)))
    return sum(widths) + padding + table._extra_width


def _width(cell: Any) -> int:
    """The cells its widest line takes (of text; of anything else, its text's)."""
    return max((cell_len(line) for line in str(cell).split("\n")), default=0)


def _aside(text: str) -> RenderableType:
    """A dim remark under a table, indented, wrapping under itself."""
    return Padding(_t(text, "dim"), (0, 0, 0, 2), expand=False)


def _table(title: str | Text = "", *columns: str, caption: str = "") -> Table:
    table = _Table(
        title=_t(title) if isinstance(title, str) else title,
        min_width=len(title),
        title_justify="left",
        title_style="bold",
        caption=_t(caption) if caption else None,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
        show_edge=False,
    )
    for i, name in enumerate(columns):
        table.add_column(_t(name), justify="left" if i == 0 else "right", overflow="ellipsis")
    return table
