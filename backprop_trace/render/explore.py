"""backprop-trace explore: the trace as a full-screen app (Textual). One phase at a time, its
heading exactly as the text output writes it, its tables below; back and forth across phases
and steps; an entry picked in a table explained (the chain rule with its numbers) and drawn in
the network. The trace is computed once; each phase is rendered when first shown."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
from rich.console import Console, Group
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Static

from backprop_trace.render.numbers import DEFAULT_PRECISION, NumberStyle
from backprop_trace.render.terminal import PHASES, PhaseMaker
from backprop_trace.render.view import Phase, RenderOptions
from backprop_trace.trace import StepTrace, Trace
from backprop_trace.visible import visible

WIDE = 120  # columns from which the network and explanation panels sit beside the tables
MAX_STEPS_AT_ONCE = 10_000  # R: steps added at one time

HELP = """\
Keys

  Right  l  space   next phase (on to the next step after Verify)
  Left   h          previous phase (back across steps too)
  n / p             the same phase of the next / previous step
  g                 go to a step (asks its number)
  Up / Down         move the selection in the entries table (a click selects too)
  PgUp / PgDn       scroll the phase's tables (the mouse wheel too)
  e                 explain the selected entry: the chain rule with this step's numbers
  d                 the network, drawn with this phase's values
  f                 fractions on / off (exact numerics only)
  + / -             one decimal more / fewer
  r                 run one more step;  R asks how many
  ?                 this help
  q                 quit
"""


@dataclass(frozen=True)
class Place:
    """Where the explorer is: a kept step's position and a phase's name."""

    step: int  # index into trace.steps
    phase: str


class Ask(ModalScreen[str | None]):
    """A one-line question (the step to go to, how many steps to run)."""

    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "dismiss_none", "cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Static(self.question)
            yield Input(id="answer")

    @on(Input.Submitted)
    def answered(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Any]] = [Binding("escape,q,question_mark", "dismiss_help", "close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(HELP)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class Main(Horizontal):
    """The tables and the panels: laid out again when the terminal's size changes."""

    def on_resize(self) -> None:
        app = self.app
        if isinstance(app, Explorer):
            app.show()


