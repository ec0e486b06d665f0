"""The network as a picture (SVG, drawn here: no system binary, nothing fetched): a node per
unit with its values, an edge per weight coloured by the sign and as wide as the size of what
``show`` picks (the weights, their gradients, or the updates), dead units and frozen parameters
marked, each layer's name and shape above it. A layer wider than WIDE_LAYER units is a band with
a summary; an image layer a stack of its channels' maps. Hovering an edge or a node shows its
numbers (``<title>``). Every text of the scenario is escaped (xml) and its control characters
shown (visible)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np

from backprop_trace.insights import dead_units
from backprop_trace.numerics import Array, to_float
from backprop_trace.render.numbers import NumberStyle
from backprop_trace.render.view import RenderOptions, View
from backprop_trace.trace import ParamStep, StepTrace, Trace
from backprop_trace.visible import visible
from backprop_trace.wording import plural

SHOWS = ("weights", "gradients", "updates")
WIDE_LAYER = 32  # units: a wider layer is drawn as a band
FONT = 14  # px: the smallest text is 13 px, readable on a 1280×720 slide
NODE_W, NODE_H, NODE_GAP = 184, 44, 14
COLUMN_GAP = 150  # the room between columns, where the edges run
TOP, LEFT, RIGHT = 96, 40, 120
BAND_H = 6 * (NODE_H + NODE_GAP)
MAX_EDGE = 6.0  # px: the widest edge (the largest |value| of its layer)

# colours: each text colour has a contrast of at least 4.5:1 with the fill behind it
INK, PAPER, NODE, DEAD_NODE = "#1f1f1f", "#ffffff", "#f4f4f4", "#e4e4e4"
POSITIVE, NEGATIVE, ZERO = "#17692f", "#b71c1c", "#5f5f5f"
MARK, FROZEN = "#8a5a00", "#1565c0"

STYLE = f"""
text {{ font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
        font-size: {FONT}px; fill: {INK}; }}
