"""An explanation written out: for the terminal (rich), as Markdown, as a self-contained HTML
page, and as JSON (every line, term and factor with its value: the full expansion)."""

from __future__ import annotations

import html
import json
from fractions import Fraction
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from backprop_trace.chain import Factor
from backprop_trace.explain.document import Block, Equation, Heading, Paragraph, layout
from backprop_trace.explain.model import Explanation, Line
from backprop_trace.render.numbers import NumberStyle
from backprop_trace.trace import Trace
from backprop_trace.visible import visible

FORMAT = "backprop-trace-explain/1"


# -- terminal -------------------------------------------------------------------------------------


def renderables(blocks: list[Block]) -> list[RenderableType]:
    """Rich renderables; every text shown literally (no markup), control characters made
    visible. An equation's rows line up under its first '='."""
    out: list[RenderableType] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(Text(("\n" if out else "") + visible(block.text), style="bold"))
        elif isinstance(block, Paragraph):
            text = ("• " if block.bullet else "") + visible(block.text)
            out.append(Padding(Text(text, style="" if block.bullet else "dim"), (0, 0, 0, 2)))
        else:
            out.append(Padding(_equation(block), (0, 0, 0, 2)))
    return out


def _equation(eq: Equation) -> RenderableType:
    """lhs = row, the rows under one another: a long row wraps within its own column."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True, style="cyan")
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    last = len(eq.rows) - 1
    for k, row in enumerate(eq.rows):
        shown = Text(visible(row), style="bold" if k == last else "")
        grid.add_row(Text(visible(eq.lhs) if k == 0 else ""), Text("="), shown)
    if eq.note:
        grid.add_row(Text(), Text(), Text("(" + visible(eq.note) + ")", style="dim"))
    return grid


class Expansion(Group):
    """An explanation inside a phase (run --explain): drawn as its blocks; the Markdown export
    writes the blocks its own way."""

    def __init__(self, blocks: list[Block]) -> None:
        super().__init__(*renderables(blocks))
        self.blocks = blocks


def print_explanation(console: Console, explanation: Explanation, num: NumberStyle) -> None:
    """Printed without the trailing spaces rich pads its lines with."""
    with console.capture() as captured:
        console.print(text_renderable(explanation, num))
    console.file.write("\n".join(line.rstrip(" ") for line in captured.get().split("\n")))
    console.file.flush()


def text_renderable(explanation: Explanation, num: NumberStyle, *, title: bool = True) -> Group:
    return Expansion(layout(explanation, num, title=title))


def in_phase(
    trace: Trace, step: int, texts: tuple[str, ...], num: NumberStyle, limit: int
) -> list[RenderableType]:
    """run --explain: each PARAM's expansion for this step, under its own heading."""
    from backprop_trace.explain import explain_text

    out: list[RenderableType] = []
    for text in texts:
        explained = explain_text(trace, text, step=step, limit=limit)
        blocks = layout(explained, num, title=False)
        heading = Heading(f"How {text} came to be (explain)")
        out.append(Expansion([heading, *blocks]))
    return out


def markdown_blocks(blocks: list[Block], top: str = "##") -> str:
    from backprop_trace.render.export import escape_markdown

    out: list[str] = []
    equations: list[str] = []

    def flush() -> None:
        if equations:
            out.append("```text\n" + "\n".join(equations) + "\n```\n")
            equations.clear()

    for k, block in enumerate(blocks):
        if isinstance(block, Equation):
            equations += _plain_equation(block)
            continue
        flush()
        if isinstance(block, Heading):
            level = top if k == 0 else top + "#"
            out.append(f"{level} {escape_markdown(block.text)}\n")
        else:
            out.append(("- " if block.bullet else "") + escape_markdown(block.text) + "\n")
    flush()
    return "\n".join(out)


# -- Markdown -------------------------------------------------------------------------------------


def markdown(explanation: Explanation, num: NumberStyle) -> str:
    return markdown_blocks(layout(explanation, num), top="#")


def _plain_equation(eq: Equation) -> list[str]:
    """An equation as plain lines (the rows under its first '='), text shown literally."""
    lhs = visible(eq.lhs).replace("`", "'")
    lines = [
        (lhs if k == 0 else " " * len(lhs)) + " = " + visible(row).replace("`", "'")
        for k, row in enumerate(eq.rows)
    ]
    if eq.note:
        lines.append(" " * (len(lhs) + 3) + "(" + visible(eq.note).replace("`", "'") + ")")
    return lines