class Explorer(App[None]):
    """The explorer of one trace. ``more(k)`` runs k more steps (a new trace) when asked."""

    TITLE = "backprop-trace explore"
    CSS = """
    #heading { height: 1; background: $primary; color: $text; text-style: bold; padding: 0 1; }
    #main { height: 1fr; }
    #phase { width: 1fr; }
    #side { width: 60; display: none; }
    #side.shown { display: block; }
    #network-panel { height: auto; max-height: 50%; border: round $secondary; }
    #network-panel.hidden, #explain-panel.hidden { display: none; }
    #explain-panel { height: 1fr; border: round $secondary; }
    #tables { height: 1fr; }
    #entries { height: 7; border-top: solid $secondary; }
    #losses { height: auto; max-height: 8; color: $text-muted; }
    #ask, #help { width: 80; height: auto; padding: 1 2; border: round $accent;
                  background: $surface; }
    Ask, HelpScreen { align: center middle; }
    """
    BINDINGS: ClassVar[list[Any]] = [
        Binding("right,l,space", "next_phase", "next", priority=True),
        Binding("left,h", "previous_phase", "back", priority=True),
        Binding("n", "next_step", "next step"),
        Binding("p", "previous_step", "previous step"),
        Binding("g", "go_to", "go to step"),
        Binding("e", "explain", "explain"),
        Binding("d", "network", "network"),
        Binding("f", "fractions", "fractions"),
        Binding("plus,equals_sign", "precision(1)", "+ digits", show=False),
        Binding("minus", "precision(-1)", "- digits", show=False),
        Binding("r", "more_steps(1)", "one more step"),
        Binding("R", "ask_steps", "more steps", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit", priority=True),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
        Binding("pagedown", "scroll_tables(1)", "page down", show=False),
        Binding("pageup", "scroll_tables(-1)", "page up", show=False),
    ]

    def __init__(
        self,
        trace: Trace,
        options: RenderOptions,
        more: Any = None,  # Callable[[int], Trace]: the run with k more steps
    ) -> None:
        super().__init__()
        self.trace, self.options, self.more = trace, options, more
        self.place = Place(0, "forward")
        self.selected: str | None = None
        self.panels = {"network": False, "explain": False}
        self._maker: PhaseMaker | None = None
        self._made: dict[tuple[int, str], Phase] = {}
        self._width = 0
        self.said: list[str] = []
        self._explained: dict[tuple[Any, ...], Any] = {}
        self._summary: Text | None = None
        self._entries_shown: tuple[Any, ...] = ()
        self._runs = 0  # how many times the trace was run again (r, R)

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="heading")
        with Main(id="main"):
            with Vertical(id="phase"):
                with VerticalScroll(id="tables"):
                    yield Static(id="body")
                    yield Static(id="losses")
                yield DataTable(id="entries", cursor_type="row", zebra_stripes=True)
            with Vertical(id="side"):
                with VerticalScroll(id="network-panel"):
                    yield Static(id="network")
                with VerticalScroll(id="explain-panel"):
                    yield Static(id="explanation")
        yield Footer()

    def on_mount(self) -> None:
        self.show()
        self.query_one("#entries", DataTable).focus()

    @property
    def wide(self) -> bool:
        return self.size.width >= WIDE

    def _phase_width(self) -> int:
        side = 60 if self.wide and any(self.panels.values()) else 0
        return max(40, self.size.width - side - 2)

    # -- the phases -----------------------------------------------------------------------------

    def _phase(self, place: Place) -> Phase:
        width = self._phase_width()
        if self._maker is None or width != self._width:
            self._maker, self._made, self._width = (
                PhaseMaker(self.trace, self.options, width),
                {},
                width,
            )
            self._summary = None
        key = (place.step, place.phase)
        if key not in self._made:
            with np.errstate(all="ignore"):
                step = self.trace.steps[place.step]
                phase = self._maker.phase(step, place.phase)
            self._made[key] = replace(phase, body=[self._drawn(phase, width)])
        return self._made[key]

    @staticmethod
    def _drawn(phase: Phase, width: int) -> Text:
        """The phase's tables drawn once, as styled text: Textual measures and redraws a
        Text far faster than the tables it came from."""
        console = Console(
            width=width, file=io.StringIO(), force_terminal=True, color_system="truecolor"
        )
        with console.capture() as captured:
            for item in phase.body:
                console.print(item)
        text = Text.from_ansi(captured.get().rstrip("\n"))
        text.no_wrap = True
        return text

    def heading(self) -> str:
        """The current phase's heading, as the text output writes it."""
        step = self.trace.steps[self.place.step]
        return PhaseMaker.title_of(self.trace, step.step, self.place.phase)

    def show(self) -> None:
        if not self.trace.steps:
            return
        phase = self._phase(self.place)
        self.query_one("#heading", Static).update(visible(phase.title))
        self.query_one("#body", Static).update(Group(*phase.body))
        self._entries()
        self._losses()
        self._panels()
        self.call_after_refresh(self._prefetch)

    def _prefetch(self) -> None:
        """The phases next to this one, drawn while the screen is idle: a key that moves there
        finds them ready."""
        k = PHASES.index(self.place.phase)
        for step, phase in (
            (self.place.step, PHASES[k + 1] if k + 1 < len(PHASES) else None),
            (self.place.step, PHASES[k - 1] if k > 0 else None),
            (self.place.step + 1, self.place.phase),
        ):
            if phase is not None and step < len(self.trace.steps):
                self._phase(Place(step, phase))

    def _entries(self) -> None:
        """The entries of this phase that can be picked: units (forward, loss, verify: their
        output; backward: their learning flow) and parameter entries (backward: the gradient;
        update: old and new)."""
        table = self.query_one("#entries", DataTable)
        step = self.trace.steps[self.place.step]
        num = self.number_style()
        name = self.place.phase
        kind = "outputs" if name in ("forward", "loss", "verify") else name
        shown = (self._runs, step.step, kind, num)
        if shown == self._entries_shown:  # the same rows (forward, loss, verify): kept as is
            return
        self._entries_shown = shown
        table.clear(columns=True)
        if name in ("forward", "loss", "verify"):
            table.add_columns("Entry", "Output (first example)")
        elif name == "backward":
            table.add_columns("Entry", "Gradient / learning flow (first example)")
        else:
            table.add_columns("Entry", "Old", "New")
        limit = max(1, self.options.table_limit * 4)  # rows: a large network shows its first
        rows = list(itertools.islice(self._rows(step, name, num), limit))
        for column, width in zip(table.columns.values(), _widths(rows), strict=False):
            column.width = max(width, len(str(column.label)))  # whole names, never cut
            column.auto_width = False
        for row in rows:
            table.add_row(*(visible(c) for c in row), key=row[0])
        if self.selected is not None and self.selected in {r[0] for r in rows}:
            table.move_cursor(row=table.get_row_index(self.selected))

    @staticmethod
    def _rows(step: StepTrace, name: str, num: NumberStyle) -> Iterator[tuple[str, ...]]:
        """The entries of a phase, made one at a time (only those shown are formatted)."""
        if name in ("forward", "loss", "verify"):
            for layer in step.layers:
                for ix in np.ndindex(*layer.output.shape[1:]):
                    first = (0, *ix)  # the first example (not unpacked inside [], for 3.10)
                    yield _entry(layer.name, ix), num(layer.output[first])
        elif name == "backward":  # the learning flows first: fewer than the parameters
            for layer in step.layers:
                for ix in np.ndindex(*layer.grad_output.shape[1:]):
                    first = (0, *ix)
                    yield _entry(layer.name, ix), num(layer.grad_output[first])
            for p in step.params:
                for ix in np.ndindex(*p.shape):
                    yield _entry(p.name, ix), "frozen" if p.grad is None else num(p.grad[ix])
        else:
            for p in step.params:
                for ix in np.ndindex(*p.shape):
                    yield _entry(p.name, ix), num(p.old[ix]), num(p.new[ix])

    def _losses(self) -> None:
        """A run of several steps: its loss so far, drawn as the run summary draws it."""
        losses = self.query_one("#losses", Static)
        if self.trace.total_steps < 2:
            losses.update("")
            return
        if self._summary is None:
            assert self._maker is not None
            summary = self._maker.summary()
            title = Text("\nThe loss so far (the run summary)", style="bold")
            self._summary = self._drawn(replace(summary, body=[title, *summary.body]), self._width)
        losses.update(self._summary)

    def number_style(self) -> NumberStyle:
        precision = self.options.precision
        return NumberStyle(
            DEFAULT_PRECISION if precision is None else precision,
            self.options.fractions and self.trace.numerics == "exact",
            explicit=precision is not None,
        )

    # -- panels ---------------------------------------------------------------------------------

    def _panels(self) -> None:
        side = self.query_one("#side", Vertical)
        shown = any(self.panels.values())
        side.set_class(shown, "shown")
        side.styles.width = 60 if self.wide else "100%"
        self.query_one("#phase").display = self.wide or not shown
        self.query_one("#network-panel").set_class(not self.panels["network"], "hidden")
        self.query_one("#explain-panel").set_class(not self.panels["explain"], "hidden")
        if self.panels["network"]:
            self.query_one("#network", Static).update(self._network())
        if self.panels["explain"]:
            self.query_one("#explanation", Static).update(self._explanation())

    def _explanation(self) -> Any:
        key = (self.selected, self.place.step, self.options.precision, self.options.fractions)
        if key not in self._explained:
            self._explained[key] = self._explain()
        return self._explained[key]

    def _explain(self) -> Any:
        if self.selected is None:
            return "Pick an entry in the table (arrow keys or a click) to see how it came to be."
        from backprop_trace.explain import TargetError, explain_text
        from backprop_trace.render.explain import text_renderable

        step = self.trace.steps[self.place.step]
        try:
            explained = explain_text(self.trace, self.selected, step=step.step)
        except TargetError as error:
            return visible(error.message)
        return text_renderable(explained, self.number_style())

    def _network(self) -> Any:
        """The network as a compact drawing: each layer's units with this phase's values (the
        forward output, or the learning flow in the backward pass), positive green, negative
        red, the selected entry reversed."""
        step = self.trace.steps[self.place.step]
        num = self.number_style()
        backward = self.place.phase == "backward"
        out = Text()
        out.append(f"x ({'×'.join(str(n) for n in step.inputs.shape[1:])})\n", style="bold")
        for layer in step.layers:
            values = layer.grad_output[0] if backward else layer.output[0]
            out.append(f"↓ {visible(layer.name)} ({layer.kind})", style="bold")
            out.append("  learning flow\n" if backward else "\n")
            for ix in list(np.ndindex(*values.shape))[:16]:
                entry = _entry(layer.name, ix)
                value = values[ix]
                style = "green" if value > 0 else ("red" if value < 0 else "dim")
                if entry == self.selected:
                    style += " reverse"
                out.append(f"  {visible(entry)} {num(value)}\n", style=style)
            if values.size > 16:
                out.append(f"  … {values.size - 16} more\n", style="dim")
            out.append_text(self._edges(layer.name, num))
        return out

    def _edges(self, layer_name: str, num: NumberStyle) -> Text:
        """A linear layer's edges into the selected unit (or the selected weight's edge), each
        coloured by its sign."""
        out = Text()
        layer = next(x for x in self.trace.scenario.layers if x.name == layer_name)
        roles = layer.roles()
        if layer.same_shape or "weight" not in roles or self.selected is None:
            return out
        weight = self.trace.steps[self.place.step].param(roles["weight"])
        if weight.old.ndim != 2:
            return out
        out_in = self.trace.scenario.layout == "out_in"
        picked: list[tuple[int, int]] = []  # (input, unit)
        units = weight.old.shape[0] if out_in else weight.old.shape[1]
        inputs = weight.old.shape[1] if out_in else weight.old.shape[0]
        for j in range(units):
            if self.selected == _entry(layer_name, (j,)):
                picked = [(i, j) for i in range(inputs)]
        for i in range(inputs):
            for j in range(units):
                ix = (j, i) if out_in else (i, j)
                if self.selected == _entry(weight.name, ix):
                    picked = [(i, j)]
        for i, j in picked[:12]:
            ix = (j, i) if out_in else (i, j)
            value = weight.old[ix]
            style = "green" if value > 0 else ("red" if value < 0 else "dim")
            out.append(
                f"    in {i} ─ {visible(_entry(weight.name, ix))} {num(value)} → unit {j}\n",
                style=style,
            )
        if len(picked) > 12:
            out.append(f"    … {len(picked) - 12} more edges\n", style="dim")
        return out

    # -- actions --------------------------------------------------------------------------------

    def _say(self, message: str) -> None:
        """A short message in a corner of the screen; the last ones kept (``said``)."""
        self.said.append(message)
        self.notify(message, timeout=4)

    def _go(self, place: Place) -> None:
        self.place = place
        self.show()
        self.query_one("#tables", VerticalScroll).scroll_home(animate=False)

    def action_next_phase(self) -> None:
        k = PHASES.index(self.place.phase)
        if k + 1 < len(PHASES):
            self._go(replace(self.place, phase=PHASES[k + 1]))
        elif self.place.step + 1 < len(self.trace.steps):
            self._go(Place(self.place.step + 1, PHASES[0]))
        else:
            self._say("This is the last phase of the last step: r runs one more step.")

    def action_previous_phase(self) -> None:
        k = PHASES.index(self.place.phase)
        if k > 0:
            self._go(replace(self.place, phase=PHASES[k - 1]))
        elif self.place.step > 0:
            self._go(Place(self.place.step - 1, PHASES[-1]))
        else:
            self._say("This is the first phase.")

    def action_next_step(self) -> None:
        if self.place.step + 1 < len(self.trace.steps):
            self._go(replace(self.place, step=self.place.step + 1))
        else:
            self._say("This is the last step: r runs one more.")

    def action_previous_step(self) -> None:
        if self.place.step > 0:
            self._go(replace(self.place, step=self.place.step - 1))
        else:
            self._say("This is the first step.")

    def action_go_to(self) -> None:
        steps = [s.step for s in self.trace.steps]

        def went(answer: str | None) -> None:
            if answer is None:
                return
            if not answer.strip().isdigit() or int(answer) not in steps:
                self._say(f"No step {visible(answer)!r}: steps {steps[0]}–{steps[-1]}.")
                return
            self._go(replace(self.place, step=steps.index(int(answer))))

        self.push_screen(Ask(f"Go to step ({steps[0]}–{steps[-1]}):"), went)

    def action_explain(self) -> None:
        self.panels["explain"] = not self.panels["explain"]
        self.show()

    def action_network(self) -> None:
        self.panels["network"] = not self.panels["network"]
        self.show()

    def action_fractions(self) -> None:
        if self.trace.numerics != "exact":
            self._say("This trace is float64: it has no fractions to show.")
            return
        self.options = replace(self.options, fractions=not self.options.fractions)
        self._maker = None
        self.show()

    def action_precision(self, change: int) -> None:
        current = self.options.precision
        value = min(17, max(0, (DEFAULT_PRECISION if current is None else current) + change))
        self.options = replace(self.options, precision=value)
        self._maker = None
        self._say(f"{value} decimals")
        self.show()

    def action_more_steps(self, count: int) -> None:
        if self.more is None:
            self._say("This trace cannot run further.")
            return
        self.trace = self.more(self.trace.total_steps + count)
        self._runs += 1
        self._maker = None
        self._say(f"Ran to step {self.trace.total_steps}.")
        self.show()

    def action_ask_steps(self) -> None:
        def ran(answer: str | None) -> None:
            if answer is None:
                return
            if not answer.strip().isdigit() or not 1 <= int(answer) <= MAX_STEPS_AT_ONCE:
                self._say(f"Give a number of steps from 1 to {MAX_STEPS_AT_ONCE:,}.")
                return
            self.action_more_steps(int(answer))

        self.push_screen(Ask("Run how many more steps?"), ran)

    def action_scroll_tables(self, pages: int) -> None:
        tables = self.query_one("#tables", VerticalScroll)
        (tables.scroll_page_down if pages > 0 else tables.scroll_page_up)(animate=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    @on(DataTable.RowHighlighted, "#entries")
    def picked(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is not None and key != self.selected:
            self.selected = key
            self._panels()


def _widths(rows: list[tuple[str, ...]]) -> list[int]:
    """Each column's widest cell, as shown."""
    return (
        [max((len(visible(r[k])) for r in rows), default=0) for k in range(len(rows[0]))]
        if rows
        else []
    )


def _entry(name: str, index: tuple[int, ...]) -> str:
    return name + "".join(f"[{int(i)}]" for i in index)
