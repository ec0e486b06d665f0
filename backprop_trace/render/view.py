"""What every part of the terminal trace shares: the trace, the number style, the width, and the
header that opens the output."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.table import Table
from rich.text import Text

from backprop_trace.insights import Note
from backprop_trace.layers import Marked, TableData
from backprop_trace.numerics import Array, is_rounding_noise, to_float, within_noise
from backprop_trace.render.numbers import (
    DEFAULT_PRECISION,
    ROUNDING_ZERO,
    SIGNIFICANT,
    NumberStyle,
)
from backprop_trace.render.tables import MAX_ROWS, NUMBER_WIDTH, _aside, _t, _table
from backprop_trace.trace import LayerStep, ParamStep, StepTrace, Trace
from backprop_trace.wording import plural


def shape_label(shape: tuple[int, ...], arrow: str = "", after: tuple[int, ...] = ()) -> str:
    """(3,) -> '3'; (1, 8, 8) -> '1×8×8'; with an arrow and a second shape: '3→2'."""
    text = "×".join(str(d) for d in shape)
    return text + (arrow + shape_label(after) if arrow else "")


PICK = "pick"  # the style meta key of a cell that shows an entry (View.pick)

# Layer.mark's tones, and Marked's, as colours
TONES = {"blocked": "red", "kink": "yellow", "other side": "magenta", "quiet": "dim"}


@dataclass(frozen=True)
class RenderOptions:
    precision: int | None = None  # None: 4 decimals, and small values to 4 significant digits
    fractions: bool = False
    table_limit: int = 64  # a tensor with more entries than this is summarised
    explain: tuple[str, ...] = ()  # run --explain: expansions shown in the backward phase
    phases: tuple[str, ...] = ()  # run --phase: only these (PHASE_NAMES); () every one


@dataclass(frozen=True)
class Phase:
    """One screenful: the header (step None), or one phase of one step."""

    step: int | None
    name: str
    title: str
    body: list[RenderableType] = field(default_factory=list)


class View:
    """What every part of the terminal trace shares: the trace, the number style, the width, the
    helpers that show an entry, and the header."""

    def __init__(
        self, trace: Trace, options: RenderOptions, width: int, *, picking: bool = False
    ) -> None:
        self.trace = trace
        self.picking = picking
        self.scenario = trace.scenario
        self.width = width
        exact_fractions = options.fractions and trace.numerics == "exact"
        self.num = NumberStyle(
            DEFAULT_PRECISION if options.precision is None else options.precision,
            exact_fractions,
            explicit=options.precision is not None,
        )
        self.plain = NumberStyle().plain
        self.table_limit = options.table_limit
        self.roles = {  # parameter name -> its role in its layer (weight, bias)
            name: role for layer in self.scenario.layers for role, name in layer.roles().items()
        }

    # -- helpers ------------------------------------------------------------------------------

    def pick(self, cell: str | Text, entry: str, example: int | None = None) -> Text:
        """A cell that shows an entry (``W1[0][2]``, ``relu1[2]``, ``loss[0]``; of one example
        of a batch): in the explorer it carries the entry's name in its style's meta, where a
        key or a click picks it; elsewhere it is the cell as it was."""
        text = _t(cell) if isinstance(cell, str) else cell
        if self.picking:
            text.stylize(Style(meta={PICK: (entry, example)}))
        return text

    def gradient(self, p: ParamStep, ix: Any) -> str:
        """One gradient entry (a sum over the batch), or ≈ 0 within its rounding bound."""
        assert p.grad is not None
        return self.sum_entry(p.grad, p.grad_noise, ix)

    def flow(self, layer: LayerStep, ix: Any) -> str:
        """One entry of a layer's learning flow, or ≈ 0 within its rounding bound."""
        return self.sum_entry(layer.grad_output, layer.grad_output_noise, ix)

    def sum_entry(self, values: Array, bounds: Array | None, ix: Any) -> str:
        """An entry of a float64 sum, or ≈ 0 where the rounding of sums alone could have made
        it (the trace carries the bounds: numerics.noise_bound); exact values as they are."""
        value = values[ix]
        if bounds is not None and within_noise(value, bounds[ix]):
            return ROUNDING_ZERO
        return self.num(value)

    def mean(self, values: Array) -> str:
        """The mean of a tensor: exact in exact numerics; in float64, ≈ 0 where the sum is within
        the rounding bound of its terms (a mean of gradients that cancel, say)."""
        if values.dtype == object:
            return self.num(sum(values.flat, Fraction(0)) / values.size)
        f = to_float(values)
        total = f.sum()
        if is_rounding_noise(total, np.abs(f).sum(), f.size):
            return ROUNDING_ZERO
        return self.num(total / f.size)

    def plain_table(self, data: TableData) -> RenderableType:
        """A kind's own table (Layer.forward_tables): its text as it is, its numbers in the
        run's number style, marked ones coloured as the forward table colours marks; rows past
        MAX_ROWS cut, and said so."""
        table = _table(data.title, *data.columns, caption=data.caption)
        for row in data.rows[:MAX_ROWS]:
            table.add_row(*[self.plain_cell(cell) for cell in row])
        return Group(table, *self.cut_note(min(len(data.rows), MAX_ROWS), len(data.rows), "row"))

    def plain_cell(self, cell: Any) -> Text:
        if isinstance(cell, str):
            return _t(cell)
        if isinstance(cell, Marked):
            return _t(self.num(cell.value), TONES.get(cell.tone, ""))
        return _t(self.num(cell))

    def fit_columns(self, wanted: int, fixed: int = 1) -> int:
        """How many number columns fit beside ``fixed`` label columns."""
        room = max(1, (self.width - 8 * fixed) // NUMBER_WIDTH)
        return max(1, min(wanted, room))

    def cut_note(self, shown: int, total: int, what: str) -> list[RenderableType]:
        if shown >= total:
            return []
        limit = (
            f"at most {MAX_ROWS} rows a table"
            if shown == MAX_ROWS
            else (f"to fit {self.width} columns")
        )
        return [
            _aside(
                f"({plural(total - shown, what).replace(' ', ' more ', 1)} not shown, {limit}; "
                "--format json has every number)"
            )
        ]

    def notes(self, notes: Sequence[Note]) -> list[RenderableType]:
        out: list[RenderableType] = []
        for note in notes:
            style = {
                "near_kink": "yellow",
                "at_kink": "yellow",
                "overshot": "red",
                "uphill": "red",
                "vanishing": "yellow",
                "exploding": "red",
            }.get(note.kind, "")
            out.append(Padding(_t("• " + note.text, style), (0, 0, 0, 2), expand=False))
        return out

    def example_label(self, step: StepTrace, a: int) -> str:
        return f"ex {step.examples[a]}"

    def outputs(self, step: StepTrace) -> list[tuple[int, int, list[str]]]:
        """(example, output, its label cells) for the rows of an output table, at most MAX_ROWS."""
        batch = len(step.examples) > 1
        width = int(step.outputs_before.shape[1])
        pairs = [(a, j) for a in range(len(step.examples)) for j in range(width)][:MAX_ROWS]
        return [
            (a, j, ([self.example_label(step, a)] if batch else []) + [str(j)]) for a, j in pairs
        ]

    @staticmethod
    def entry(name: str, index: Any) -> str:
        """'W1[0][2]': a tensor's name with an entry's indexes."""
        ix = index if isinstance(index, tuple) else (index,)
        return name + "".join(f"[{int(i)}]" for i in ix)

    def stages(self) -> list[tuple[int | None, int | None]]:
        """The layers as the tables show them: a layer with parameters together with an
        entry-wise layer without any right after it (linear → relu), as (producer, follower);
        other layers alone, as (None, i)."""
        layers = self.scenario.layers
        out: list[tuple[int | None, int | None]] = []
        i = 0
        while i < len(layers):
            if layers[i].param_names:
                nxt = i + 1 < len(layers) and not layers[i + 1].param_names
                nxt = nxt and layers[i + 1].same_shape
                out.append((i, i + 1 if nxt else None))
                i += 2 if nxt else 1
            else:
                out.append((None, i))
                i += 1
        return out

    def stage_title(self, lin: int | None, act: int | None) -> str:
        layers = self.scenario.layers
        names = [layers[i].name for i in (lin, act) if i is not None]
        title = " → ".join(names)
        if lin is not None:
            shapes = self.shapes()
            title += f"  ({shape_label(shapes[lin])} → {shape_label(shapes[lin + 1])})"
        return title

    def shapes(self) -> list[tuple[int, ...]]:
        """One example's shape before each layer and after the last: [input, out 1, ...]."""
        shape = tuple(int(d) for d in self.scenario.inputs.shape[1:])
        out = [shape]
        for layer in self.scenario.layers:
            shape = layer.output_shape(shape)
            out.append(shape)
        return out

    # -- header -------------------------------------------------------------------------------

    def header(self) -> Phase:
        s, trace = self.scenario, self.trace
        body: list[RenderableType] = [_t(s.name, "bold")]
        if s.description:
            body.append(_t(s.description))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        arithmetic = trace.numerics_reason
        if arithmetic.startswith("exact:"):
            arithmetic = "exact fractions:" + arithmetic[len("exact:") :]
        decimals = f"rounded to {self.num.precision} decimals"
        if not self.num.explicit:
            smallest = self.plain(self.num.smallest_with_enough_digits)
            decimals += f", below {smallest} to {SIGNIFICANT} significant digits"
        shown = (
            "shown as exact fractions"
            if self.num.fractions
            else decimals
            + (" (--fractions shows them exactly)" if trace.numerics == "exact" else "")
        )
        grid.add_row(_t("Arithmetic"), _t(f"{arithmetic}; numbers {shown}"))
        grid.add_row(_t("Network"), _t(self.network_line()))
        grid.add_row(_t("Parameters"), _t(self.parameter_line()))
        grid.add_row(_t("Loss"), _t(f"{s.loss.kind} = {s.loss.formula}"))
        hyper = ", ".join(f"{k}={self.plain(v)}" for k, v in s.optimizer.hyperparameters().items())
        grid.add_row(_t("Optimizer"), _t(f"{s.optimizer.kind}: {hyper}"))
        grid.add_row(_t("Data"), _t(self.data_line()))
        body += [Padding(grid, (1, 0, 0, 2), expand=False)]
        return Phase(None, "header", s.name, body)

    def network_line(self) -> str:
        shapes = self.shapes()
        first = shapes[0]
        parts = [plural(first[0], "input") if len(first) == 1 else f"{shape_label(first)} input"]
        for i, layer in enumerate(self.scenario.layers):
            if layer.param_names:
                parts.append(f"{layer.name} ({shape_label(shapes[i], '→', shapes[i + 1])})")
            else:
                parts.append(layer.name)
        width = int(self.scenario.targets.shape[1])
        parts.append(plural(width, "output"))
        return " → ".join(parts)

    def parameter_line(self) -> str:
        s = self.scenario
        shapes = ", ".join(f"{n} {'×'.join(str(d) for d in self.shape(n))}" for n in s.param_order)
        frozen = sum(int(s.initial[n].size) for n in s.frozen)
        status = (
            "all trainable" if not frozen else f"{frozen} frozen: {', '.join(sorted(s.frozen))}"
        )
        return f"{s.parameter_count:,} ({shapes}; {status})"

    def shape(self, name: str) -> tuple[int, ...]:
        shape = tuple(int(d) for d in self.scenario.initial[name].shape)
        return shape[::-1] if self.scenario.layout == "out_in" else shape

    def data_line(self) -> str:
        s = self.scenario
        n = s.examples
        text = plural(n, "example")
        if n > 1:
            text += f", batches of {s.batch_size}"
        text += f"; {plural(self.trace.total_steps, 'step')}"
        return text

    # -- 1. forward ---------------------------------------------------------------------------
