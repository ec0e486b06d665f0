"""The terminal trace: a header, then each step phase by phase, as rich tables.

``phases(trace, options, width)`` yields the output one phase at a time (so ``--step`` can pause
between them); ``render_text`` prints them all. Pure functions of the Trace: nothing is computed
here that the trace does not hold, beyond differences and comparisons for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from backprop_trace.insights import Note, listing, step_notes
from backprop_trace.numerics import Array, scalar_to_float, to_float
from backprop_trace.render.numbers import NumberStyle
from backprop_trace.trace import LayerStep, ParamStep, StepTrace, Trace

MAX_ROWS = 40  # rows of one table before it is cut (the JSON trace has everything)
NUMBER_WIDTH = 10  # room for one number column, padding included

PHASES = ("forward", "loss", "backward", "update", "verify")
PHASE_TITLES = {
    "forward": "1. Forward pass",
    "loss": "2. Loss",
    "backward": "3. Backward pass",
    "update": "4. Update",
    "verify": "5. Verify",
}


@dataclass(frozen=True)
class RenderOptions:
    precision: int = 4
    fractions: bool = False
    table_limit: int = 64  # a tensor with more entries than this is summarised


@dataclass(frozen=True)
class Phase:
    """One screenful: the header (step None), or one phase of one step."""

    step: int | None
    name: str
    title: str
    body: list[RenderableType] = field(default_factory=list)


def print_trace(
    trace: Trace,
    options: RenderOptions,
    *,
    go_on: Callable[[str], bool] | None = None,
    only_summary: bool = False,
) -> None:
    """Print to the terminal (colour there, plain text when piped or with NO_COLOR). Between
    phases, ``go_on(next title)`` is asked whether to continue."""
    console = Console(highlight=False)
    shown = list(phases(trace, options, console.width))
    if only_summary:
        shown = [phase for phase in shown if phase.name == "summary"]
    for i, phase in enumerate(shown):
        print_phase(console, phase)
        if go_on is not None and i < len(shown) - 1 and not go_on(shown[i + 1].title):
            return


def render_text(trace: Trace, console: Console, options: RenderOptions | None = None) -> None:
    for phase in phases(trace, options or RenderOptions(), console.width):
        print_phase(console, phase)


def print_phase(console: Console, phase: Phase) -> None:
    """Print one phase; lines carry no trailing spaces (rich pads tables to their width)."""
    with console.capture() as captured:
        if phase.step is not None:
            console.print()
            console.rule(Text(phase.title), align="left")
        for item in phase.body:
            if isinstance(item, (Table, Group)):
                console.print()
            parts: list[RenderableType] = [item]
            if isinstance(item, Table):
                parts = _fit(console, item)
            elif isinstance(item, Group):
                parts = [
                    piece
                    for child in item.renderables
                    for piece in (_fit(console, child) if isinstance(child, Table) else [child])
                ]
            for part in parts:
                console.print(part)
    lines = captured.get().split("\n")
    console.file.write("\n".join(line.rstrip(" ") for line in lines))
    console.file.flush()


def phases(trace: Trace, options: RenderOptions, width: int) -> Iterator[Phase]:
    view = _View(trace, options, width)
    yield view.header()
    previous = 0
    for step in trace.steps:
        notes = step_notes(trace, step, view.num)
        for name in PHASES:
            body = getattr(view, name)(step)
            body += view.notes([n for n in notes if n.phase == name])
            if name == "forward" and step.step > previous + 1:
                skipped = (
                    f"step {previous + 1}"
                    if step.step == previous + 2
                    else f"steps {previous + 1}–{step.step - 1}"
                )
                body.insert(
                    0, _t(f"({skipped} ran without being shown: --show picks steps)", "dim")
                )
            heading = f"Step {step.step}"
            if trace.total_steps > 1:
                heading += f" of {trace.total_steps}"
            yield Phase(step.step, name, f"{heading} · {PHASE_TITLES[name]}", body)
        previous = step.step
    if trace.total_steps > 1 or not trace.steps:
        yield view.summary()


def _t(text: str, style: str = "") -> Text:
    """User-given and computed text, never read as rich markup."""
    return Text(text, style=style)


def _percent(change: Any, base: Any) -> str:
    """' (-19.02%)', or nothing where the ratio is not a finite number."""
    if not base:
        return ""
    with np.errstate(all="ignore"):
        ratio = scalar_to_float(change / base * 100)
    return f" ({ratio:+.2f}%)" if np.isfinite(ratio) else ""


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
    widest = [max((cell_len(str(c)) for c in column.cells), default=0) for column in table.columns]
    headers = [cell_len(str(column.header)) for column in table.columns]
    for column, cells, header in zip(table.columns, widest, headers, strict=True):
        column.min_width = max(cells, header)
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


def _count(n: int, noun: str) -> str:
    """_count(1, "changed entry") -> '1 changed entry'; _count(3, ...) -> '3 changed entries'."""
    if n == 1:
        return f"{n:,} {noun}"
    return f"{n:,} {noun[:-1]}ies" if noun.endswith("y") else f"{n:,} {noun}s"


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


class _View:
    def __init__(self, trace: Trace, options: RenderOptions, width: int) -> None:
        self.trace = trace
        self.scenario = trace.scenario
        self.width = width
        exact_fractions = options.fractions and trace.numerics == "exact"
        self.num = NumberStyle(options.precision, exact_fractions)
        self.plain = NumberStyle().plain
        self.table_limit = options.table_limit

    # -- helpers ------------------------------------------------------------------------------

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
                f"({_count(total - shown, what).replace(' ', ' more ', 1)} not shown, {limit}; "
                "--format json has every number)"
            )
        ]

    def notes(self, notes: Sequence[Note]) -> list[RenderableType]:
        out: list[RenderableType] = []
        for note in notes:
            style = {"near_kink": "yellow", "at_kink": "yellow", "loss_rose": "red"}.get(
                note.kind, ""
            )
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

    def stages(self) -> list[tuple[int | None, int | None]]:
        """Linear layers paired with the activation after them: (linear, activation)."""
        layers = self.scenario.layers
        out: list[tuple[int | None, int | None]] = []
        i = 0
        while i < len(layers):
            if layers[i].kind == "linear":
                nxt = i + 1 < len(layers) and layers[i + 1].kind != "linear"
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
            layer = layers[lin]
            title += f"  ({layer.in_features} → {layer.out_features})"  # type: ignore[attr-defined]
        return title

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
        shown = (
            "shown as exact fractions"
            if self.num.fractions
            else f"rounded to {self.num.precision} decimals"
            + (" (--fractions shows them exactly)" if trace.numerics == "exact" else "")
        )
        grid.add_row("Arithmetic", _t(f"{arithmetic}; numbers {shown}"))
        grid.add_row("Network", _t(self.network_line()))
        grid.add_row("Parameters", _t(self.parameter_line()))
        grid.add_row("Loss", _t(f"{s.loss.kind} = {s.loss.formula}"))
        hyper = ", ".join(f"{k}={self.plain(v)}" for k, v in s.optimizer.hyperparameters().items())
        grid.add_row("Optimizer", _t(f"{s.optimizer.kind}: {hyper}"))
        grid.add_row("Data", _t(self.data_line()))
        body += [Padding(grid, (1, 0, 0, 2), expand=False)]
        return Phase(None, "header", s.name, body)

    def network_line(self) -> str:
        width_in = int(self.scenario.inputs.shape[1])
        parts = [f"{width_in} input" + ("s" if width_in != 1 else "")]
        for layer in self.scenario.layers:
            if layer.kind == "linear":
                parts.append(f"{layer.name} ({layer.in_features}→{layer.out_features})")  # type: ignore[attr-defined]
            else:
                parts.append(layer.name)
        width = int(self.scenario.targets.shape[1])
        parts.append(f"{width} output" + ("s" if width != 1 else ""))
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
        text = f"{n} example" + ("s" if n != 1 else "")
        if n > 1:
            text += f", batches of {s.batch_size}"
        text += f"; {self.trace.total_steps} step" + ("s" if self.trace.total_steps != 1 else "")
        return text

    # -- 1. forward ---------------------------------------------------------------------------

    def forward(self, step: StepTrace) -> list[RenderableType]:
        body: list[RenderableType] = [self.inputs(step)]
        for lin, act in self.stages():
            body += self.forward_stage(step, lin, act)
        return body

    def inputs(self, step: StepTrace) -> RenderableType:
        if step.inputs.size > self.table_limit:
            n, f = step.inputs.shape
            return self.stats(f"Inputs ({n} × {f}, summarised)", [("x", step.inputs)])
        if len(step.examples) == 1:
            return _t(f"Input x = {self.num.vector(step.inputs[0])}")
        cols = self.fit_columns(step.inputs.shape[1])
        table = _table("Inputs", "Example", *[f"x{i}" for i in range(cols)])
        for a in range(min(len(step.examples), MAX_ROWS)):
            table.add_row(
                self.example_label(step, a), *[self.num(v) for v in step.inputs[a][:cols]]
            )
        return Group(table, *self.cut_note(cols, step.inputs.shape[1], "input"))

    def forward_stage(
        self, step: StepTrace, lin: int | None, act: int | None
    ) -> list[RenderableType]:
        layers = step.layers
        pre = layers[lin].output if lin is not None else layers[act].input  # type: ignore[index]
        out = layers[act].output if act is not None else pre
        act_layer = layers[act] if act is not None else None
        title = self.stage_title(lin, act)
        units = pre.shape[1]
        rows = min(units, MAX_ROWS)
        if pre.size > self.table_limit:
            stats = [("pre-activation" if lin is not None else "input", pre)]
            if act_layer is not None:
                stats.append((f"{act_layer.kind}(·)", out))
            body: list[RenderableType] = [self.stats(f"{title}: {units} units, summarised", stats)]
            if act_layer is not None and act_layer.kind == "relu":
                marks = [
                    self.unit_mark(act_layer, a, j, pre)[0]
                    for a in range(pre.shape[0])
                    for j in range(units)
                ]
                dead = sum(
                    1
                    for j in range(units)
                    if all(
                        self.unit_mark(act_layer, a, j, pre)[0] in ("dead", "at kink: dead")
                        for a in range(pre.shape[0])
                    )
                )
                kinks = sum(1 for m in marks if m.startswith("at kink") or m.startswith("≈"))
                body.append(
                    _t(
                        f"{dead} of {units} units dead for every example; "
                        f"{kinks} values on (or within rounding of) the kink."
                    )
                )
            return body
        if len(step.examples) == 1:
            heads = ["Unit", "Pre-activation" if lin is not None else "Input"]
            if act_layer is not None:
                heads.append(f"{act_layer.kind}(·)")
            else:
                heads[1] = "Output"
            table = _table(title, *heads, "")
            for j in range(rows):
                values = [self.num(pre[0][j])]
                if act_layer is not None:
                    values.append(self.num(out[0][j]))
                mark, style = self.unit_mark(act_layer, 0, j, pre)
                table.add_row(str(j), *values, _t(mark, style))
            return [table, *self.cut_note(rows, units, "unit")]
        examples = self.fit_columns(len(step.examples), 2)
        table = _table(title, "Unit", *[self.example_label(step, a) for a in range(examples)])
        for j in range(rows):
            cells: list[Text] = []
            for a in range(examples):
                mark, style = self.unit_mark(act_layer, a, j, pre)
                value = self.num(pre[a][j])
                if act_layer is not None:
                    value += f" → {self.num(out[a][j])}"
                cells.append(_t(value + (f" {mark}" if mark else ""), style))
            table.add_row(str(j), *cells)
        caption = "each cell: pre-activation → output" if act_layer is not None else ""
        if caption:
            table.caption = _t(caption)
        return [
            table,
            *self.cut_note(rows, units, "unit"),
            *self.cut_note(examples, len(step.examples), "example"),
        ]

    def unit_mark(self, act: LayerStep | None, a: int, j: int, pre: Array) -> tuple[str, str]:
        if act is None:
            return "", ""
        if (a, j) in act.near_kink:
            return "≈ kink (rounding)", "yellow"
        z = pre[a][j]
        if act.kind == "relu":
            layer = self.scenario.layers[[lay.name for lay in self.scenario.layers].index(act.name)]
            if z == 0:
                blocked = getattr(layer, "grad_at_zero", 0) == 0
                return ("at kink: dead" if blocked else "at kink: passes"), "yellow"
            if z < 0:
                return "dead", "red"
        if act.kind == "leaky_relu" and z <= 0:
            return "negative side", "magenta"
        return "", ""

    # -- 2. loss ------------------------------------------------------------------------------

    def loss(self, step: StepTrace) -> list[RenderableType]:
        s = self.scenario
        batch = len(step.examples) > 1
        ce = step.probabilities is not None
        heads = (["Example"] if batch else []) + ["Output"]
        heads += ["Logit", "Probability", "Target"] if ce else ["Prediction", "Target", "Error"]
        heads.append("Contribution")
        table = _table("", *heads)
        y, t = step.outputs_before, step.targets
        outputs = self.outputs(step)
        for a, j, cells in outputs:
            if ce:
                assert step.probabilities is not None
                cells += [
                    self.num(y[a][j]),
                    self.num(step.probabilities[a][j]),
                    self.num(t[a][j]),
                ]
            else:
                cells += [self.num(y[a][j]), self.num(t[a][j]), self.num(y[a][j] - t[a][j])]
            cells.append(self.num(step.loss_terms[a][j]))
            table.add_row(*cells)
        table.add_section()
        table.add_row(
            *(["Loss"] + [""] * (len(heads) - 2) + [self.num(step.loss_before)]), style="bold"
        )
        formula = f"L = {s.loss.formula} = {self.num(step.loss_before)}"
        if isinstance(step.loss_before, Fraction) and not self.num.fractions:
            formula += f"  (exactly {step.loss_before})"
        return [table, *self.cut_note(len(outputs), y.size, "output"), _t(formula)]

    # -- 3. backward --------------------------------------------------------------------------

    def backward(self, step: StepTrace) -> list[RenderableType]:
        body: list[RenderableType] = [
            _t("The learning flow dL/d(output) runs from the loss back to the first layer.")
        ]
        for lin, act in reversed(self.stages()):
            body += self.flow_table(step, lin, act)
            if lin is not None:
                for name in step.layers[lin].params:
                    body += self.gradient_grid(step.param(name))
        return body

    def flow_table(self, step: StepTrace, lin: int | None, act: int | None) -> list[RenderableType]:
        layers = step.layers
        title = "Learning flow: " + self.stage_title(lin, act)
        first = layers[lin] if lin is not None else None
        second = layers[act] if act is not None else None
        units = (first or second).grad_output.shape[1]  # type: ignore[union-attr]
        rows = min(units, MAX_ROWS)
        if (first or second).grad_output.size > self.table_limit:  # type: ignore[union-attr]
            flows = [(f"dL/d {lay.name}", lay.grad_output) for lay in (second, first) if lay]
            return [self.stats(f"{title}: {units} units, summarised", flows)]
        if len(step.examples) == 1:
            heads = ["Unit"]
            if second is not None:
                heads.append(f"dL/d {second.name}")
            if first is not None:
                heads.append(f"dL/d {first.name}")
            table = _table(title, *heads)
            for j in range(rows):
                cells = [
                    self.num(layer.grad_output[0][j])
                    for layer in (second, first)
                    if layer is not None
                ]
                table.add_row(str(j), *cells)
            return [table, *self.cut_note(rows, units, "unit")]
        flow = (first or second).grad_output  # type: ignore[union-attr]
        examples = self.fit_columns(len(step.examples), 2)
        target = first or second
        assert target is not None
        table = _table(
            title + f"  (dL/d {target.name})",
            "Unit",
            *[self.example_label(step, a) for a in range(examples)],
        )
        for j in range(rows):
            table.add_row(str(j), *[self.num(flow[a][j]) for a in range(examples)])
        return [
            table,
            *self.cut_note(rows, units, "unit"),
            *self.cut_note(examples, len(step.examples), "example"),
        ]

    def gradient_grid(self, p: ParamStep) -> list[RenderableType]:
        if p.grad is None:
            return [_t(f"{p.name}: frozen, no gradient", "blue")]
        title = f"dL/d{p.name}"
        if p.grad.size > self.table_limit:
            f = np.abs(to_float(p.grad))
            ix = tuple(int(i) for i in np.unravel_index(int(np.argmax(f)), f.shape))
            where = p.name + "".join(f"[{i}]" for i in ix)
            shape = "×".join(str(d) for d in p.shape)
            return [
                self.stats(f"{title} ({shape}, summarised)", [("gradient", p.grad)]),
                _t(f"Largest |gradient|: {where} = {self.num(p.grad[ix])}"),
            ]
        grad = p.grad if p.grad.ndim == 2 else p.grad.reshape(1, -1)
        rows_total, cols_total = grad.shape
        cols = self.fit_columns(cols_total)
        rows = min(rows_total, MAX_ROWS)
        label = (
            (("in", "unit") if self.scenario.layout == "in_out" else ("unit", "in"))
            if p.grad.ndim == 2
            else ("", "unit")
        )
        table = _table(title, "", *[f"{label[1]} {j}" for j in range(cols)])
        for i in range(rows):
            cells = [_t(self.num(v), "dim" if v == 0 else "") for v in grad[i][:cols]]
            table.add_row(f"{label[0]} {i}".strip() if p.grad.ndim == 2 else "", *cells)
        return [
            table,
            *self.cut_note(rows, rows_total, "row"),
            *self.cut_note(cols, cols_total, "column"),
        ]

    # -- 4. update ----------------------------------------------------------------------------

    def update(self, step: StepTrace) -> list[RenderableType]:
        opt = self.scenario.optimizer
        plain_sgd = opt.kind == "sgd" and not any(
            getattr(opt, k) for k in ("momentum", "weight_decay")
        )
        lr = self.plain(opt.lr)
        if plain_sgd:
            rule = f"new = old − η × grad, with η = {lr}"
            step_head = "η × grad"
        else:
            rule = f"new = old − step, where ({opt.kind}) {opt.rule()}"
            step_head = "Step"
        body: list[RenderableType] = [_t(rule)]
        dropped = self.terms_that_do_not_fit(step)
        if dropped:
            body.append(
                _t(
                    f"({', '.join(dropped)} not shown at this width; --format json has every term)",
                    "dim",
                )
            )
        changed_rows: list[tuple[str, Any, Any]] = []
        changed = unchanged_zero = unchanged_other = frozen = 0
        summarised: list[str] = []
        for p in step.params:
            if not p.trainable:
                frozen += p.old.size
                body.append(_t(f"{p.name}: frozen, not trained ({p.old.size} unchanged)", "blue"))
                continue
            assert p.grad is not None
            moved = p.new != p.old
            zero = (~moved) & (p.grad == 0)
            small = (~moved) & (p.grad != 0)
            changed += int(moved.sum())
            unchanged_zero += int(zero.sum())
            unchanged_other += int(small.sum())
            parts = [f"{int(moved.sum()):,} of {p.old.size:,} changed"]
            if zero.any():
                parts.append(f"{int(zero.sum()):,} unchanged: zero gradient")
            if small.any():
                parts.append(f"{int(small.sum()):,} unchanged: step too small")
            heading = f"{p.name}: " + "; ".join(parts)
            if not moved.any():
                body.append(_t(heading))
                continue
            big = p.old.size > self.table_limit
            if big:
                summarised.append(p.name)
                shape = "×".join(str(d) for d in p.shape)
                heading = heading.replace(f"{p.name}:", f"{p.name} ({shape}):", 1)
                heading += f" (summarised: more than {self.table_limit} entries, --table-limit)"
                sizes = np.abs(to_float(p.old - p.new)).ravel()
                order = np.argsort(-sizes, kind="stable")[: min(10, int(moved.sum()))]
                indices = [
                    tuple(int(i) for i in np.unravel_index(int(k), p.old.shape)) for k in order
                ]
            else:
                indices = [tuple(int(i) for i in ix) for ix in np.argwhere(moved)]
            table = _table(
                heading if not big else f"{p.name}: the {len(indices)} largest updates",
                "Weight" if p.old.ndim == 2 else "Bias",
                "Old",
                "Gradient",
                *[label for label in p.terms if label not in dropped],
                step_head,
                "New",
            )
            for ix in indices[:MAX_ROWS]:
                name = p.name + "".join(f"[{i}]" for i in ix)
                old, new = p.old[ix], p.new[ix]
                table.add_row(
                    name,
                    self.num(old),
                    self.num(p.grad[ix]),
                    *[self.num(v[ix]) for label, v in p.terms.items() if label not in dropped],
                    _t(self.num(old - new), "red" if old > new else "green"),
                    _t(self.num(new), "bold"),
                )
            if big:
                body += [self.tensor_stats(p, heading), table, self.update_histogram(p)]
                continue
            changed_rows += [
                (p.name + "".join(f"[{i}]" for i in ix), p.old[ix], p.new[ix]) for ix in indices
            ]
            body += [
                table,
                *self.cut_note(min(len(indices), MAX_ROWS), len(indices), "changed entry"),
            ]
        body += self.before_after(changed_rows, summarised)
        total = sum(p.old.size for p in step.params)
        summary = f"{changed:,} of {total:,} parameters changed; {total - changed:,} unchanged"
        reasons = [
            f"{n:,} {why}"
            for n, why in (
                (unchanged_zero, "zero gradient"),
                (frozen, "frozen"),
                (unchanged_other, "step too small for float64"),
            )
            if n
        ]
        if reasons:
            summary += " (" + ", ".join(reasons) + ")"
        body.append(_t(summary + ".", "bold"))
        return body

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
                self.num(f.min()),
                self.num(f.mean()),
                self.num(f.max()),
                self.num(float(np.sqrt((f * f).sum()))),
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
        bar_room = max(10, self.width - 32)
        table = _table(f"{p.name}: size of the update |old − new|", "Size", "Entries", "")
        table.columns[-1].justify = "left"
        for label, count in bins:
            table.add_row(
                label, f"{count:,}", "█" * max(1 if count else 0, round(count / most * bar_room))
            )
        return table

    def terms_that_do_not_fit(self, step: StepTrace) -> list[str]:
        """Optimizer terms to leave out of the update tables so that they fit the width."""
        labels = list(next((p.terms for p in step.params if p.terms), {}))
        name_width = 3 + max(
            len(p.name) + sum(len(str(max(d - 1, 0))) + 2 for d in p.old.shape) for p in step.params
        )
        column = self.num.precision + 6
        room = (self.width - name_width) // column - 4  # old, gradient, step, new
        return labels[max(room, 0) :]

    def before_after(
        self, rows: list[tuple[str, Any, Any]], summarised: Sequence[str] = ()
    ) -> list[RenderableType]:
        if summarised and not rows:
            return []
        if not rows:
            return [_t("No parameter changed.")]
        table = _table(
            "Before → after: every parameter that changed", "Parameter", "Before", "After", "Change"
        )
        for name, old, new in rows[:MAX_ROWS]:
            change = new - old
            table.add_row(
                name,
                self.num(old),
                self.num(new),
                _t(self.num.signed(change), "green" if change > 0 else "red"),
            )
        out = [table, *self.cut_note(min(len(rows), MAX_ROWS), len(rows), "changed parameter")]
        if summarised:
            out.append(
                _t(f"(the changes of {listing(list(summarised))} are summarised above)", "dim")
            )
        return out

    # -- 5. verify ----------------------------------------------------------------------------

    def verify(self, step: StepTrace) -> list[RenderableType]:
        batch = len(step.examples) > 1
        ce = step.probabilities is not None and step.probabilities_after is not None
        before = step.probabilities if ce else step.outputs_before
        after = step.probabilities_after if ce else step.outputs_after
        assert before is not None and after is not None
        heads = (["Example"] if batch else []) + ["Output"]
        heads += ["P before", "P after"] if ce else ["Before", "After"]
        table = _table("Forward pass with the new weights", *heads, "Target", "Better?")
        t = step.targets
        outputs = self.outputs(step)
        for a, j, cells in outputs:
            gap_before, gap_after = abs(before[a][j] - t[a][j]), abs(after[a][j] - t[a][j])
            if gap_after < gap_before:
                verdict = _t("✓ closer", "green")
            elif gap_after > gap_before:
                verdict = _t("✗ further", "red")
            else:
                verdict = _t("= same", "dim")
            cells += [self.num(before[a][j]), self.num(after[a][j]), self.num(t[a][j])]
            table.add_row(*cells, verdict)
        loss = _table("", "", "Before", "After", "Change")
        change = step.loss_after - step.loss_before
        percent = _percent(change, step.loss_before)
        loss.add_row(
            "Loss",
            self.num(step.loss_before),
            self.num(step.loss_after),
            _t(
                self.num.signed(change) + percent,
                "green" if change < 0 else "red" if change > 0 else "",
            ),
        )
        out: list[RenderableType] = [table, *self.cut_note(len(outputs), t.size, "output"), loss]
        if isinstance(step.loss_after, Fraction) and not self.num.fractions:
            out.append(_t(f"Loss exactly: {step.loss_before} → {step.loss_after}"))
        return out

    # -- after the steps ----------------------------------------------------------------------

    def summary(self) -> Phase:
        trace = self.trace
        before, after = trace.losses_before, trace.losses_after
        if not after:
            return Phase(0, "summary", "Run summary", [_t("No step ran.")])
        body: list[RenderableType] = [self.loss_curve(before)]
        candidates = [(before[0], "before step 1")] + [
            (loss, f"after step {k + 1}") for k, loss in enumerate(after)
        ]
        finite = [
            c for c in candidates if np.isfinite(to_float(np.asarray([c[0]], dtype=object)))[0]
        ]
        lowest, when = min(finite or candidates, key=lambda c: c[0])
        line = (
            f"Loss {self.num(before[0])} before step 1 → {self.num(after[-1])} after step "
            f"{len(after)}; lowest {self.num(lowest)} {when}."
        )
        if self.scenario.batches > 1:
            line += " Each loss is on that step's own batch."
        body.append(_t(line))
        body += self.moved_most()
        return Phase(0, "summary", "Run summary", body)

    def loss_curve(self, losses: Sequence[float], height: int = 8) -> RenderableType:
        """The loss before each step, as columns of block characters (one per step, or per
        group of steps when there are more steps than columns: the group's mean)."""
        values = to_float(np.asarray(losses, dtype=object))
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return _t("(no finite loss to draw)")
        top, bottom = self.num(float(finite.max())), self.num(float(finite.min()))
        pad = max(len(top), len(bottom))
        columns = max(1, min(len(values), self.width - pad - 4))
        groups = np.array_split(values, columns)
        points = np.array(
            [g[np.isfinite(g)].mean() if np.isfinite(g).any() else np.nan for g in groups]
        )
        low, high = float(finite.min()), float(finite.max())
        log = low > 0 and high / low > 100
        scale = np.log10 if log else (lambda v: v)
        lo, hi = float(scale(low)), float(scale(high))
        span = hi - lo or 1.0
        levels = np.where(
            np.isfinite(points),
            np.round(
                (scale(np.where(np.isfinite(points), points, low)) - lo) / span * (height * 8 - 1)
            )
            + 1,
            0,
        ).astype(int)
        blocks = " ▁▂▃▄▅▆▇█"
        rows = []
        for r in range(height - 1, -1, -1):
            line = "".join(blocks[int(min(8, max(0, lv - r * 8)))] for lv in levels)
            label = top if r == height - 1 else bottom if r == 0 else ""
            rows.append(f"{label:>{pad}} ┤{line}")
        steps = len(values)
        axis = " " * (pad + 1) + "└" + "─" * columns
        ticks = " " * (pad + 2) + "1" + f"{steps}".rjust(max(1, columns - 1))
        title = f"Loss before each step, 1 to {steps}" + (" (log scale)" if log else "")
        if columns < steps:
            title += f"; {steps} steps in {columns} columns, each the mean of its steps"
        return Group(_t(title, "bold"), *[_t(row) for row in rows], _t(axis), _t(ticks))

    def moved_most(self, count: int = 5) -> list[RenderableType]:
        s, trace = self.scenario, self.trace
        moves: list[tuple[float, str, Any, Any]] = []
        for name in s.param_order:
            start = s.in_layout(name, s.initial[name])
            end = trace.final_params[name]
            change = np.abs(to_float(end - start)).ravel()
            for flat in np.argsort(-change, kind="stable")[:count]:
                if change[flat] == 0:
                    break
                ix = np.unravel_index(int(flat), start.shape)
                label = name + "".join(f"[{int(i)}]" for i in ix)
                moves.append((float(change[flat]), label, start[ix], end[ix]))
        moves.sort(key=lambda m: -m[0])
        if not moves:
            return [_t("No parameter moved over the run.")]
        table = _table("Moved most over the run", "Parameter", "Start", "End", "Change")
        for _, label, start, end in moves[:count]:
            table.add_row(label, self.num(start), self.num(end), self.num.signed(end - start))
        return [table]


__all__ = ["Phase", "RenderOptions", "phases", "print_phase", "print_trace", "render_text"]