def plain(explanation: Explanation, num: NumberStyle) -> str:
    out: list[str] = []
    for block in layout(explanation, num):
        if isinstance(block, Heading):
            out += ["", visible(block.text)]
        elif isinstance(block, Paragraph):
            out.append(("  • " if block.bullet else "  ") + visible(block.text))
        else:
            out += ["  " + line for line in _plain_equation(block)]
    return "\n".join(out).lstrip("\n") + "\n"


# -- HTML -----------------------------------------------------------------------------------------

_STYLE = """
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --dim: #555; --sym: #0b5394; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8e8; --bg: #161616; --dim: #b0b0b0; --sym: #8cc4ff; }
}
body { font-family: system-ui, sans-serif; color: var(--fg); background: var(--bg);
       max-width: 70rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
p.note { color: var(--dim); }
.eq { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
      margin: .3rem 0 .6rem 1rem; display: grid; grid-template-columns: max-content auto;
      column-gap: .5rem; }
.eq .lhs { color: var(--sym); } .eq .last { font-weight: bold; }
.eq .why { grid-column: 2; color: var(--dim); }
"""


def html_page(explanation: Explanation, num: NumberStyle) -> str:
    blocks = layout(explanation, num)
    title = blocks[0].text if isinstance(blocks[0], Heading) else "explain"
    body = [f"<h1>{_h(title)}</h1>", *html_blocks(blocks[1:])]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_h(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def html_blocks(blocks: list[Block], heading: str = "h2") -> list[str]:
    """An explanation's blocks as HTML elements (headings at the level ``heading``)."""
    body = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<{heading}>{_h(block.text)}</{heading}>")
        elif isinstance(block, Paragraph):
            body.append(
                f"<ul><li>{_h(block.text)}</li></ul>"
                if block.bullet
                else f'<p class="note">{_h(block.text)}</p>'
            )
        else:
            cells = []
            for k, row in enumerate(block.rows):
                lhs = _h(block.lhs) if k == 0 else ""
                last = ' class="last"' if k == len(block.rows) - 1 else ""
                cells.append(f'<span class="lhs">{lhs}</span><span{last}>= {_h(row)}</span>')
            if block.note:
                cells.append(f'<span class="why">({_h(block.note)})</span>')
            body.append('<div class="eq">' + "".join(cells) + "</div>")
    return body


def _h(text: str) -> str:
    return html.escape(visible(text))


# -- JSON -----------------------------------------------------------------------------------------


def to_dict(explanation: Explanation) -> dict[str, Any]:
    """The full expansion as data: every line with its terms and their factors (values as
    floats, and exact ones also as 'p/q' strings under "exact"), then each entry's result."""
    e = explanation
    return {
        "format": FORMAT,
        "scenario": e.scenario,
        "target": e.target.text,
        "kind": e.target.kind,
        "step": e.step,
        "numerics": e.numerics,
        "examples": list(e.examples),
        "expanded_example": e.focus,
        "loss": e.loss,
        "optimizer": e.optimizer,
        "lines": [_line(line) for line in e.lines],
        "results": [
            {
                "entry": r.entry,
                "line": r.line,
                "frozen": r.frozen,
                **({} if r.old is None else _value("old", r.old)),
                **({} if r.new is None else _value("new", r.new)),
                "update": [_factor(f) for f in r.update],
                "why_zero": list(r.why_zero),
            }
            for r in e.results
        ],
    }


def render_json(explanation: Explanation) -> str:
    return json.dumps(to_dict(explanation), indent=1) + "\n"  # ASCII: no control character raw


def _value(name: str, value: Any) -> dict[str, Any]:
    from backprop_trace.render.json import number

    if isinstance(value, int) and not isinstance(value, bool):
        return {name: value}  # a count (n, t): exact as it is
    out: dict[str, Any] = {name: number(value)}
    if isinstance(value, Fraction):
        out[f"{name}_exact"] = str(value)
    return out


def _factor(f: Factor, ref: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"symbol": f.symbol, **_value("value", f.value)}
    if ref is not None:
        out["ref"] = ref
    if f.formula:
        out["formula"] = f.formula
    if f.expr:
        out["expr"] = f.expr
        out["operands"] = {name: _value("value", v) for name, v in f.operands}
    if f.why:
        out["why"] = f.why
    return out


def _line(line: Line) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": line.key,
        "symbol": line.symbol,
        "kind": line.kind,
        "layer": line.layer,
        "example": line.example,
        **_value("value", line.value),
        **_value("held", line.held),
        "terms": [
            {
                **_value("value", term.value),
                "factors": [_factor(u.factor, u.ref) for u in term.uses],
            }
            for term in line.terms
        ],
    }
    if line.noise is not None:
        out["rounding_bound"] = float(line.noise)
    return out
