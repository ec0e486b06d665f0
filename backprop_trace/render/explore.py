"""backprop-trace explore: the trace as a full-screen app (Textual). One phase at a time, its
heading exactly as the text output writes it, its tables below; back and forth across phases
and steps; an entry picked in a table explained (the chain rule with its numbers) and drawn in
the network. The trace is computed once; each phase is rendered when first shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from backprop_trace.render.numbers import DEFAULT_PRECISION, NumberStyle
from backprop_trace.render.phase_view import Drawing, Lines, PhaseView, draw
from backprop_trace.render.terminal import PHASES, PhaseMaker
from backprop_trace.render.view import Phase, RenderOptions
from backprop_trace.trace import Trace
from backprop_trace.visible import visible

WIDE = 120  # columns from which the network and explanation panels sit beside the tables
MAX_STEPS_AT_ONCE = 10_000  # R: steps added at one time
IDLE = 0.25  # seconds without a key before the phases next to this one are drawn ahead

HELP = """\
Keys

  Right  l  space   next phase (on to the next step after Verify)
  Left   h          previous phase (back across steps too)
  n / p             the same phase of the next / previous step
  g                 go to a step (asks its number)
  Up / Down         pick the entry above / below in the tables (a click picks too)
  Tab / Shift+Tab   the next / previous entry
  /                 pick an entry by its name (W1[0][2], relu1[2], loss[0])
  PgUp / PgDn       scroll the phase's tables (the mouse wheel too)
  e                 explain the picked entry: the chain rule with this step's numbers
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
    #network, #explanation { height: 1fr; border: round $secondary; overflow-y: scroll;
                             scrollbar-size-vertical: 1; }
    #network.hidden, #explanation.hidden { display: none; }
    #body { height: 1fr; overflow-y: scroll; scrollbar-size-vertical: 1; }
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
        Binding("slash", "pick_by_name", "pick by name", show=False),
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
        self.selected: str | None = None  # the picked entry ('W1[0][2]', 'relu1[2]', 'loss[0]')
        self.example: int | None = None  # in a batch: the example of the picked cell
        self.panels = {"network": False, "explain": False}
        self._maker: PhaseMaker | None = None
        self._width = 0
        self._makers: dict[int, PhaseMaker] = {}  # by the width they draw at
        self._made: dict[tuple[int, int, str], tuple[Phase, Drawing]] = {}
        self._summaries: dict[int, Drawing] = {}
        self.said: list[str] = []
        self._explained: dict[tuple[Any, ...], Drawing] = {}
        self._ahead: Timer | None = None

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="heading")
        with Main(id="main"):
            with Vertical(id="phase"):
                yield PhaseView(id="body")
            with Vertical(id="side"):
                yield Lines(id="network")
                yield Lines(id="explanation")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#body", PhaseView).focus()
        self.show(home=True)
        self.call_after_refresh(self._first_pick)

    def _first_pick(self) -> None:
        """The first entry picked at the start if it is on the first screen (the arrows move
        from it); else the first Down picks the first one there is."""
        view = self.query_one("#body", PhaseView)
        spots = view.drawing.spots
        if self.selected is None and spots and spots[0].line < view.size.height:
            view.pick(spots[0])

    @property
    def wide(self) -> bool:
        return self.size.width >= WIDE

    def _phase_width(self) -> int:
        side = 60 if self.wide and any(self.panels.values()) else 0
        return max(40, self.size.width - side - 1)  # the scrollbar's column

    # -- the phases -----------------------------------------------------------------------------

    def _phase(self, place: Place) -> tuple[Phase, Drawing]:
        """A phase of a kept step, drawn at the width the tables have now (once for each
        width: a panel opened beside the tables and closed again finds both drawn)."""
        width = self._phase_width()
        if width not in self._makers:
            self._makers[width] = PhaseMaker(self.trace, self.options, width, picking=True)
        self._maker, self._width = self._makers[width], width
        key = (width, place.step, place.phase)
        if key not in self._made:
            with np.errstate(all="ignore"):
                step = self.trace.steps[place.step]
                phase = self._maker.phase(step, place.phase)
                drawing = self._with_summary(draw(width, phase.body))
            self._made[key] = (phase, drawing)
        return self._made[key]

    def _forget(self) -> None:
        """The options or the trace changed: every phase is drawn again."""
        self._makers, self._made, self._summaries = {}, {}, {}

    def heading(self) -> str:
        """The current phase's heading, as the text output writes it."""
        step = self.trace.steps[self.place.step]
        return PhaseMaker.title_of(self.trace, step.step, self.place.phase)

    def show(self, home: bool = False) -> None:
        """Show the current phase (``home``: from its top) and the panels."""
        if not self.trace.steps:
            return
        phase, drawing = self._phase(self.place)
        self.query_one("#heading", Static).update(visible(phase.title), layout=False)
        picked = (self.selected, self.example)
        self.query_one("#body", PhaseView).show_phase(drawing, picked, home)
        self._panels()
        if self._ahead is not None:
            self._ahead.stop()
        self._ahead = self.set_timer(IDLE, self._draw_ahead)

    def _draw_ahead(self) -> None:
        """The phases next to this one, drawn once no key has come for a while: a key that
        moves there finds them ready, and a key that comes first is not kept waiting."""
        k = PHASES.index(self.place.phase)
        for step, phase in (
            (self.place.step, PHASES[k + 1] if k + 1 < len(PHASES) else None),
            (self.place.step, PHASES[k - 1] if k > 0 else None),
            (self.place.step + 1, self.place.phase),
        ):
            if phase is not None and step < len(self.trace.steps):
                self._phase(Place(step, phase))

    def _with_summary(self, drawing: Drawing) -> Drawing:
        """A run of several steps: the phase's lines, then its loss so far as the run summary
        draws it."""
        if self.trace.total_steps < 2:
            return drawing
        if self._width not in self._summaries:
            assert self._maker is not None
            summary = self._maker.summary()
            title = Text("The loss so far (the run summary)", style="bold")
            self._summaries[self._width] = draw(self._width, [Text(), title, *summary.body])
        return Drawing(drawing.lines + self._summaries[self._width].lines, drawing.spots)

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
        self.query_one("#network").set_class(not self.panels["network"], "hidden")
        self.query_one("#explanation").set_class(not self.panels["explain"], "hidden")
        width = (60 if self.wide else self.size.width) - 3  # the border, the scrollbar
        if self.panels["network"]:
            self.query_one("#network", Lines).show(draw(width, [self._network()]))
        if self.panels["explain"]:
            self.query_one("#explanation", Lines).show(self._explanation(width))

    def _explanation(self, width: int) -> Drawing:
        key = (
            width,
            self.selected,
            self.example,
            self.place.step,
            self.options.precision,
            self.options.fractions,
        )
        if key not in self._explained:
            self._explained[key] = draw(width, [self._explain()])
        return self._explained[key]

    def _explain(self) -> RenderableType:
        if self.selected is None:
            return Text(
                "Pick an entry in the tables (Up / Down, Tab, a click, or / and its name) to see "
                "how it came to be."
            )
        from backprop_trace.explain import TargetError, explain_text
        from backprop_trace.render.explain import text_renderable

        step = self.trace.steps[self.place.step]
        try:
            explained = explain_text(
                self.trace, self.selected, step=step.step, example=self.example
            )
        except TargetError as error:
            return Text(visible(error.message))
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
        units = weight.old.shape[0] if out_in else weight.old.shape[1]
        inputs = weight.old.shape[1] if out_in else weight.old.shape[0]
        picked: list[tuple[int, int]] = []  # (input, unit)
        unit = _index(self.selected, layer_name)
        at = _index(self.selected, weight.name)
        if unit is not None and len(unit) == 1 and unit[0] < units:
            picked = [(i, unit[0]) for i in range(inputs)]
        elif at is not None and len(at) == 2 and at < tuple(weight.old.shape):
            picked = [(at[1], at[0])] if out_in else [(at[0], at[1])]
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
        self.show(home=True)

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
        self._forget()
        self.show()

    def action_precision(self, change: int) -> None:
        current = self.options.precision
        value = min(17, max(0, (DEFAULT_PRECISION if current is None else current) + change))
        self.options = replace(self.options, precision=value)
        self._forget()
        self._say(f"{value} decimals")
        self.show()

    def action_more_steps(self, count: int) -> None:
        if self.more is None:
            self._say("This trace cannot run further.")
            return
        self.trace = self.more(self.trace.total_steps + count)
        self._forget()
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

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_pick_by_name(self) -> None:
        """Pick an entry by its name (one the tables do not show: a summarised tensor's), and
        open its explanation."""
        from backprop_trace.explain import TargetError, parse_target

        shapes = [tuple(int(n) for n in la.output.shape[1:]) for la in self.trace.steps[0].layers]

        def named(answer: str | None) -> None:
            if answer is None or not answer.strip():
                return
            try:
                parse_target(self.trace.scenario, answer.strip(), shapes)
            except TargetError as error:
                self._say(visible(f"{error.message}: {error.hint}"))
                return
            self.selected, self.example = answer.strip(), None
            self.panels["explain"] = True
            self.show()

        self.push_screen(Ask("Pick an entry by its name (W1[0][2], relu1[2], loss[0]):"), named)

    @on(PhaseView.Picked)
    def picked(self, event: PhaseView.Picked) -> None:
        spot = event.spot
        batch = len(self.trace.steps[self.place.step].examples) > 1
        self.selected, self.example = spot.entry, spot.example if batch else None
        self._panels()


def _index(entry: str, name: str) -> tuple[int, ...] | None:
    """The indexes of ``entry`` if it is an entry of ``name`` ('W1[3][2]' of 'W1': (3, 2))."""
    rest = entry[len(name) :] if entry.startswith(name) else ""
    if not re.fullmatch(r"(\[\d+\])+", rest):
        return None
    return tuple(int(k) for k in re.findall(r"\d+", rest))


def _entry(name: str, index: tuple[int, ...]) -> str:
    return name + "".join(f"[{int(i)}]" for i in index)
