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
from rich._export_format import CONSOLE_SVG_FORMAT
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.terminal_theme import TerminalTheme
from rich.text import Text

from backprop_trace.render.explain import Expansion, markdown_blocks
from backprop_trace.render.tables import _t
from backprop_trace.render.terminal import RenderOptions, body_parts, phases, render_text
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
    """A self-contained web page: sections, HTML tables, the network drawn (render.page)."""
    from backprop_trace.render.page import render_page

    return render_page(trace, options)


# The SVG's colours: a dark page whose every colour, dimmed ones too, reads at 4.5:1 or more
SVG_THEME = TerminalTheme(
    (30, 30, 30),
    (224, 224, 224),
    [
        (120, 120, 120),
        (255, 128, 128),
        (120, 214, 132),
        (240, 200, 100),
        (130, 177, 255),
        (240, 150, 220),
        (120, 220, 230),
        (224, 224, 224),
        (160, 160, 160),
    ],
    [
        (255, 150, 150),
        (140, 230, 150),
        (250, 215, 120),
        (160, 195, 255),
        (245, 170, 230),
        (150, 230, 240),
        (255, 255, 255),
    ],
)
_FONTS = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace'


def _svg_format() -> str:
    """rich's SVG template with nothing fetched: no web font (the system's monospace fonts
    instead) and no link in a comment."""
    template = re.sub(r"\s*@font-face \{\{.*?\}\}", "", CONSOLE_SVG_FORMAT, flags=re.DOTALL)
    template = re.sub(r"\s*<!--.*?-->", "", template, flags=re.DOTALL)
    return template.replace("font-family: Fira Code, monospace;", f"font-family: {_FONTS};")


# rich's SVG: 20 px text, 0.61 of it a character's width, 1.22 of it a line
CHAR_W, LINE_H, SVG_PADDING = 20 * 0.61, 20 * 1.22, 50
SLIDE = (1280, 720)  # px: a 16:9 slide
SLIDE_COLUMN = 64  # characters: a column of a phase laid out for a slide
GAP = 3


def slide_scale(columns: int, lines: int) -> float:
    """How much an SVG of ``columns`` × ``lines`` characters shrinks to fit a slide (its text
    is then 20 px times this)."""
    width = columns * CHAR_W + 18
    height = lines * LINE_H + SVG_PADDING
    return min(SLIDE[0] / width, SLIDE[1] / height, 1.0)


def _columns(heights: list[int], k: int) -> list[list[int]]:
    """The parts (by height) in k runs, in order, the tallest run as short as it can be."""
    n = len(heights)
    if k <= 1 or n <= 1:
        return [list(range(n))]
    best: tuple[int, list[list[int]]] | None = None
    for cut in range(1, n):
        rest = _columns(heights[cut:], k - 1)
        runs = [list(range(cut)), *[[i + cut for i in run] for run in rest]]
        tallest = max(sum(heights[i] for i in run) for run in runs)
        if best is None or tallest < best[0]:
            best = (tallest, runs)
    assert best is not None
    return best[1]


def _slides(trace: Trace, options: RenderOptions) -> Console:
    """--phase in SVG: each phase laid out for a slide, its parts (tables, notes) in one, two
    or three columns, whichever shows its text largest on a 1280×720 slide."""
    measure = Console(
        width=SLIDE_COLUMN, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    pages: list[RenderableType] = []
    widest = SLIDE_COLUMN
    for phase in phases(trace, options, SLIDE_COLUMN):
        parts = body_parts(measure, phase.body)
        heights = [len(measure.render_lines(p, measure.options, pad=False)) for p in parts]
        layouts = []
        for k in (1, 2, 3):
            runs = _columns(heights, k)
            lines = 2 + max(sum(heights[i] for i in run) for run in runs)
            layouts.append((slide_scale(k * SLIDE_COLUMN + (k - 1) * GAP, lines), runs))
        _, runs = max(layouts, key=lambda layout: layout[0])
        grid = Table.grid(padding=(0, GAP, 0, 0) if len(runs) > 1 else 0)
        for _ in runs:
            grid.add_column(width=SLIDE_COLUMN)
        grid.add_row(*[Group(*[parts[i] for i in run]) for run in runs])
        widest = max(widest, len(runs) * (SLIDE_COLUMN + GAP) - GAP)
        pages.append(Group(Rule(_t(phase.title), align="left"), grid, Text()))
    console = Console(
        record=True, width=widest, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    for page in pages:
        console.print(page)
    return console


def render_svg(trace: Trace, options: RenderOptions) -> str:
    """The terminal output as one self-contained picture (system fonts, nothing fetched); with
    --phase, each phase laid out to fill a slide."""
    console = _slides(trace, options) if options.phases else _recorded(trace, options)
    return console.export_svg(
        title=f"backprop-trace: {visible(trace.scenario.name)}",
        theme=SVG_THEME,
        code_format=_svg_format(),
    )


def render_plain(trace: Trace, options: RenderOptions) -> str:
    console = Console(width=WIDTH, file=io.StringIO(), color_system=None)
    render_text(trace, console, options)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]
