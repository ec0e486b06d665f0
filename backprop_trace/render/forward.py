"""The forward pass, as the terminal shows it: inputs, each stage's table, images as grids."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.text import Text

from backprop_trace.insights import dead_units
from backprop_trace.numerics import Array
from backprop_trace.render.grids import Grids
from backprop_trace.render.large import LargeTensors
from backprop_trace.render.numbers import ROUNDING_ZERO
from backprop_trace.render.tables import MAX_ROWS, _aside, _t, _table
from backprop_trace.render.view import TONES, View
from backprop_trace.trace import LayerStep, StepTrace
from backprop_trace.wording import of_total, plural


class ForwardPhase:
    """1. The forward pass: the inputs, then each stage (a layer with the layer after it) as a
    table, or as grids for images."""

    def __init__(self, view: View, large: LargeTensors, grids: Grids) -> None:
        self.view = view
        self.large = large
        self.grids = grids

    def forward(self, step: StepTrace) -> list[RenderableType]:
        body: list[RenderableType] = (
            self.grids.maps(step, "Input x", step.inputs)
            if step.inputs.ndim > 2
            else [self.inputs(step)]
        )
        for lin, act in self.view.stages():
            body += self.forward_stage(step, lin, act)
            for i in (lin, act):
                if i is not None:
                    tables = self.view.scenario.layers[i].forward_tables(step.layers[i])
                    body += [self.view.plain_table(t) for t in tables]
        return body

    def inputs(self, step: StepTrace) -> RenderableType:
        if step.inputs.size > self.view.table_limit:
            n, f = step.inputs.shape
            return self.large.stats(f"Inputs ({n} × {f}, summarised)", [("x", step.inputs)])
        if len(step.examples) == 1:
            return _t(f"Input x = {self.view.num.vector(step.inputs[0])}")
        cols = self.view.fit_columns(step.inputs.shape[1])
        table = _table("Inputs", "Example", *[f"x{i}" for i in range(cols)])
        for a in range(min(len(step.examples), MAX_ROWS)):
            table.add_row(
                self.view.example_label(step, a), *[self.view.num(v) for v in step.inputs[a][:cols]]
            )
        return Group(table, *self.view.cut_note(cols, step.inputs.shape[1], "input"))

    def forward_stage(
        self, step: StepTrace, lin: int | None, act: int | None
    ) -> list[RenderableType]:
        layers = step.layers
        pre = layers[lin].output if lin is not None else layers[act].input  # type: ignore[index]
        out = layers[act].output if act is not None else pre
        act_layer = layers[act] if act is not None else None
        title = self.view.stage_title(lin, act)
        if out.ndim > 2:
            return self.image_stage(step, title, lin, act)
        if lin is None and act is not None and not self.view.scenario.layers[act].same_shape:
            pre, act_layer = out, None  # a layer alone that reshapes (flatten): its output
        units = pre.shape[1]
        rows = min(units, MAX_ROWS)
        pre_name = self.producer(step, lin, act, act_layer)
        if pre.size > self.view.table_limit:
            stats = [("pre-activation" if lin is not None else "input", pre)]
            if act_layer is not None:
                stats.append((f"{act_layer.kind}(·)", out))
            body: list[RenderableType] = [
                self.large.stats(f"{title}: {plural(units, 'unit')}, summarised", stats)
            ]
            blocking = act is not None and self.view.scenario.layers[act].blocked(pre) is not None
            if act is not None and act_layer is not None and blocking:
                dead = len(dead_units(self.view.trace, step, act))
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
            pick = self.view.pick
            for j in range(rows):
                first = self.pre_activation(act_layer, 0, j, pre)
                row = [pick(first, View.entry(pre_name, j)) if pre_name else _t(first)]
                mark, style = self.unit_mark(act_layer, 0, j, pre)
                if act_layer is not None:
                    entry = View.entry(act_layer.name, j)
                    row += [pick(self.view.num(out[0][j]), entry), pick(_t(mark, style), entry)]
                else:
                    row.append(_t(mark, style))
                table.add_row(str(j), *row)
            return [table, *self.view.cut_note(rows, units, "unit")]
        examples = self.view.fit_columns(len(step.examples), 2)
        table = _table(title, "Unit", *[self.view.example_label(step, a) for a in range(examples)])
        for j in range(rows):
            cells: list[Text] = []
            for a in range(examples):
                mark, style = self.unit_mark(act_layer, a, j, pre)
                value = self.pre_activation(act_layer, a, j, pre)
                if act_layer is not None:
                    value += f" → {self.view.num(out[a][j])}"
                text = _t(value + (f" {mark}" if mark else ""), style)
                name = act_layer.name if act_layer is not None else pre_name
                cells.append(self.view.pick(text, View.entry(name, j), a) if name else text)
            table.add_row(str(j), *cells)
        caption = "each cell: pre-activation → output" if act_layer is not None else ""
        if caption:
            table.caption = _t(caption)
        return [
            table,
            *self.view.cut_note(rows, units, "unit"),
            *self.view.cut_note(examples, len(step.examples), "example"),
        ]

    def producer(
        self, step: StepTrace, lin: int | None, act: int | None, act_layer: LayerStep | None
    ) -> str | None:
        """The layer whose outputs a stage's first value column shows (a linear layer's, the
        layer before an activation alone, a reshaping layer's own); None for the input x."""
        if lin is not None:
            return step.layers[lin].name
        assert act is not None
        if act_layer is None:
            return step.layers[act].name
        return step.layers[act - 1].name if act > 0 else None

    def image_stage(
        self, step: StepTrace, title: str, lin: int | None, act: int | None
    ) -> list[RenderableType]:
        """A stage whose values are images: each channel's map as a grid, per example. A layer
        with parameters shows its output (with the marks of the layer after it, as colours, and
        that layer's output after it); a layer alone, its output."""
        layers = step.layers
        body: list[RenderableType] = [_t(title, "bold")]
        if lin is not None:
            follower = layers[act] if act is not None else None
            marked = self.marked_map(follower)
            caption = ""
            if follower is not None:
                caption = f"(coloured where {follower.name} passes no gradient or sits on a kink)"
            body += self.grids.maps(
                step, layers[lin].name, layers[lin].output, marked, entry=layers[lin].name
            )
            if caption and (follower is not None and (follower.at_kink or self._blocks(follower))):
                body.append(_aside(caption))
            if follower is not None:
                body += self.grids.maps(
                    step, f"{follower.name}(·)", follower.output, entry=follower.name
                )
        else:
            assert act is not None
            body += self.grids.maps(
                step, layers[act].name, layers[act].output, entry=layers[act].name
            )
        return body

    def _blocks(self, step_layer: LayerStep) -> bool:
        layer = next(la for la in self.view.scenario.layers if la.name == step_layer.name)
        blocked = layer.blocked(step_layer.input)
        return blocked is not None and bool(blocked.any())

    def marked_map(self, follower: LayerStep | None) -> Callable[[tuple[int, ...], str], Text]:
        """A cell's text, styled by the mark the following layer gives its input there."""

        def cell(ix: tuple[int, ...], text: str) -> Text:
            if follower is None:
                return _t(text)
            layer = next(la for la in self.view.scenario.layers if la.name == follower.name)
            if ix in follower.near_kink:
                return _t(ROUNDING_ZERO, "yellow")
            return _t(text, TONES.get(layer.mark(follower.input[ix])[1], ""))

        return cell

    def pre_activation(self, act: LayerStep | None, a: int, j: int, pre: Array) -> str:
        """A pre-activation, or ≈ 0 where it is within float64 rounding of a kink at 0 (a sum
        that is 0 to the precision of the computation; the note quotes its float value)."""
        if act is not None and (a, j) in act.near_kink:
            return ROUNDING_ZERO
        return self.view.num(pre[a][j])

    def unit_mark(self, act: LayerStep | None, a: int, j: int, pre: Array) -> tuple[str, str]:
        """What the table says beside a pre-activation, and its style: the layer's own mark
        (Layer.mark), or that it is within rounding of a kink."""
        if act is None:
            return "", ""
        if (a, j) in act.near_kink:
            return "≈ kink (rounding)", "yellow"
        layer = next(la for la in self.view.scenario.layers if la.name == act.name)
        words, tone = layer.mark(pre[a][j])
        return words, TONES.get(tone, "")
