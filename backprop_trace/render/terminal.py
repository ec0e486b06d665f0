"""The terminal trace: a header, then each step phase by phase, as rich tables.

``phases(trace, options, width)`` yields the output one phase at a time (so ``--step`` can pause
between them); ``render_text`` prints them all. Pure functions of the Trace: nothing is computed
here that the trace does not hold, beyond differences and comparisons for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from backprop_trace.insights import (
    carriers,
    dead_units,
    listing,
    loss_within_rounding,
    step_notes,
)
from backprop_trace.numerics import Array, change_is_noise, errors_within_rounding, to_float
from backprop_trace.render.console import terminal_console
from backprop_trace.render.large import LargeTensors
from backprop_trace.render.numbers import ROUNDING_ZERO, exact_fraction, is_shortened
from backprop_trace.render.summary import RunSummary
from backprop_trace.render.tables import MAX_ROWS, _aside, _fit, _percent, _t, _table
from backprop_trace.render.view import Phase, RenderOptions
from backprop_trace.trace import LayerStep, ParamStep, StepTrace, Trace
from backprop_trace.wording import noun, of_total, plural

WHOLE_HINT = "; --fractions shows every number whole"

TONES = {"blocked": "red", "kink": "yellow", "other side": "magenta"}  # Layer.mark's tones

PHASES = ("forward", "loss", "backward", "update", "verify")
PHASE_TITLES = {
    "forward": "1. Forward pass",
    "loss": "2. Loss",
    "backward": "3. Backward pass",
    "update": "4. Update",
    "verify": "5. Verify",
}


def print_trace(
    trace: Trace,
    options: RenderOptions,
    *,
    go_on: Callable[[str], bool] | None = None,
    only_summary: bool = False,
    stderr: bool = False,
) -> None:
    """Print to the terminal (standard output, or ``stderr``): colour and bold there; bold but
    no colour with NO_COLOR; plain text when piped or with TERM=dumb. Between phases,
    ``go_on(next title)`` is asked whether to continue."""
    console = terminal_console(highlight=False, stderr=stderr)
    with np.errstate(all="ignore"):  # inf - inf in a diverged step is shown, not warned about
        shown = list(phases(trace, options, console.width))
    if only_summary:
        shown = [phase for phase in shown if phase.name == "summary"]
    for i, phase in enumerate(shown):
        print_phase(console, phase)
        if go_on is not None and i < len(shown) - 1 and not go_on(shown[i + 1].title):
            return


def render_text(trace: Trace, console: Console, options: RenderOptions | None = None) -> None:
    with np.errstate(all="ignore"):
        for phase in phases(trace, options or RenderOptions(), console.width):
            print_phase(console, phase)


def print_phase(console: Console, phase: Phase) -> None:
    """Print one phase; lines carry no trailing spaces (rich pads tables to their width). A
    recording console (HTML, SVG export) gets the renderables themselves."""
    if console.record:
        _print_body(console, phase)
        return
    with console.capture() as captured:
        _print_body(console, phase)
    lines = captured.get().split("\n")
    console.file.write("\n".join(line.rstrip(" ") for line in lines))
    console.file.flush()


def _print_body(console: Console, phase: Phase) -> None:
    if phase.step is not None:
        console.print()
        console.rule(_t(phase.title), align="left")
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


def _largest(count: int, singular: str) -> str:
    """'largest update', or '3 largest updates'."""
    return f"largest {singular}" if count == 1 else f"{count} largest {noun(count, singular)}"


class _View(RunSummary, LargeTensors):
    def forward(self, step: StepTrace) -> list[RenderableType]:
        body: list[RenderableType] = [self.inputs(step)]
        for lin, act in self.stages():
            body += self.forward_stage(step, lin, act)
        return body

    def inputs(self, step: StepTrace) -> RenderableType:
        if step.inputs.ndim > 2:
            return Group(*self.maps(step, "Input x", step.inputs))
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
        if pre.ndim > 2 or out.ndim > 2:
            return self.image_stage(step, title, lin, act)
        units = pre.shape[1]
        rows = min(units, MAX_ROWS)
        if pre.size > self.table_limit:
            stats = [("pre-activation" if lin is not None else "input", pre)]
            if act_layer is not None:
                stats.append((f"{act_layer.kind}(·)", out))
            body: list[RenderableType] = [
                self.stats(f"{title}: {plural(units, 'unit')}, summarised", stats)
            ]
            blocking = act is not None and self.scenario.layers[act].blocked(pre) is not None
            if act is not None and act_layer is not None and blocking:
                dead = len(dead_units(self.trace, step, act))
                kinks = len(act_layer.at_kink) + len(act_layer.near_kink)
                body.append(
                    _t(
                        f"{of_total(dead, units, 'unit', 'is')} dead for every example; "
                        f"{plural(kinks, 'value')} on (or within rounding of) the kink."
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
                values = [self.pre_activation(act_layer, 0, j, pre)]
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
                value = self.pre_activation(act_layer, a, j, pre)
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

    def image_stage(
        self, step: StepTrace, title: str, lin: int | None, act: int | None
    ) -> list[RenderableType]:
        """A stage whose values are images: each channel's map as a grid, per example. A layer
        with parameters shows its output (with the marks of the layer after it, as colours, and
        that layer's output after it); a layer alone, its output."""
        layers = step.layers
        body: list[RenderableType] = []
        if lin is not None:
            follower = layers[act] if act is not None else None
            marked = self.marked_map(follower)
            body += self.maps(
                step, f"{title}: output of {layers[lin].name}", layers[lin].output, marked
            )
            if follower is not None:
                body += self.maps(step, f"{follower.name}(·)", follower.output)
        else:
            assert act is not None
            body += self.maps(step, f"{title}: output", layers[act].output)
        return body

    def marked_map(self, follower: LayerStep | None) -> Callable[[tuple[int, ...], str], Text]:
        """A cell's text, styled by the mark the following layer gives its input there."""

        def cell(ix: tuple[int, ...], text: str) -> Text:
            if follower is None:
                return _t(text)
            layer = next(la for la in self.scenario.layers if la.name == follower.name)
            if ix in follower.near_kink:
                return _t(ROUNDING_ZERO, "yellow")
            return _t(text, TONES.get(layer.mark(follower.input[ix])[1], ""))

        return cell

    def maps(
        self,
        step: StepTrace,
        title: str,
        values: Array,
        cell: Callable[[tuple[int, ...], str], Text] | None = None,
        number: Callable[[tuple[int, ...]], str] | None = None,
    ) -> list[RenderableType]:
        """Values of shape [example, channel, height, width] as one grid per channel and
        example (rows: height, columns: width); a batch summarised when its maps are large."""
        examples, channels, height, width = (int(d) for d in values.shape)
        if height * width > self.table_limit:
            return [
                self.stats(
                    f"{title}: {examples} × {channels} × {height} × {width}, summarised",
                    [("values", values)],
                )
            ]
        shown = self.fit_columns(examples, 8) if examples > 1 else 1
        shown = min(shown, 2)  # the JSON trace has every example
        out: list[RenderableType] = []
        for a in range(shown):
            for c in range(channels):
                label = f"{title} · " + (
                    f"{self.example_label(step, a)} · " if examples > 1 else ""
                )
                out += self.grid(
                    f"{label}channel {c}",
                    (height, width),
                    partial(self.map_cell, values, (a, c), cell, number),
                )
        out += self.cut_note(shown, examples, "example")
        return out

    def map_cell(
        self,
        values: Array,
        lead: tuple[int, ...],
        cell: Callable[[tuple[int, ...], str], Text] | None,
        number: Callable[[tuple[int, ...]], str] | None,
        r: int,
        x: int,
    ) -> Text:
        ix = (*lead, r, x)
        text = number(ix) if number is not None else self.num(values[ix])
        return cell(ix, text) if cell is not None else _t(text, "dim" if values[ix] == 0 else "")

    def grid(
        self, title: str, shape: tuple[int, int], cell: Callable[[int, int], Text]
    ) -> list[RenderableType]:
        """One map as a table: a row per row of the map, a column per column."""
        height, width = shape
        cols = self.fit_columns(width)
        rows = min(height, MAX_ROWS)
        table = _table(title, "", *[str(x) for x in range(cols)])
        for r in range(rows):
            table.add_row(str(r), *[cell(r, x) for x in range(cols)])
        return [table, *self.cut_note(rows, height, "row"), *self.cut_note(cols, width, "column")]

    def pre_activation(self, act: LayerStep | None, a: int, j: int, pre: Array) -> str:
        """A pre-activation, or ≈ 0 where it is within float64 rounding of a kink at 0 (a sum
        that is 0 to the precision of the computation; the note quotes its float value)."""
        if act is not None and (a, j) in act.near_kink:
            return ROUNDING_ZERO
        return self.num(pre[a][j])

    def unit_mark(self, act: LayerStep | None, a: int, j: int, pre: Array) -> tuple[str, str]:
        """What the table says beside a pre-activation, and its style: the layer's own mark
        (Layer.mark), or that it is within rounding of a kink."""
        if act is None:
            return "", ""
        if (a, j) in act.near_kink:
            return "≈ kink (rounding)", "yellow"
        layer = next(la for la in self.scenario.layers if la.name == act.name)
        words, tone = layer.mark(pre[a][j])
        return words, TONES.get(tone, "")

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
        # errors (and so their squares) that are 0 to the precision of y - t show as ≈ 0
        rounding = errors_within_rounding(y, t) & (y != t) if not ce else np.zeros(y.shape, bool)
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
                error = ROUNDING_ZERO if rounding[a][j] else self.num(y[a][j] - t[a][j])
                cells += [self.num(y[a][j]), self.num(t[a][j]), error]
            term = step.loss_terms[a][j]
            cells.append(ROUNDING_ZERO if rounding[a][j] and s.loss.of_errors else self.num(term))
            table.add_row(*cells)
        table.add_section()
        loss = self.loss_value(step.loss_before, y, t)
        table.add_row(*(["Loss"] + [""] * (len(heads) - 2) + [loss]), style="bold")
        formula = f"L = {s.loss.formula} " + (
            "≈ 0: every error is 0 to float64's precision" if loss == ROUNDING_ZERO else f"= {loss}"
        )
        if isinstance(step.loss_before, Fraction) and not self.num.fractions:
            formula += f"  (exactly {exact_fraction(step.loss_before)}"
            formula += f"{WHOLE_HINT})" if is_shortened(step.loss_before) else ")"
        return [table, *self.cut_note(len(outputs), y.size, "output"), _t(formula)]

    def loss_value(self, loss: Any, outputs: Array, targets: Array) -> str:
        """A loss, or ≈ 0 where it is made of errors that are all 0 to float64's precision."""
        if loss_within_rounding(self.trace, loss, outputs, targets):
            return ROUNDING_ZERO
        return self.num(loss)

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
        if step.check is not None:
            body += self.gradient_check(step)
        return body

    def gradient_check(self, step: StepTrace) -> list[RenderableType]:
        check = step.check
        assert check is not None
        entries = list(check.entries)
        if len(entries) > MAX_ROWS:  # the worst first
            entries = sorted(entries, key=lambda e: -e.error)[:MAX_ROWS]
        table = _table(
            "Gradient check: (L(p + h) − L(p − h)) / 2h, h = 1e-5·max(1, |p|)",
            "Parameter",
            "Analytic",
            "Numerical",
            "Rel. error",
            "",
        )
        for e in entries:
            table.add_row(
                e.name,
                self.num(e.analytic),
                self.num(e.numerical),
                "—" if e.kink else f"{e.error:.1e}",
                _t("kink: one-sided, not compared", "yellow")
                if e.kink
                else (_t("✓", "green") if e.error <= check.threshold else _t("✗", "bold red")),
            )
        kinks = len(check.entries) - len(check.compared)
        verdict = "pass" if check.passed else "FAIL"
        line = (
            f"Gradient check: {verdict}. Largest relative error {check.max_error:.1e} "
            f"(threshold {check.threshold:.0e}) over {plural(len(check.compared), 'entry')}"
        )
        if kinks:
            line += f"; {kinks} at a kink, where the derivative is one-sided"
        if len(check.entries) < check.total:
            checked = of_total(len(check.entries), check.total, "entry", "was")
            line += f"; {checked} checked (evenly spaced)"
        out: list[RenderableType] = [
            table,
            _t(line + ".", "bold green" if check.passed else "bold red"),
        ]
        if self.trace.numerics == "exact":
            out.append(
                _t(
                    "In exact numerics the analytic gradients are exact fractions; the check "
                    "compares them with float64 differences, so agreement to about 1e-9 is all "
                    "it can show."
                )
            )
        if len(entries) < len(check.entries):
            out.append(_aside(f"(the {len(entries)} largest errors of {len(check.entries)} shown)"))
        return out

    def flow_table(self, step: StepTrace, lin: int | None, act: int | None) -> list[RenderableType]:
        layers = step.layers
        title = "Learning flow: " + self.stage_title(lin, act)
        first = layers[lin] if lin is not None else None
        second = layers[act] if act is not None else None
        if any(la is not None and la.grad_output.ndim > 2 for la in (first, second)):
            return [
                piece
                for la in (second, first)
                if la is not None and la.grad_output.ndim > 2
                for piece in self.maps(
                    step,
                    f"Learning flow dL/d {la.name}",
                    la.grad_output,
                    number=partial(self.flow, la),
                )
            ]
        units = (first or second).grad_output.shape[1]  # type: ignore[union-attr]
        rows = min(units, MAX_ROWS)
        if (first or second).grad_output.size > self.table_limit:  # type: ignore[union-attr]
            flows = [(f"dL/d {lay.name}", lay.grad_output) for lay in (second, first) if lay]
            return [self.stats(f"{title}: {plural(units, 'unit')}, summarised", flows)]
        if len(step.examples) == 1:
            heads = ["Unit"]
            if second is not None:
                heads.append(f"dL/d {second.name}")
            if first is not None:
                heads.append(f"dL/d {first.name}")
            table = _table(title, *heads)
            for j in range(rows):
                cells = [self.flow(layer, (0, j)) for layer in (second, first) if layer is not None]
                table.add_row(str(j), *cells)
            return [table, *self.cut_note(rows, units, "unit")]
        examples = self.fit_columns(len(step.examples), 2)
        target = first or second
        assert target is not None
        table = _table(
            title + f"  (dL/d {target.name})",
            "Unit",
            *[self.example_label(step, a) for a in range(examples)],
        )
        for j in range(rows):
            table.add_row(str(j), *[self.flow(target, (a, j)) for a in range(examples)])
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
                _t(f"Largest |gradient|: {where} = {self.gradient(p, ix)}"),
            ]
        if p.grad.ndim > 2:  # a kernel: one small grid per leading index ([out][in])
            return [
                piece
                for lead in np.ndindex(*p.grad.shape[:-2])
                for piece in self.grid(
                    title + "".join(f"[{i}]" for i in lead),
                    (int(p.grad.shape[-2]), int(p.grad.shape[-1])),
                    partial(self.gradient_cell, p, lead),
                )
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
            cells = []
            for j in range(cols):
                text = self.gradient(p, (i, j) if p.grad.ndim == 2 else j)
                cells.append(_t(text, "dim" if grad[i][j] == 0 or text == ROUNDING_ZERO else ""))
            table.add_row(f"{label[0]} {i}".strip() if p.grad.ndim == 2 else "", *cells)
        return [
            table,
            *self.cut_note(rows, rows_total, "row"),
            *self.cut_note(cols, cols_total, "column"),
        ]

    def gradient_cell(self, p: ParamStep, lead: tuple[int, ...], r: int, x: int) -> Text:
        assert p.grad is not None
        ix = (*lead, r, x)
        text = self.gradient(p, ix)
        return _t(text, "dim" if p.grad[ix] == 0 or text == ROUNDING_ZERO else "")

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
        still = self.why_unchanged(step)
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
                parts.append(f"{int(small.sum()):,} unchanged: {still}")
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
                heading if not big else f"{p.name}: the {_largest(len(indices), 'update')}",
                self.roles[p.name].capitalize(),
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
                    self.gradient(p, ix),
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
        summary = (
            f"{of_total(changed, total, 'parameter', 'changed')}; {total - changed:,} unchanged"
        )
        reasons = [
            f"{n:,} {why}"
            for n, why in (
                (unchanged_zero, "zero gradient"),
                (frozen, "frozen"),
                (unchanged_other, still),
            )
            if n
        ]
        if reasons:
            summary += " (" + ", ".join(reasons) + ")"
        body.append(_t(summary + ".", "bold"))
        return body

    def why_unchanged(self, step: StepTrace) -> str:
        """Why an entry with a non-zero gradient did not move. Plain steps are a positive multiple
        of the gradient, never 0: in float64 they were too small to change the value. Momentum,
        running averages and weight decay can cancel the gradient exactly."""
        if self.trace.numerics == "exact":
            return "the step is exactly 0"
        if carriers(self.trace, step):
            return "step 0 or too small for float64"
        return "step too small for float64"

    def terms_that_do_not_fit(self, step: StepTrace) -> list[str]:
        """Optimizer terms to leave out of the update tables so that they fit the width: the
        optimizer's left_out_first, then from the right."""
        labels = list(next((p.terms for p in step.params if p.terms), {}))
        name_width = 3 + max(
            len(p.name) + sum(len(str(max(d - 1, 0))) + 2 for d in p.old.shape) for p in step.params
        )
        column = self.num.precision + 6
        room = max((self.width - name_width) // column - 4, 0)  # old, gradient, step, new
        first = [label for label in self.scenario.optimizer.left_out_first if label in labels]
        order = first + [label for label in reversed(labels) if label not in first]
        dropped = set(order[: max(len(labels) - room, 0)])
        return [label for label in labels if label in dropped]

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
        settled = (  # on the target to the precision of y - t, before and after
            errors_within_rounding(before, t) & errors_within_rounding(after, t)
            if not ce
            else np.zeros(t.shape, bool)
        )
        for a, j, cells in outputs:
            gap_before, gap_after = abs(before[a][j] - t[a][j]), abs(after[a][j] - t[a][j])
            if settled[a][j]:
                verdict = _t("= same", "dim")
            elif gap_after < gap_before:
                verdict = _t("✓ closer", "green")
            elif gap_after > gap_before:
                verdict = _t("✗ further", "red")
            else:
                verdict = _t("= same", "dim")
            cells += [self.num(before[a][j]), self.num(after[a][j]), self.num(t[a][j])]
            table.add_row(*cells, verdict)
        loss = _table("", "", "Before", "After", "Change")
        change = step.loss_after - step.loss_before
        shown_before = self.loss_value(step.loss_before, step.outputs_before, t)
        shown_after = self.loss_value(step.loss_after, step.outputs_after, t)
        nil = (ROUNDING_ZERO, self.num(0))  # 0, or 0 to the precision of the computation
        if change_is_noise(step.loss_before, step.loss_after) or (
            shown_before in nil
            and shown_after in nil
            and ROUNDING_ZERO in (shown_before, shown_after)
        ):
            shown = _t(ROUNDING_ZERO)  # float64 rounding alone could have made the difference
        else:
            shown = _t(
                self.num.signed(change) + _percent(change, step.loss_before),
                "green" if change < 0 else "red" if change > 0 else "",
            )
        loss.add_row("Loss", shown_before, shown_after, shown)
        out: list[RenderableType] = [table, *self.cut_note(len(outputs), t.size, "output"), loss]
        if isinstance(step.loss_after, Fraction) and not self.num.fractions:
            losses = (step.loss_before, step.loss_after)
            line = "Loss exactly: " + " → ".join(exact_fraction(loss) for loss in losses)
            out.append(_t(line + (WHOLE_HINT if any(map(is_shortened, losses)) else "")))
        return out

    # -- after the steps ----------------------------------------------------------------------


__all__ = ["Phase", "RenderOptions", "phases", "print_phase", "print_trace", "render_text"]
