"""The terminal trace for notes and slides: Markdown tables, and self-contained HTML and SVG.

Markdown is built from the same phases as the terminal, each rich table turned into a pipe table.
Everything the scenario wrote (names, descriptions) is escaped so that it shows literally: no
Markdown emphasis, no links, no HTML. HTML and SVG are rich's own export of the coloured output.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from backprop_trace.render.explain import Expansion, markdown_blocks
from backprop_trace.render.terminal import RenderOptions, phases, render_text
from backprop_trace.trace import Trace
from backprop_trace.visible import visible

WIDTH = 100
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # emphasis, code, links, tables, strikes


def escape_markdown(text: str) -> str:
    """Literal text in Markdown: control characters (a newline too) shown escaped, HTML
    escaped, Markdown's punctuation backslashed."""
    text = visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return "\\" + text if text.startswith("#") else text  # not a heading


def render_markdown(trace: Trace, options: RenderOptions) -> str:
    out: list[str] = []
    with np.errstate(all="ignore"):
        for phase in phases(trace, options, WIDTH):
            level = "#" if phase.step is None else "##"
            out.append(f"{level} {escape_markdown(phase.title)}\n")
            out += _markdown_items(phase.body if phase.step is not None else phase.body[1:])
    return "\n".join(out).rstrip("\n") + "\n"


def _markdown_items(items: Iterable[RenderableType]) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, Expansion):
            out.append(markdown_blocks(item.blocks, top="###"))
        elif isinstance(item, Table):
            out.append(_markdown_table(item))
        elif isinstance(item, Padding) and isinstance(item.renderable, Table):
            out.append(_markdown_facts(item.renderable))
        elif isinstance(item, Padding) and isinstance(item.renderable, Text):
            text = item.renderable.plain
            bullet = text.startswith("• ")
            body = escape_markdown(text[2:] if bullet else text)
            out.append(f"- {body}\n" if bullet else f"*{body}*\n")
        elif isinstance(item, Group):
            texts = [r for r in item.renderables if isinstance(r, Text)]
            if texts and any("┤" in t.plain for t in texts):  # a chart: keep it as drawn
                chart = "\n".join(t.plain for t in texts[1:])
                out.append(f"**{escape_markdown(texts[0].plain)}**\n\n```text\n{chart}\n```\n")
            else:
                out += _markdown_items(item.renderables)
        elif isinstance(item, Text):
            out.append(escape_markdown(item.plain) + "\n")
    return out


def _cell(value: object) -> str:
    text = value.plain if isinstance(value, Text) else str(value)
    return escape_markdown(text).replace("\n", " ")


def _markdown_table(table: Table) -> str:
    columns = table.columns
    title = f"**{_cell(table.title)}**\n\n" if table.title else ""
    header = "| " + " | ".join(_cell(c.header) or " " for c in columns) + " |"
    rule = "|" + "|".join(":--" if c.justify == "left" else "--:" for c in columns) + "|"
    cells = [list(c.cells) for c in columns]
    rows = [
        "| " + " | ".join(_cell(col[r]) for col in cells) + " |" for r in range(table.row_count)
    ]
    caption = f"\n\n*{_cell(table.caption)}*" if table.caption else ""  # not one more row
    return title + "\n".join([header, rule, *rows]) + caption + "\n"


def _markdown_facts(grid: Table) -> str:
    keys, values = (list(c.cells) for c in grid.columns[:2])
    return (
        "\n".join(f"- **{_cell(k)}**: {_cell(v)}" for k, v in zip(keys, values, strict=True)) + "\n"
    )


def _recorded(trace: Trace, options: RenderOptions) -> Console:
    console = Console(
        record=True, width=WIDTH, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    render_text(trace, console, options)
    return console


def render_html(trace: Trace, options: RenderOptions) -> str:
    """A self-contained page (inline styles); rich escapes every character of the text."""
    return _recorded(trace, options).export_html(inline_styles=True)


def render_svg(trace: Trace, options: RenderOptions) -> str:
    return _recorded(trace, options).export_svg(
        title=f"backprop-trace: {visible(trace.scenario.name)}"
    )


def render_plain(trace: Trace, options: RenderOptions) -> str:
    console = Console(width=WIDTH, file=io.StringIO(), color_system=None)
    render_text(trace, console, options)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]
