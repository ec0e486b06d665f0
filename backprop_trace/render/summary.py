"""The end of a run of several steps: the loss curve, first, final and lowest loss, and the
parameters that moved most."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.console import Group, RenderableType

from backprop_trace.insights import gradient_health, layer_norms
from backprop_trace.numerics import largest_first, to_float
from backprop_trace.render.tables import _aside, _t, _table
from backprop_trace.render.view import Phase, View
from backprop_trace.visible import visible
from backprop_trace.wording import plural

CELL_WIDTH = 4  # the most characters one loss of a short run is drawn with


def step_ticks(steps: int, columns: int, cell: int) -> str:
    """The labels under the chart of the loss after 0…steps steps, drawn in ``columns`` columns
    of ``cell`` characters: every step's number under its column where they all fit apart,
    else the first (0) at the left and the last at the right end (or a space after the 0, where
    the chart is narrower than the two)."""
    if columns == steps + 1 and cell > len(str(steps)):
        return "".join(str(k).ljust(cell) for k in range(steps + 1)).rstrip()
    last = str(steps)
    return "0" + last.rjust(max(columns * cell - 1, len(last) + 1))


class RunSummary:
    def __init__(self, view: View) -> None:
        self.view = view

    def summary(self) -> Phase:
        trace = self.view.trace
        before, after = trace.losses_before, trace.losses_after
        if not after:
            return Phase(0, "summary", "Run summary", [_t("No step ran.")])
        curve = list(before) + ([after[-1]] if after[-1] is not None else [])
        body: list[RenderableType] = [self.loss_curve(curve)]
        candidates = [(loss, f"before step {k + 1}") for k, loss in enumerate(before)] + [
            (loss, f"after step {k + 1}") for k, loss in enumerate(after) if loss is not None
        ]
        finite = [
            c for c in candidates if np.isfinite(to_float(np.asarray([c[0]], dtype=object)))[0]
        ]
        lowest, when = min(finite or candidates, key=lambda c: c[0])
        num = self.view.num
        line = (
            f"Loss {num(before[0])} before step 1 → {num(after[-1])} after step "
            f"{len(after)}; lowest {num(lowest)} {when}."
        )
        if self.view.scenario.batches > 1:
            line += " Each loss is on that step's own batch."
        body.append(_t(line))
        body += self.gradient_norms()
        body += self.moved_most()
        return Phase(0, "summary", "Run summary", body)

    def gradient_norms(self) -> list[RenderableType]:
        """Each layer's gradient norm over the run, as a row of blocks on one log scale shared
        by the layers (a step whose norm is 0 draws nothing), its first and last value, and
        the notes on vanishing and exploding gradients."""
        norms = layer_norms(self.view.trace)
        if not norms:
            return []
        names = [visible(n) for n in norms]
        pad = max(len(n) for n in names)
        room = max(8, self.view.width - pad - 32)  # the two numbers, the padding
        every = np.array(list(norms.values()), dtype=float)
        with np.errstate(all="ignore"):
            logs = np.where((every > 0) & np.isfinite(every), np.log10(every), np.nan)
        if np.isnan(logs).all():
            return [_t("Every gradient was 0 (or not finite) over the run.")]
        low, high = float(np.nanmin(logs)), float(np.nanmax(logs))
        span = (high - low) or 1.0
        steps = every.shape[1]
        columns = min(steps, room)
        blocks = "▁▂▃▄▅▆▇█"
        table = _table(
            f"Gradient norm by layer, steps 1–{steps} (log scale, one for all layers)",
            "Layer",
            "‖dL/dθ‖ over the run",
            "First",
            "Last",
        )
        table.columns[1].justify = "left"
        for name, row, values in zip(names, logs, every, strict=True):
            groups = np.array_split(row, columns)
            cells = []
            for g in groups:
                finite = g[np.isfinite(g)]
                level = (finite.mean() - low) / span if finite.size else None
                cells.append(" " if level is None else blocks[round(level * 7)])
            table.add_row(name, "".join(cells), f"{values[0]:.3e}", f"{values[-1]:.3e}")
        scale = (
            f"every nonzero norm {10**low:.1e}"
            if low == high
            else f"▁ {10**low:.1e} … █ {10**high:.1e}"
        )
        if columns < steps:
            scale += f"; {steps} steps in {columns} columns, each the mean of its group"
        out: list[RenderableType] = [table, _aside(f"({scale}; a norm of 0 draws nothing)")]
        return out + self.view.notes(gradient_health(self.view.trace))

    def loss_curve(self, losses: Sequence[Any], height: int = 8) -> RenderableType:
        """The loss after 0, 1, …, n steps (before each step, then after the last), as columns of
        block characters: a few columns each while they fit, one per point, or one per group of
        points when there are more points than columns (the group's mean). Log scale when the
        positive losses span more than two orders of magnitude; a loss of 0 draws nothing."""
        values = to_float(np.asarray(losses, dtype=object))
        finite = np.isfinite(values)
        if not finite.any():
            return _t("(no finite loss to draw)")
        positive = values[finite & (values > 0)]
        log = positive.size > 1 and positive.max() / positive.min() > 100
        drawn = positive if log else values[finite]
        top_at = int(np.flatnonzero(values == drawn.max())[0])
        bottom_at = int(np.flatnonzero(values == drawn.min())[0])
        top, bottom = (
            self.view.num(losses[top_at]),
            self.view.num(losses[bottom_at]),
        )  # exact where exact
        pad = max(len(top), len(bottom))
        room = max(2, self.view.width - pad - 4)
        points = len(values)
        columns = min(points, room)
        cell = max(1, min(CELL_WIDTH, room // points))
        groups = np.array_split(values, columns)
        means = np.array(
            [g[np.isfinite(g)].mean() if np.isfinite(g).any() else np.nan for g in groups]
        )
        low, high = float(drawn.min()), float(drawn.max())
        with np.errstate(all="ignore"):
            scaled = np.log10(means) if log else means
            lo, hi = (np.log10(low), np.log10(high)) if log else (low, high)
            span = (hi - lo) or 1.0
            levels = np.round((scaled - lo) / span * (height * 8 - 1)) + 1
        levels = np.where(np.isfinite(levels), levels, 0).astype(int)
        blocks = " ▁▂▃▄▅▆▇█"
        rows = []
        for r in range(height - 1, -1, -1):
            line = "".join(blocks[int(min(8, max(0, lv - r * 8)))] * cell for lv in levels)
            label = top if r == height - 1 else bottom if r == 0 else ""
            rows.append(f"{label:>{pad}} ┤{line}")
        steps = points - 1
        axis = " " * (pad + 1) + "└" + "─" * (columns * cell)
        ticks = " " * (pad + 2) + step_ticks(steps, columns, cell)
        title = f"Loss after each step, from 0 (the start) to {steps}"
        if log:
            title += " (log scale)"
        if log and (values[finite] <= 0).any():
            title += "; a loss of 0 draws nothing"
        if columns < points:
            title += f"; {points} losses in {plural(columns, 'column')}, each the mean of its group"
        return Group(_t(title, "bold"), *[_t(row) for row in rows], _t(axis), _t(ticks))

    def moved_most(self, count: int = 5) -> list[RenderableType]:
        s, trace = self.view.scenario, self.view.trace
        moves: list[tuple[float, str, Any, Any]] = []
        for name in s.param_order:
            start = s.in_layout(name, s.initial[name])
            end = trace.final_params[name]
            change = np.abs(to_float(end - start)).ravel()
            for flat in largest_first(change, count):
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
            table.add_row(
                label, self.view.num(start), self.view.num(end), self.view.num.signed(end - start)
            )
        return [table]
