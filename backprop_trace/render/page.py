"""The trace as a web page (--format html) and in a notebook (Trace._repr_html_): a title, the
header, the network drawn (render.diagram), a contents list, a section per phase with its tables
as HTML tables, in colours that read at 4.5:1 or more on light and dark backgrounds alike,
nothing fetched. Built from the same phases as the terminal output; every text is escaped and
its control characters shown (visible)."""

from __future__ import annotations

import html
import io
from collections.abc import Iterable

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.table import Table
from rich.text import Text

from backprop_trace.numerics import Array, to_float
from backprop_trace.render.explain import Expansion, html_blocks
from backprop_trace.render.terminal import PHASES, Phase, RenderOptions, phases
from backprop_trace.render.view import View
from backprop_trace.scenario import Scenario
from backprop_trace.trace import Trace
from backprop_trace.visible import visible

WIDTH = 100
MONO = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace'

# the colours, by scheme: every text colour reads at 4.5:1 or more on the page and on a
# table's header row (tests/test_pictures.py checks both schemes)
LIGHT = {
    "fg": "#1f1f1f",
    "bg": "#ffffff",
    "head": "#f2f2f2",
    "dim": "#5f5f5f",
    "pos": "#17692f",
    "neg": "#b71c1c",
    "mark": "#8a5a00",
    "frozen": "#1565c0",
    "other": "#7b1fa2",
    "sym": "#0b5394",
    "rule": "#c8c8c8",
}
DARK = {
    "fg": "#e6e6e6",
    "bg": "#1b1b1b",
    "head": "#262626",
    "dim": "#ababab",
    "pos": "#7bd88f",
    "neg": "#ff8a80",
    "mark": "#f0c060",
    "frozen": "#90b8ff",
    "other": "#e1a6f0",
    "sym": "#8cc4ff",
    "rule": "#4a4a4a",
}
TONES = {"green": "pos", "red": "neg", "yellow": "mark", "blue": "frozen", "magenta": "other"}


def _variables(colours: dict[str, str]) -> str:
    return " ".join(f"--{name}: {value};" for name, value in colours.items())


STYLE = f"""
.bt {{ color-scheme: light dark; {_variables(LIGHT)}
       color: var(--fg); background: var(--bg); line-height: 1.45;
       font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }}
@media (prefers-color-scheme: dark) {{ .bt {{ {_variables(DARK)} }} }}
.bt h1 {{ font-size: 1.5rem; margin: .2rem 0 .6rem; }}
.bt h2 {{ font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid var(--rule); }}
.bt h3 {{ font-size: 1rem; margin: 1.2rem 0 .4rem; }}
.bt table {{ border-collapse: collapse; font-family: {MONO}; font-size: .9rem;
            margin: .3rem 0 1rem; }}
.bt caption {{ text-align: left; font-weight: bold; padding: .2rem 0; white-space: nowrap; }}
.bt th, .bt td {{ padding: .15rem .7rem .15rem 0; vertical-align: top; white-space: pre; }}
.bt thead th {{ background: var(--head); border-bottom: 1px solid var(--rule);
               padding-left: .3rem; }}
.bt .num {{ text-align: right; }}
.bt tr.end td {{ border-bottom: 1px solid var(--rule); }}
.bt table.facts th {{ text-align: left; font-family: inherit; }}
.bt table.facts td {{ white-space: normal; font-family: inherit; }}
.bt .scroll {{ overflow-x: auto; }}
.bt p {{ margin: .3rem 0; }}
.bt .aside {{ color: var(--dim); margin-left: 1.5rem; }}
.bt ul.notes {{ margin: .3rem 0 .8rem; }}
.bt pre {{ font-family: {MONO}; font-size: .85rem; }}
.bt .pos {{ color: var(--pos); }} .bt .neg {{ color: var(--neg); }}
.bt .mark {{ color: var(--mark); }} .bt .frozen {{ color: var(--frozen); }}
.bt .other {{ color: var(--other); }} .bt .dim {{ color: var(--dim); }}
.bt .b {{ font-weight: bold; }}
.bt nav ol {{ columns: 2; }}
.bt figure {{ margin: 1rem 0; }} .bt figure svg {{ max-width: 100%; height: auto; }}
.bt figcaption {{ color: var(--dim); font-size: .9rem; }}
.bt .eq {{ font-family: {MONO}; margin: .3rem 0 .6rem 1rem; display: grid;
          grid-template-columns: max-content auto; column-gap: .5rem; }}
.bt .eq .lhs {{ color: var(--sym); }} .bt .eq .last {{ font-weight: bold; }}
.bt .eq .why {{ grid-column: 2; color: var(--dim); }}
.bt p.note {{ color: var(--dim); }}
"""


