"""How a number came to be: the chain rule written out with one step's numbers, as data.

An explanation is a list of lines, each a quantity of the backward pass (the loss's derivative
for an output, a unit's learning flow, an example's share of a gradient, a gradient) written as
a sum of terms, each term a product of factors. A factor is a local derivative with its rule and
operands (chain.Factor), a weight or an input, or another line's quantity (``ref``). Lines come
in the order they can be computed: the loss first, the gradient last. Every factor's number is
the trace's own (a referenced line's value is what the trace holds for it), so each line can be
recomputed from its terms alone and checked against the trace (``held``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from backprop_trace.chain import Factor
from backprop_trace.layers.base import Around
from backprop_trace.numerics import Numerics, backend
from backprop_trace.trace import ParamStep, StepTrace, Trace

from .target import Target, entry_text

MAX_TERMS = 2_000_000  # routes followed in one explanation: past this, refuse, do not crawl


class TooLarge(ValueError):
    """An expansion with more terms than MAX_TERMS."""


@dataclass(frozen=True)
class Use:
    """A factor in a term, and the line that explains its value (None: given here)."""

    factor: Factor
    ref: str | None = None


@dataclass(frozen=True)
class Term:
    uses: tuple[Use, ...]
    value: Any  # the product of the factors' values


@dataclass(frozen=True)
class Line:
    """One quantity: ``symbol`` = Σ terms. ``kind``: loss (dL/dy of an output), flow (a unit's
    learning flow), share (an example's part of a gradient) or gradient. ``held`` is what the
    trace holds for it (its table's number), ``noise`` that number's rounding bound (float64)."""

    key: str
    symbol: str
    kind: str
    layer: str
    example: int | None  # the data row it belongs to; None: the whole batch
    terms: tuple[Term, ...]
    value: Any
    held: Any
    noise: Any = None


@dataclass(frozen=True)
class Result:
    """One explained entry: its gradient's line (None when frozen or not a parameter), the
    update with its numbers (old, the optimizer's lines, new) and what a zero comes from."""

    entry: str
    line: str | None
    old: Any = None
    new: Any = None
    frozen: bool = False
    update: tuple[Factor, ...] = ()
    why_zero: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    scenario: str
    target: Target
    step: int
    numerics: str
    examples: tuple[int, ...]  # the batch's data rows
    focus: int  # the data row expanded in the text (--example)
    lines: tuple[Line, ...]
    results: tuple[Result, ...]
    loss: str  # the loss's kind
    optimizer: str  # its kind
    rule: str  # the optimizer's rule in words
    layers: tuple[str, ...] = ()  # the layers' names, in order

    def line(self, key: str) -> Line:
        return self._by_key[key]

    @cached_property
    def _by_key(self) -> dict[str, Line]:
        return {line.key: line for line in self.lines}


def explain(
    trace: Trace,
    target: Target,
    *,
    step: int | None = None,
    example: int | None = None,
    limit: int = 64,
) -> Explanation:
    """The explanation of ``target`` in the trace's step ``step`` (default: its first kept),
    expanding the data row ``example`` (default: the batch's first). A tensor explains up to
    ``limit`` entries, the largest |gradient| first when it has more."""
    chosen = next(s for s in trace.steps if step is None or s.step == step)
    builder = _Builder(trace, chosen, example)
    results = [builder.result(target, index) for index in _entries(trace, chosen, target, limit)]
    return Explanation(
        scenario=trace.scenario.name,
        target=target,
        step=chosen.step,
        numerics=builder.nx.name,
        examples=chosen.examples,
        focus=chosen.examples[builder.focus],
        lines=tuple(_in_order(builder.lines.values(), trace)),
        results=tuple(results),
        loss=trace.scenario.loss.kind,
        optimizer=trace.scenario.optimizer.kind,
        rule=trace.scenario.optimizer.rule(),
        layers=tuple(layer.name for layer in trace.scenario.layers),
    )


def _in_order(lines: Any, trace: Trace) -> list[Line]:
    """From the loss down: the loss's lines, then each layer's flows from the last layer to the
    first (a flow is made of the next layer's), the examples' shares, the gradients last."""
    depth = {layer.name: k for k, layer in enumerate(trace.scenario.layers)}
    rank = {"loss": 0, "flow": 1, "share": 2, "gradient": 3}

    def key(line: Line) -> tuple[int, int, int]:
        late = rank[line.kind] >= 2
        return (int(late), rank[line.kind] if late else -depth[line.layer], rank[line.kind])

    return sorted(lines, key=key)


def _entries(trace: Trace, step: StepTrace, target: Target, limit: int) -> list[tuple[int, ...]]:
    """The entries a target names, in order; a tensor's largest |gradient| first when it has
    more than ``limit``."""
    if not target.whole:
        return [target.index]
    every = [
        index
        for index in np.ndindex(*target.shape)
        if tuple(index[: len(target.index)]) == target.index
    ]
    if len(every) <= limit:
        return [tuple(int(i) for i in ix) for ix in every]
    grad = step.param(target.name).grad
    if grad is None:
        return [tuple(int(i) for i in ix) for ix in every[:limit]]
    ranked = sorted(every, key=lambda ix: -abs(float(grad[ix])))
    return [tuple(int(i) for i in ix) for ix in ranked[:limit]]


class _Builder:
    """Lines made on demand, each once, in the order they can be computed."""

    def __init__(self, trace: Trace, step: StepTrace, example: int | None) -> None:
        self.trace, self.step = trace, step
        self.scenario = trace.scenario
        # a run that left exact numerics part way keeps its earlier steps exact
        self.nx: Numerics = backend("exact" if step.inputs.dtype == object else "float64")
        self.focus = 0 if example is None else step.examples.index(example)
        self.lines: dict[str, Line] = {}
        self.terms = 0
        params = {p.name: self.scenario.in_layout(p.name, p.old) for p in step.params}
        self.arounds = [
            Around(
                self.nx,
                layer.input,
                layer.output,
                {**params, **{f"{layer.name}.{k}": v for k, v in layer.drawn.items()}},
                self._entry,
                self._unit_namer(i - 1),
                self._unit_namer(i),
            )
            for i, layer in enumerate(step.layers)
        ]

    # -- names --------------------------------------------------------------------------------

    def _scenario_index(self, name: str, index: tuple[int, ...]) -> tuple[int, ...]:
        """An index in the engine's layout -> as the scenario writes the parameter."""
        if self.scenario.layout == "out_in" and len(index) == 2:
            return index[::-1]
        return index

    def _entry(self, name: str, index: tuple[int, ...]) -> str:
        return entry_text(name, self._scenario_index(name, tuple(int(i) for i in index)))

    def _suffix(self, position: int) -> str:
        """The example an entry belongs to, said when it is not the one expanded."""
        if len(self.step.examples) == 1 or position == self.focus:
            return ""
        return f" (ex. {self.step.examples[position]})"

    def _unit_namer(self, i: int) -> Callable[[tuple[int, ...]], str]:
        name = "x" if i < 0 else self.step.layers[i].name

        def unit(at: tuple[int, ...]) -> str:
            return entry_text(name, tuple(int(v) for v in at[1:])) + self._suffix(int(at[0]))

        return unit

    def _flow_symbol(self, i: int, at: tuple[int, ...]) -> str:
        return "∂L/∂" + self._unit_namer(i)(at)

    # -- lines ----------------------------------------------------------------------------------

    def _add(self, line: Line) -> str:
        self.lines[line.key] = line
        self.terms += len(line.terms)
        if self.terms > MAX_TERMS:
            raise TooLarge(f"the expansion passes {MAX_TERMS:,} terms")
        return line.key

    def _ref(self, key: str) -> Use:
        line = self.lines[key]
        return Use(Factor(line.symbol, line.held), key)

    def flow(self, i: int, at: tuple[int, ...]) -> str:
        """The line of dL/d(output of layer i)[at], ``at`` with the batch position first."""
        at = tuple(int(v) for v in at)
        key = f"flow {i} {at}"
        if key in self.lines:
            return key
        layers, last = self.scenario.layers, len(self.scenario.layers) - 1
        layer_step = self.step.layers[i]
        if i == last:
            factor = self.scenario.loss.explain(
                self.nx, self.step.outputs_before, self.step.targets, at
            )
            factor = dataclasses.replace(factor, symbol=self.scenario.loss.kind + "′")
            terms: tuple[Term, ...] = (Term((Use(factor),), factor.value),)
            kind = "loss"
        else:
            routes = layers[i + 1].local(self.arounds[i + 1], at)
            built = []
            for route in routes:
                ref = self._ref(self.flow(i + 1, route.to))
                built.append(Term((ref, Use(route.factor)), ref.factor.value * route.factor.value))
            terms, kind = tuple(built), "flow"
        noise = layer_step.grad_output_noise
        return self._add(
            Line(
                key,
                self._flow_symbol(i, at),
                kind,
                layer_step.name,
                self.step.examples[at[0]],
                terms,
                _total(self.nx, terms),
                layer_step.grad_output[at],
                None if noise is None else noise[at],
            )
        )

    def gradient(self, param: ParamStep, index: tuple[int, ...], symbol: str) -> str:
        """The line of dL/dθ for the entry ``index`` (the scenario's layout) of ``param``."""
        key = f"gradient {symbol}"
        if key in self.lines:
            return key
        i = next(k for k, layer in enumerate(self.step.layers) if layer.name == param.layer)
        layer = self.scenario.layers[i]
        role = next(r for r, name in layer.roles().items() if name == param.name)
        engine_index = self._scenario_index(param.name, index)
        by_example: dict[int, list[Term]] = {}
        for route in layer.param_local(self.arounds[i], role, engine_index):
            uses, to, j = [Use(route.factor)], route.to, i
            # entry-wise layers after it (an activation) join the product: ∂L/∂out × f′ × x
            while j + 1 < len(self.scenario.layers) and self.scenario.layers[j + 1].same_shape:
                onward = self.scenario.layers[j + 1].local(self.arounds[j + 1], to)
                if len(onward) != 1 or onward[0].to != to:
                    break
                uses.insert(0, Use(onward[0].factor))
                to, j = onward[0].to, j + 1
            uses.insert(0, self._ref(self.flow(j, to)))
            value = _product(self.nx, [u.factor.value for u in uses])
            by_example.setdefault(route.to[0], []).append(Term(tuple(uses), value))
        gathered: list[Term] = []
        split = any(len(terms) > 1 for terms in by_example.values()) and len(by_example) > 1
        for position, terms in by_example.items():
            if not split:
                gathered += terms
                continue
            share = self._add(
                Line(
                    f"share {symbol} {position}",
                    f"example {self.step.examples[position]}'s share",
                    "share",
                    param.layer,
                    self.step.examples[position],
                    tuple(terms),
                    _total(self.nx, terms),
                    _total(self.nx, terms),
                )
            )
            ref = self._ref(share)
            gathered.append(Term((ref,), ref.factor.value))
        assert param.grad is not None
        noise = None if param.grad_noise is None else param.grad_noise[index]
        return self._add(
            Line(
                key,
                f"∂L/∂{symbol}",
                "gradient",
                param.layer,
                None,
                tuple(gathered),
                _total(self.nx, gathered),
                param.grad[index],
                noise,
            )
        )

    # -- results --------------------------------------------------------------------------------

    def result(self, target: Target, index: tuple[int, ...]) -> Result:
        if target.kind == "parameter":
            return self._parameter(self.step.param(target.name), index)
        at = (self.focus, *index)
        key = self.flow(target.layer, at)
        symbol = entry_text(target.name, index)
        return Result(symbol, key, why_zero=self._why_zero(key))

    def _parameter(self, param: ParamStep, index: tuple[int, ...]) -> Result:
        symbol = entry_text(param.name, index)
        old, new = param.old[index], param.new[index]
        if not param.trainable or param.grad is None:
            return Result(symbol, None, old, new, frozen=True)
        key = self.gradient(param, index, symbol)
        engine_index = self._scenario_index(param.name, index)
        lines = self.scenario.optimizer.explain(
            old,
            param.grad[index],
            _entry_state(param.optimizer_before, engine_index),
            _entry_state(param.optimizer_after, engine_index),
        )
        return Result(symbol, key, old, new, update=tuple(lines), why_zero=self._why_zero(key))

    def _why_zero(self, key: str) -> tuple[str, ...]:
        """What makes a line 0 (or rounding noise): each zero factor's reason, followed through
        the lines it comes from; terms that cancel, said as such."""
        line = self.lines[key]
        if not _is_zero(line):
            return ()
        found: list[str] = []

        def follow(line: Line, depth: int) -> None:
            if not line.terms:
                _add_reason(found, f"nothing downstream of {line.symbol[4:]} reaches the loss")
            nonzero = []
            for term in line.terms:
                zero = next((u for u in term.uses if u.factor.value == 0), None)
                if zero is None:
                    nonzero.append(term)
                elif zero.factor.why:
                    _add_reason(found, zero.factor.why)
                elif zero.ref is not None and depth < 64:
                    follow(self.lines[zero.ref], depth + 1)
                else:
                    _add_reason(found, f"{zero.factor.symbol} is 0")
            if nonzero:
                _add_reason(
                    found,
                    f"the nonzero terms of {line.symbol} cancel"
                    if line.held == 0 or line.noise is None
                    else f"the terms of {line.symbol} cancel to within rounding",
                )

        follow(line, 0)
        return _by_example(found, self.step.examples[self.focus], len(self.step.examples) > 1)


_EXAMPLE_MARK = re.compile(r" \(ex\. (\d+)\)")


def _by_example(found: list[str], focus: int, batch: bool) -> tuple[str, ...]:
    """Reasons that differ only in their example said once, with the examples they hold for:
    'linear1[5] < 0: the unit is dead (examples 0, 2, 3)'."""
    if not batch:
        return tuple(found)
    rows: dict[str, list[int]] = {}
    for reason in found:
        marks = [int(m) for m in _EXAMPLE_MARK.findall(reason)]
        plain = _EXAMPLE_MARK.sub("", reason)
        rows.setdefault(plain, [])
        for row in marks[:1] or [focus]:
            if row not in rows[plain]:
                rows[plain].append(row)
    out = []
    for plain, examples in rows.items():
        listed = ", ".join(str(r) for r in sorted(examples))
        out.append(f"{plain} (example{'s' if len(examples) > 1 else ''} {listed})")
    return tuple(out)


def _add_reason(found: list[str], reason: str) -> None:
    if reason not in found:
        found.append(reason)


def _is_zero(line: Line) -> bool:
    if line.held == 0:
        return True
    return line.noise is not None and abs(line.held) <= line.noise


def _entry_state(state: Any, index: tuple[int, ...]) -> Any:
    """An optimizer state (a dataclass of arrays) cut down to one entry's scalars."""
    if state is None:
        return None
    return dataclasses.replace(
        state,
        **{
            f.name: getattr(state, f.name)[index]
            for f in dataclasses.fields(state)
            if isinstance(getattr(state, f.name), np.ndarray)
        },
    )


def _product(nx: Numerics, values: list[Any]) -> Any:
    out = nx.one
    for v in values:
        out = out * v
    return out


def _total(nx: Numerics, terms: list[Term] | tuple[Term, ...]) -> Any:
    out = nx.zero
    for term in terms:
        out = out + term.value
    return out