.title {{ font-size: 20px; font-weight: bold; }}
.head {{ font-weight: bold; }}
.small {{ font-size: 13px; }}
.pos {{ fill: {POSITIVE}; }} .neg {{ fill: {NEGATIVE}; }} .zero {{ fill: {ZERO}; }}
.mark {{ fill: {MARK}; font-size: 13px; }} .frozen {{ fill: {FROZEN}; font-size: 13px; }}
.node {{ fill: {NODE}; stroke: #9e9e9e; stroke-width: 1; }}
.node.dead {{ fill: {DEAD_NODE}; stroke: {MARK}; stroke-dasharray: 4 3; }}
.node.kink {{ stroke: {MARK}; stroke-width: 2; }}
.edge line.hit {{ stroke: transparent; stroke-width: 10; }}
.edge:hover line.shown {{ stroke-opacity: 1; }}
.connector {{ fill: #e8e8e8; stroke: #bdbdbd; }}
"""


@dataclass
class Column:
    """One column of the drawing: a layer's units (or the input's)."""

    title: str
    subtitle: str
    layer: str  # the units' name ('x' for the input)
    values: Array  # [unit, k]: the lines each node shows (one or two numbers a unit)
    labels: tuple[str, ...]  # what each line of a node is ('z', 'relu', 'dL/dz', ...)
    image: tuple[int, ...] = ()  # the shape of one example's maps, for an image layer
    dead: list[int] = field(default_factory=list)
    kinks: list[int] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)  # unit -> its hover text's extra
    x: float = 0.0

    @property
    def units(self) -> int:
        return int(self.values.shape[0])

    @property
    def band(self) -> bool:
        return self.units > WIDE_LAYER or bool(self.image)

    @property
    def height(self) -> float:
        return BAND_H if self.band else self.units * (NODE_H + NODE_GAP) - NODE_GAP

    def node_y(self, j: int, top: float) -> float:
        return top + j * (NODE_H + NODE_GAP)


def diagram_svg(
    trace: Trace,
    *,
    step: int | None = None,
    show: str = "weights",
    num: NumberStyle | None = None,
) -> str:
    """The network of the trace's step ``step`` (default: the first kept) as an SVG document."""
    if show not in SHOWS:
        raise ValueError(f"show must be one of {', '.join(SHOWS)}")
    steps = {s.step: s for s in trace.steps}
    chosen = trace.steps[0] if step is None else steps[step]
    drawing = _Drawing(trace, chosen, show, num or NumberStyle())
    return drawing.svg()


class _Drawing:
    def __init__(self, trace: Trace, step: StepTrace, show: str, num: NumberStyle) -> None:
        self.trace, self.step, self.show, self.num = trace, step, show, num
        self.view = View(trace, RenderOptions(), 120)
        self.gradients = show == "gradients"
        self.columns = self._columns()
        for k, column in enumerate(self.columns):
            column.x = LEFT + k * (NODE_W + COLUMN_GAP)
        self.body_h = max(c.height for c in self.columns)

    # -- what is drawn ------------------------------------------------------------------------

    def _columns(self) -> list[Column]:
        step = self.step
        first = to_float(step.inputs[0])
        inputs = Column(
            "Input x",
            (plural(int(first.shape[0]), "input") if first.ndim == 1 else _shape(first.shape))
            + (" · example 0" if len(step.examples) > 1 else ""),
            "x",
            first.reshape(-1, 1),
            ("x",),
            image=tuple(int(n) for n in first.shape) if first.ndim > 1 else (),
        )
        columns = [inputs]
        for lin, act in self.view.stages():
            columns.append(self._stage(lin, act))
        return columns

    def _stage(self, lin: int | None, act: int | None) -> Column:
        layers = self.step.layers
        a = layers[act] if act is not None else None
        z = layers[lin] if lin is not None else None
        last = a or z
        assert last is not None
        names = " → ".join(la.name for la in (z, a) if la is not None)
        parts = [la for la in (z, a) if la is not None]
        weighted = (
            lin is not None
            and self._param(lin, "weight") is not None
            and (z is not None and z.kind in ("linear", "conv2d"))
        )  # z: a weighted sum; another producer (batchnorm) by its kind
        if self.gradients:
            series = [la.grad_output[0] for la in parts]
            labels = tuple(f"dL/d{'z' if la is z and weighted else 'a'}" for la in parts)
        else:
            series = [la.output[0] for la in parts]
            labels = tuple(("z" if la is z and weighted else la.kind) for la in parts)
        image = tuple(int(n) for n in last.output.shape[1:]) if last.output.ndim > 2 else ()
        flat = [to_float(v).reshape(-1) for v in series]
        if any(f.size != flat[-1].size for f in flat):  # a layer that reshapes: its output
            flat, labels = flat[-1:], labels[-1:]
        values = np.stack(flat, axis=1)
        column = Column(
            visible(names),
            self._subtitle(lin, act, values.shape[0], image),
            visible(last.name),
            values,
            labels,
            image=image,
        )
        if act is not None and not image:
            column.dead = dead_units(self.trace, self.step, act)
            kinked = {ix[1] for ix in layers[act].at_kink if len(ix) == 2 and ix[0] == 0}
            column.kinks = sorted(kinked - set(column.dead))
        if lin is not None:
            bias = self._param(lin, "bias")
            if bias is not None and bias.old.ndim == 1 and not image:
                for j in range(min(values.shape[0], bias.old.shape[0])):
                    column.notes[j] = f"bias {visible(bias.name)}[{j}] = {self.num(bias.old[j])}"
        return column

    def _subtitle(
        self, lin: int | None, act: int | None, units: int, image: tuple[int, ...]
    ) -> str:
        what = (
            f"{plural(image[0], 'map')} {image[1]}×{image[2]}"
            if len(image) == 3
            else plural(units, "unit")
        )
        frozen = [
            visible(p.name)
            for i in (lin, act)
            if i is not None
            for p in self.step.params
            if p.name in self.step.layers[i].params and not p.trainable
        ]
        return what + (f" · {', '.join(frozen)} frozen" if frozen else "")

    def _param(self, layer: int, role: str) -> ParamStep | None:
        roles = self.trace.scenario.layers[layer].roles()
        return self.step.param(roles[role]) if role in roles else None

    def _edge_values(self, lin: int) -> tuple[ParamStep, Array | None] | None:
        """A linear layer's weight, and what the edges show as [input, unit] (None: frozen,
        no gradient)."""
        weight = self._param(lin, "weight")
        if weight is None or weight.old.ndim != 2:
            return None
        if self.show == "weights":
            values: Any = weight.old
        elif weight.grad is None:
            return weight, None
        else:
            values = weight.grad if self.show == "gradients" else weight.new - weight.old
        f = to_float(values)
        return weight, (f.T if self.trace.scenario.layout == "out_in" else f)

    # -- drawing ------------------------------------------------------------------------------

    def svg(self) -> str:
        width = LEFT + len(self.columns) * (NODE_W + COLUMN_GAP) - COLUMN_GAP + RIGHT
        height = TOP + self.body_h + 100
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{self._caption()}">',
            f"<title>{self._caption()}</title>",
            f"<style>{STYLE}</style>",
            f'<rect width="{width}" height="{height}" fill="{PAPER}"/>',
            f'<text class="title" x="{LEFT}" y="32">{self._caption()}</text>',
        ]
        stages = [None, *self.view.stages()]
        for k, column in enumerate(self.columns):
            out += self._heading(column)
            if k > 0:
                lin = stages[k][0]  # type: ignore[index]
                out += self._edges(self.columns[k - 1], column, lin)
        for column in self.columns:
            out += self._nodes(column)
        out += self._legend(height)
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def _caption(self) -> str:
        total = self.trace.total_steps
        of = f" of {total}" if total > 1 else ""
        return _xml(
            f"{visible(self.trace.scenario.name)} · step {self.step.step}{of} · {self.show}"
        )

    def _top(self, column: Column) -> float:
        return TOP + (self.body_h - column.height) / 2

    def _heading(self, column: Column) -> list[str]:
        x = column.x
        return [
            f'<text class="head" x="{x}" y="{TOP - 34}">{_xml(column.title)}</text>',
            f'<text class="small" x="{x}" y="{TOP - 16}">{_xml(column.subtitle)}</text>',
        ]

    def _edges(self, source: Column, target: Column, lin: int | None) -> list[str]:
        found = self._edge_values(lin) if lin is not None else None
        if found is None or source.band or target.band:
            return self._connector(source, target, lin)
        weight, values = found
        out_in = self.trace.scenario.layout == "out_in"
        scale = float(np.abs(values).max()) if values is not None and values.size else 0.0
        out = []
        top_s, top_t = self._top(source), self._top(target)
        for i in range(source.units):
            for j in range(target.units):
                ix = (j, i) if out_in else (i, j)
                name = f"{visible(weight.name)}[{ix[0]}][{ix[1]}]"
                x1, y1 = source.x + NODE_W, source.node_y(i, top_s) + NODE_H / 2
                x2, y2 = target.x, target.node_y(j, top_t) + NODE_H / 2
                hover = [f"{name} = {self.num(weight.old[ix])}"]
                if weight.grad is None:
                    hover.append("frozen: no gradient, not trained")
                    colour, width, dash = FROZEN, 1.0, ' stroke-dasharray="5 4"'
                else:
                    hover.append(f"gradient {self.num(weight.grad[ix])}")
                    hover.append(f"new {self.num(weight.new[ix])}")
                    assert values is not None
                    v = float(values[i][j])
                    colour = POSITIVE if v > 0 else NEGATIVE if v < 0 else ZERO
                    width = 0.75 + (MAX_EDGE - 0.75) * (abs(v) / scale if scale else 0.0)
                    dash = ' stroke-dasharray="3 4"' if v == 0 else ""
                line = f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"'
                out.append(
                    f'<g class="edge"><title>{_xml(" · ".join(hover))}</title>'
                    f'<line class="shown" {line} stroke="{colour}" stroke-opacity="0.85" '
                    f'stroke-width="{width:.2f}"{dash}/><line class="hit" {line}/></g>'
                )
        return out

    def _connector(self, source: Column, target: Column, lin: int | None) -> list[str]:
        """Between a band or a stack and its neighbour: one shape, its summary on hover."""
        x1, y_s, bottom_s = self._extent(source)
        x2, y_t, bottom_t = target.x, *self._extent(target)[1:]
        title = f"{source.layer} → {target.layer}"
        found = self._edge_values(lin) if lin is not None else None
        if lin is not None:
            weight = self._param(lin, "weight")
            if weight is not None:
                title += f": {visible(weight.name)} {_shape(weight.old.shape)}"
                if found is not None and found[1] is not None:
                    f = found[1]
                    title += (
                        f"; {self.show}: mean |v| {self.num(float(np.abs(f).mean()))}, "
                        f"largest |v| {self.num(float(np.abs(f).max()))}, "
                        f"{int((f > 0).sum()):,} positive, {int((f < 0).sum()):,} negative"
                    )
                elif weight.grad is None:
                    title += " (frozen)"
        points = (
            f"{x1:.1f},{y_s:.1f} {x2:.1f},{y_t:.1f} {x2:.1f},{bottom_t:.1f} {x1:.1f},{bottom_s:.1f}"
        )
        return [
            f'<g class="edge band"><title>{_xml(title)}</title>'
            f'<polygon class="connector" points="{points}" fill-opacity="0.6"/></g>'
        ]

    def _extent(self, column: Column) -> tuple[float, float, float]:
        """(right edge, top, bottom) of what a column draws: its nodes, band or stack."""
        top = self._top(column)
        if not column.image:
            return column.x + NODE_W, top, top + column.height
        (w, h), behind = self._map_size(column), 6 * (min(self._maps(column), 6) - 1)
        return column.x + w + behind, top, top + h + behind

    @staticmethod
    def _maps(column: Column) -> int:
        return int(column.image[0]) if len(column.image) == 3 else 1

    @staticmethod
    def _map_size(column: Column) -> tuple[float, float]:
        height, width = (int(n) for n in column.image[-2:])
        cell = max(2.0, min((BAND_H - 80) / height, (NODE_W - 40) / width))
        return cell * width, cell * height

    def _nodes(self, column: Column) -> list[str]:
        top = self._top(column)
        if column.band:
            return self._band(column, top)
        out = []
        for j in range(column.units):
            y = column.node_y(j, top)
            state = "dead" if j in column.dead else "kink" if j in column.kinks else ""
            pairs = zip(column.labels, column.values[j], strict=True)
            lines = [f"{label} {self.num(v)}" for label, v in pairs]
            hover = [f"{column.layer}[{j}]", *lines]
            if j in column.notes:
                hover.append(column.notes[j])
            if state == "dead":
                hover.append("dead: it passes no gradient for any example")
            elif state == "kink":
                hover.append("its pre-activation is exactly on the kink")
            out.append(f'<g class="unit"><title>{_xml(" · ".join(hover))}</title>')
            classes = f"node {state}".strip()
            out.append(
                f'<rect class="{classes}" x="{column.x}" y="{y}" width="{NODE_W}" '
                f'height="{NODE_H}" rx="6"/>'
            )
            right = column.x + NODE_W - 8
            out.append(f'<text class="small" x="{right}" y="{y + 17}" text-anchor="end">{j}</text>')
            rows = len(lines)
            for k, (text, v) in enumerate(zip(lines, column.values[j], strict=True)):
                baseline = y + NODE_H / 2 + 5 + (k - (rows - 1) / 2) * 17
                tone = "zero" if state == "dead" else _tone(float(v))
                out.append(
                    f'<text class="{tone}" x="{column.x + 10}" y="{baseline:.1f}">'
                    f"{_xml(text)}</text>"
                )
            if state:
                out.append(
                    f'<text class="mark" x="{right}" y="{y + NODE_H - 8}" '
                    f'text-anchor="end">{state}</text>'
                )
            out.append("</g>")
        return out

    def _band(self, column: Column, top: float) -> list[str]:
        """A wide layer, or an image layer: one shape and a summary of its values."""
        x = column.x
        lines = [f"{column.units:,} values" if column.image else f"{column.units:,} units"]
        for label, values in zip(column.labels, column.values.T, strict=True):
            low, high = self.num(float(values.min())), self.num(float(values.max()))
            lines.append(f"{label} {low} … {high}")
        if column.dead:
            lines.append(f"{len(column.dead):,} dead")
        title = f"{column.layer}: {'; '.join(lines)}"
        out = [f'<g class="unit band"><title>{_xml(title)}</title>']
        text_top = top + 24
        if column.image:
            out += self._stack(column, top)
            text_top = self._extent(column)[2] + 22
        else:
            out.append(
                f'<rect class="node" x="{x}" y="{top}" width="{NODE_W}" height="{BAND_H}" rx="8"/>'
            )
        for k, text in enumerate(lines):
            out.append(
                f'<text class="small" x="{x + 10}" y="{text_top + 18 * k}">{_xml(text)}</text>'
            )
        out.append("</g>")
        return out

    def _stack(self, column: Column, top: float) -> list[str]:
        """An image layer: its maps as a stack, the first one in front drawn cell by cell
        (green positive, red negative, the stronger the larger)."""
        maps = self._maps(column)
        height, width = (int(n) for n in column.image[-2:])
        values = column.values[:, -1].reshape(maps, height, width)
        w, h = self._map_size(column)
        cell = w / width
        out = []
        for k in reversed(range(1, min(maps, 6))):
            out.append(
                f'<rect class="node" x="{column.x + 6 * k}" y="{top + 6 * k}" width="{w:.1f}" '
                f'height="{h:.1f}"/>'
            )
        front = values[0]
        scale = float(np.abs(front).max()) or 1.0
        for r in range(height):
            for c in range(width):
                v = float(front[r][c])
                colour = POSITIVE if v > 0 else NEGATIVE
                opacity = abs(v) / scale
                out.append(
                    f'<rect x="{column.x + c * cell:.1f}" y="{top + r * cell:.1f}" '
                    f'width="{cell:.1f}" height="{cell:.1f}" fill="{colour}" '
                    f'fill-opacity="{opacity:.2f}" stroke="#d0d0d0" stroke-width="0.5"/>'
                )
        return out

    def _legend(self, height: float) -> list[str]:
        what = {
            "weights": "the weights before the step",
            "gradients": "the gradients dL/dW",
            "updates": "the updates (new − old)",
        }[self.show]
        nodes = (
            "nodes: the learning flow dL/dz before the activation, dL/da after it"
            if self.gradients
            else "nodes: z, a layer's weighted sum, and the activation's output after it"
        )
        batch = " (example 0 of the batch)" if len(self.step.examples) > 1 else ""
        y = height - 62
        lines = [
            f"edges: {what}; green positive, red negative, width ∝ |value| within the layer,",
            "dashed: 0 (grey) or frozen (blue); hover an edge or a node for its numbers",
            f"{nodes}{batch}",
        ]
        return [
            f'<text class="small" x="{LEFT}" y="{y + 18 * k}">{_xml(text)}</text>'
            for k, text in enumerate(lines)
        ]


def _tone(value: float) -> str:
    return "pos" if value > 0 else "neg" if value < 0 else "zero"


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(int(n)) for n in shape)


def _xml(text: str) -> str:
    return escape(visible(text), quote=True)


__all__ = ["SHOWS", "diagram_svg"]