def render_page(trace: Trace, options: RenderOptions) -> str:
    """A whole page: its <title>, the style, the body."""
    title = f"backprop-trace: {visible(trace.scenario.name)}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title)}</title>\n<style>{STYLE}\nbody {{ margin: 0; }}\n"
        ".bt { max-width: 76rem; margin: 0 auto; padding: 1.5rem 1rem; }\n</style>\n"
        f'</head>\n<body class="bt">\n{page_body(trace, options, wrap=False)}\n</body>\n</html>\n'
    )


def page_body(trace: Trace, options: RenderOptions, *, wrap: bool = True) -> str:
    """The page's body: the header and the network drawn, the contents, a section per phase
    (``wrap``: in a <div class="bt"> with its own style, for a notebook)."""
    with np.errstate(all="ignore"):
        shown = list(phases(trace, options, WIDTH))
    out: list[str] = []
    sections = [p for p in shown if p.name != "header"]
    for phase in shown:
        if phase.name == "header":
            out += _header(phase)
            out += _diagram(trace)
            out.append(_contents(sections))
        else:
            out.append(f'<section id="{_anchor(phase)}">')
            out.append(f"<h2>{_h(phase.title)}</h2>")
            out += _items(phase.body)
            out.append("</section>")
    body = "\n".join(out)
    if wrap:
        return f'<div class="bt">\n<style>{STYLE}</style>\n{body}\n</div>'
    return body


def scenario_body(scenario: Scenario) -> str:
    """A scenario in a notebook: its header, the network drawn with the first step's forward
    pass, and each parameter's values (in the scenario's layout; large ones summarised)."""
    from backprop_trace.engine import run

    trace = run(scenario, steps=1)
    with np.errstate(all="ignore"):
        header = next(phases(trace, RenderOptions(), WIDTH))
    out = [*_header(header), *_diagram(trace), "<h2>Parameters</h2>"]
    view = View(trace, RenderOptions(), WIDTH)
    for name in scenario.param_order:
        values = scenario.in_layout(name, scenario.initial[name])
        out.append(_values(name, values, view))
    return f'<div class="bt">\n<style>{STYLE}</style>\n' + "\n".join(out) + "\n</div>"


def _values(name: str, values: Array, view: View) -> str:
    num = view.num
    shape = "×".join(str(int(n)) for n in values.shape)
    if values.size > view.table_limit or values.ndim > 2:
        f = to_float(values)
        return (
            f'<p><span class="b">{_h(name)}</span> ({shape}): min {num(float(f.min()))}, '
            f"mean {view.mean(values)}, max {num(float(f.max()))}</p>"
        )
    grid = values.reshape(1, -1) if values.ndim == 1 else values
    head = "".join(f'<th class="num">{j}</th>' for j in range(grid.shape[1]))
    rows = "".join(
        f"<tr><th>{i}</th>" + "".join(f'<td class="num">{num(v)}</td>' for v in row) + "</tr>"
        for i, row in enumerate(grid)
    )
    return (
        f'<div class="scroll"><table><caption>{_h(name)} ({shape})</caption>'
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _anchor(phase: Phase) -> str:
    return (
        "summary"
        if phase.step is None or phase.name == "summary"
        else (f"step-{phase.step}-{phase.name}")
    )


def _header(phase: Phase) -> list[str]:
    out = ["<header>"]
    for item in phase.body:
        if isinstance(item, Text) and item.style == "bold":
            out.append(f"<h1>{_h(item.plain)}</h1>")
        else:
            out += _items([item])
    out.append("</header>")
    return out


def _diagram(trace: Trace) -> list[str]:
    if not trace.steps:
        return []
    from backprop_trace.render.diagram import diagram_svg

    step = trace.steps[0].step
    return [
        "<figure>",
        diagram_svg(trace, step=step),
        f"<figcaption>The network at step {step}: the weights as edges (green positive, red "
        "negative, width by size), each unit's values on its node; hover for the numbers."
        "</figcaption>",
        "</figure>",
    ]


def _contents(sections: list[Phase]) -> str:
    items = "".join(f'<li><a href="#{_anchor(p)}">{_h(p.title)}</a></li>' for p in sections)
    return f"<nav><h2>Contents</h2><ol>{items}</ol></nav>"


def _items(items: Iterable[RenderableType]) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, Expansion):
            out += html_blocks(item.blocks, heading="h3")
        elif isinstance(item, Table):
            out.append(_table(item))
        elif isinstance(item, Padding) and isinstance(item.renderable, Table):
            out.append(_facts(item.renderable))
        elif isinstance(item, Padding) and isinstance(item.renderable, Text):
            text = item.renderable
            if text.plain.startswith("• "):
                out.append(f'<ul class="notes"><li>{_text(text[2:])}</li></ul>')
            else:
                out.append(f'<p class="aside">{_text(text)}</p>')
        elif isinstance(item, Group):
            texts = [r for r in item.renderables if isinstance(r, Text)]
            if texts and any("┤" in t.plain for t in texts):  # a chart: kept as drawn
                out.append(f"<p class='b'>{_text(texts[0])}</p>")
                out.append("<pre>" + "\n".join(_text(t) for t in texts[1:]) + "</pre>")
            else:
                out += _items(item.renderables)
        elif isinstance(item, Text):
            out.append(f"<p>{_text(item)}</p>")
        else:  # anything else: as the terminal draws it, in plain text
            out.append(f"<pre>{_h(_plain(item))}</pre>")
    return out


