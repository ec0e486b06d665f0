"""An explanation laid out for reading, as plain blocks (headings, equations, paragraphs) that the
text, Markdown and HTML writers each draw their own way. Numbers are formatted here, in the run's
number style; long sums are summarised by their largest terms, the rest summed from those terms
themselves, so that every line adds up as printed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backprop_trace.chain import Factor, with_numbers
from backprop_trace.render.numbers import ROUNDING_ZERO, NumberStyle

from .model import Explanation, Line, Result, Term, Use

SHOWN_TERMS = 8  # a longer sum shows its largest terms and the others' sum
SHOWN_SYMBOLS = 3  # terms written out in symbols before '…'
SHOWN_LINES = 200  # lines of one expansion drawn in full (in order); the rest summarised


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    bullet: bool = False


@dataclass(frozen=True)
class Equation:
    """``lhs`` = rows[0] = rows[1] = ...: the same quantity, from symbols to its value."""

    lhs: str
    rows: tuple[str, ...]
    note: str = ""  # said after it (why a factor is 0)


Block = Heading | Paragraph | Equation


@dataclass
class _Layout:
    explanation: Explanation
    num: NumberStyle
    blocks: list[Block] = field(default_factory=list)
    shown_locals: set[str] = field(default_factory=set)

    def number(self, value: Any) -> str:
        return self.num(value)


def layout(explanation: Explanation, num: NumberStyle, *, title: bool = True) -> list[Block]:
    """The blocks of an explanation: one entry expanded in full, or a tensor entry by entry."""
    out = _Layout(explanation, num)
    if title:
        out.blocks.append(Heading(_title(explanation)))
    out.blocks += [Paragraph(p) for p in _preamble(explanation)]
    if explanation.target.whole:
        _tensor(out)
    else:
        _single(out, explanation.results[0])
    return out.blocks


def _title(e: Explanation) -> str:
    what = {
        "parameter": "how its gradient and update came to be",
        "flow": "how its learning flow came to be",
        "loss": "the loss's derivative for this output",
    }[e.target.kind]
    return f"{e.target.text} · step {e.step} of {e.scenario} ({e.numerics}): {what}"


def _preamble(e: Explanation) -> list[str]:
    out = [
        "Read from the loss down: each line is the chain rule at one number, with this "
        "step's values in. ∂L/∂u is the learning flow at u, the number the backward tables show."
    ]
    if len(e.examples) > 1:
        rows = ", ".join(str(r) for r in e.examples[:8]) + (
            f", … ({len(e.examples)} in all)" if len(e.examples) > 8 else ""
        )
        scope = (
            f"The batch holds examples {rows}; the loss's mean over them is inside ∂L/∂y, so a "
            "gradient is the sum of the examples' terms. "
        )
        scope += (
            f"Example {e.focus} is expanded (--example E expands another); an entry of another "
            "example is marked (ex. N)."
        )
        out.append(scope)
    return out


# -- one entry ------------------------------------------------------------------------------------


def _single(out: _Layout, result: Result) -> None:
    e = out.explanation
    if result.frozen:
        out.blocks.append(
            Paragraph(
                f"{result.entry} is frozen (requires_grad false): it gets no gradient and keeps "
                f"its value, {out.number(result.old)}. The learning flow still passes through "
                "its layer to the layers before."
            )
        )
        return
    assert result.line is not None
    shown = _reachable(e, result.line)
    section = ""
    for line in e.lines:
        if line.key not in shown:
            continue
        heading = _section(e, line)
        if heading != section:
            out.blocks.append(Heading(heading))
            section = heading
        _line(out, line)
    final = e.line(result.line)
    if result.why_zero:
        out.blocks.append(Heading(f"Why {final.symbol} is 0"))
        out.blocks += [Paragraph(reason, bullet=True) for reason in result.why_zero]
    if result.update:
        _update(out, result)


def _reachable(e: Explanation, start: str) -> set[str]:
    """The lines drawn: those the start line's shown terms refer to, following only the
    expanded example (another example's lines stay numbers), up to SHOWN_LINES."""
    seen: set[str] = set()
    todo = [start]
    while todo and len(seen) < SHOWN_LINES:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        line = e.line(key)
        for term in _largest(line.terms)[0]:
            for use in term.uses:
                if use.ref is None or use.ref in seen:
                    continue
                ref = e.line(use.ref)
                if ref.example is None or ref.example == e.focus:
                    todo.append(use.ref)
    return seen


def _section(e: Explanation, line: Line) -> str:
    if line.kind == "loss":
        return f"The loss ({e.loss}): its derivative for each output"
    if line.kind == "flow":
        after = e.layers[e.layers.index(line.layer) + 1]
        return f"Back through {after}, to the output of {line.layer}"
    return "The gradient"


def _largest(terms: tuple[Term, ...]) -> tuple[list[Term], list[Term]]:
    """(the terms shown, the rest): all when few, else the SHOWN_TERMS largest in size (the
    nonzero ones only, when fewer are)."""
    if len(terms) <= SHOWN_TERMS:
        return list(terms), []
    ranked = sorted(range(len(terms)), key=lambda k: -abs(float(terms[k].value)))
    keep = {k for k in ranked[:SHOWN_TERMS] if terms[k].value != 0} or {ranked[0]}
    return [terms[k] for k in sorted(keep)], [t for k, t in enumerate(terms) if k not in keep]


def _held(out: _Layout, line: Line) -> str:
    if line.noise is not None and line.held != 0 and abs(line.held) <= line.noise:
        return ROUNDING_ZERO
    return out.number(line.held)


def _signed(out: _Layout, value: Any) -> str:
    text = out.number(value)
    return f"({text})" if text.startswith("-") else text


def _line(out: _Layout, line: Line) -> None:
    shown, rest = _largest(line.terms)
    # the local derivatives first, once each, with their rule and numbers
    for term in shown if line.kind != "loss" else []:
        for use in term.uses:
            if use.ref is None and use.factor.formula and use.factor.symbol:
                _local(out, use.factor)
    if line.kind == "loss":
        factor = line.terms[0].uses[0].factor
        formula, _, said = factor.formula.partition(", ")
        rows = [formula]
        if factor.expr:
            rows.append(with_numbers(factor.expr, dict(factor.operands), out.number))
        rows.append(_held(out, line))
        out.blocks.append(Equation(line.symbol, tuple(_distinct(rows)), said))
        return
    if not line.terms:
        out.blocks.append(
            Equation(line.symbol, (_held(out, line),), "nothing after it reaches the loss")
        )
        return
    symbols = _symbolic(line.terms)
    numbers = " + ".join(_product(out, t) for t in shown)
    values = " + ".join(_term_value(out, t) for t in shown)
    if rest:
        others = _sum(rest)
        tail = f" + [{len(rest)} other terms: {_signed(out, others)}]"
        numbers += tail
        values += tail
    rows = [symbols, numbers]
    if len(line.terms) > 1 or rest:
        rows.append(values)
    rows.append(_held(out, line))
    out.blocks.append(Equation(line.symbol, tuple(_distinct(rows))))


def _noise(out: _Layout, use: Use) -> bool:
    """A factor that is another line's value, and that value rounding noise (float64)."""
    return use.ref is not None and _held(out, out.explanation.line(use.ref)) == ROUNDING_ZERO


def _product(out: _Layout, term: Term) -> str:
    return " × ".join(
        ROUNDING_ZERO if _noise(out, u) else _signed(out, u.factor.value) for u in term.uses
    )


def _term_value(out: _Layout, term: Term) -> str:
    """A product with rounding noise among its factors is noise too."""
    return ROUNDING_ZERO if any(_noise(out, u) for u in term.uses) else _signed(out, term.value)


def _sum(terms: list[Term]) -> Any:
    total = terms[0].value * 0
    for t in terms:
        total = total + t.value
    return total


def _distinct(rows: list[str]) -> list[str]:
    """Rows without a repeat of the one before (a single factor is its own number)."""
    out: list[str] = []
    for row in rows:
        if not out or row != out[-1]:
            out.append(row)
    return out


def _symbolic(terms: tuple[Term, ...]) -> str:
    """The terms in symbols: all of them when few, else the first ones and how many."""
    if len(terms) <= SHOWN_SYMBOLS + 1:
        return " + ".join(_symbols(t) for t in terms)
    shown = " + ".join(_symbols(t) for t in terms[:SHOWN_SYMBOLS])
    return f"{shown} + … ({len(terms)} terms)"


def _symbols(term: Term) -> str:
    return " × ".join(u.factor.symbol for u in term.uses)


def _local(out: _Layout, factor: Factor) -> None:
    if factor.symbol in out.shown_locals:
        return
    out.shown_locals.add(factor.symbol)
    if not factor.expr:  # a rule by cases (relu′ = 1, as z > 0): the value, its case, why
        row = out.number(factor.value) + (f", {factor.formula}" if factor.formula else "")
        out.blocks.append(Equation(factor.symbol, (row,), factor.why))
        return
    rows = [
        factor.formula,
        with_numbers(factor.expr, dict(factor.operands), out.number),
        out.number(factor.value),
    ]
    out.blocks.append(Equation(factor.symbol, tuple(_distinct(rows)), factor.why))


def _update(out: _Layout, result: Result) -> None:
    e = out.explanation
    out.blocks.append(Heading(f"The update ({e.optimizer}): {e.rule}"))
    for k, factor in enumerate(result.update):
        last = k == len(result.update) - 1
        rows = [factor.formula.replace(", first", "")]
        rows.append(with_numbers(factor.expr, dict(factor.operands), out.number))
        rows.append(out.number(result.new if last else factor.value))
        lhs = f"new {result.entry}" if last else factor.symbol
        out.blocks.append(Equation(lhs, tuple(_distinct(rows))))


# -- a tensor -------------------------------------------------------------------------------------


def _tensor(out: _Layout) -> None:
    e = out.explanation
    results = e.results
    finals = {r.line for r in results if r.line is not None}
    shares = {line.key for line in e.lines if line.kind == "share"}
    shared = [line for line in e.lines if line.key not in finals | shares]
    frozen = [r for r in results if r.frozen]
    if frozen and len(frozen) == len(results):
        out.blocks.append(
            Paragraph(
                f"{e.target.name} is frozen (requires_grad false): no entry gets a gradient and "
                "each keeps its value."
            )
        )
        return
    count = _tensor_size(e)
    if count > len(results):
        out.blocks.append(
            Paragraph(
                f"{len(results):,} of its {count:,} entries, the largest |gradient| first "
                f"({count - len(results):,} more: --table-limit N shows more)."
            )
        )
    if shared:
        out.blocks.append(Heading("The factors the entries share"))
        for line in shared[:SHOWN_LINES]:
            out.blocks.append(Equation(line.symbol, (_held(out, line),)))
        if len(shared) > SHOWN_LINES:
            out.blocks.append(Paragraph(f"… and {len(shared) - SHOWN_LINES} more"))
    first = next(r for r in results if r.line is not None)
    example = e.line(first.line or "")
    out.blocks.append(Heading("Each entry"))
    out.blocks.append(
        Paragraph(
            f"Each as {example.symbol} = {_symbolic(example.terms)}, and its update (explain "
            "one entry to see every line):"
        )
    )
    for result in results:
        if result.line is None:
            continue
        line = e.line(result.line)
        shown, rest = _largest(line.terms)
        numbers = " + ".join(_product(out, t) for t in shown)
        if rest:
            numbers += f" + [{len(rest)} other terms: {_signed(out, _sum(rest))}]"
        update = result.update[-1]
        new = (
            f"new {result.entry} = "
            + with_numbers(update.expr, dict(update.operands), out.number)
            + f" = {out.number(result.new)}"
        )
        why = f"; 0 as {result.why_zero[0]}" if result.why_zero else ""
        out.blocks.append(
            Equation(line.symbol, tuple(_distinct([numbers, _held(out, line)])), new + why)
        )


def _tensor_size(e: Explanation) -> int:
    count = 1
    for n in e.target.shape[len(e.target.index) :]:
        count *= n
    return count


Draw = Callable[[list[Block]], str]