def _table(table: Table) -> str:
    right = ["num" if c.justify == "right" else "" for c in table.columns]
    head = "".join(
        f"<th{_cls(cls)}>{_cell(c.header)}</th>"
        for c, cls in zip(table.columns, right, strict=True)
    )
    cells = [list(c.cells) for c in table.columns]
    rows = []
    for r in range(table.row_count):
        row = table.rows[r]
        classes = " ".join(
            name for name, on in (("b", _bold(row.style)), ("end", row.end_section)) if on
        )
        tds = "".join(
            f"<td{_cls(cls)}>{_cell(col[r])}</td>" for col, cls in zip(cells, right, strict=True)
        )
        rows.append(f"<tr{_cls(classes)}>{tds}</tr>")
    caption = f"<caption>{_cell(table.title)}</caption>" if table.title else ""
    note = f'<p class="aside">{_cell(table.caption)}</p>' if table.caption else ""
    thead = f"<thead><tr>{head}</tr></thead>" if table.show_header else ""
    return (
        f'<div class="scroll"><table>{caption}{thead}<tbody>{"".join(rows)}</tbody></table>'
        f"{note}</div>"
    )


def _facts(grid: Table) -> str:
    keys, values = (list(c.cells) for c in grid.columns[:2])
    rows = "".join(
        f'<tr><th scope="row">{_cell(k)}</th><td>{_cell(v)}</td></tr>'
        for k, v in zip(keys, values, strict=True)
    )
    return f'<table class="facts"><tbody>{rows}</tbody></table>'


def _cls(classes: str) -> str:
    return f' class="{classes}"' if classes else ""


def _bold(style: object) -> bool:
    return (isinstance(style, str) and "bold" in style.split()) or (
        isinstance(style, Style) and bool(style.bold)
    )


def _cell(value: object) -> str:
    if isinstance(value, Text):
        return _text(value)
    return _h(str(value)) if value is not None else ""


_CONSOLE = Console(width=10**6, file=io.StringIO(), color_system=None)


def _text(text: Text) -> str:
    """A rich Text as HTML: each run of one style a span with its tone's class."""
    out = []
    for segment in text.render(_CONSOLE, end=""):
        content = _h(segment.text)
        style = segment.style
        if style is None or not content:
            out.append(content)
            continue
        classes = []
        if style.color is not None and style.color.name in TONES:
            classes.append(TONES[style.color.name])
        if style.dim:
            classes.append("dim")
        if style.bold:
            classes.append("b")
        out.append(f'<span class="{" ".join(classes)}">{content}</span>' if classes else content)
    return "".join(out)


def _plain(item: RenderableType) -> str:
    console = Console(width=WIDTH, file=io.StringIO(), color_system=None)
    console.print(item)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def _h(text: str) -> str:
    return html.escape(visible(text), quote=True)


__all__ = ["PHASES", "STYLE", "page_body", "render_page"]
