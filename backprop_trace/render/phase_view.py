"""The explorer's view of one phase: its tables drawn once into lines, the entries in them
(cells that View.pick marked) found where they were drawn, and a widget that shows the lines,
scrolls them, and lets Up / Down / Tab or a click pick an entry."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from backprop_trace.render.terminal import body_parts
from backprop_trace.render.view import PICK

PICKED = Style(reverse=True, bold=True)  # how the picked entry is drawn


@dataclass(frozen=True)
class Spot:
    """Where an entry sits in a drawn phase: a line, its columns [start, end), the entry's name
    and (in a batch) the example its cells show."""

    line: int
    start: int
    end: int
    entry: str
    example: int | None

    @property
    def middle(self) -> float:
        return (self.start + self.end) / 2


@dataclass
class Drawing:
    """A phase drawn once: its lines and the entries in them, in reading order."""

    lines: list[Strip] = field(default_factory=list)
    spots: list[Spot] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((strip.cell_length for strip in self.lines), default=0)

    def text(self) -> str:
        return "\n".join(strip.text.rstrip() for strip in self.lines)

    def find(self, entry: str | None, example: int | None = None) -> Spot | None:
        """The first spot of an entry (of that example, if it is shown, else of any)."""
        same = [spot for spot in self.spots if spot.entry == entry]
        return next((s for s in same if s.example == example), same[0] if same else None)

    def at(self, line: int, column: int) -> Spot | None:
        return next(
            (s for s in self.spots if s.line == line and s.start <= column < s.end),
            None,
        )

    def vertical(self, spot: Spot, direction: int) -> Spot | None:
        """The entry on the nearest line above (-1) or below (+1) that has entries, the one
        nearest the column of ``spot``."""
        lines = [s.line for s in self.spots if (s.line - spot.line) * direction > 0]
        if not lines:
            return None
        line = min(lines) if direction > 0 else max(lines)
        return min(
            (s for s in self.spots if s.line == line), key=lambda s: abs(s.middle - spot.middle)
        )

    def beside(self, spot: Spot, direction: int) -> Spot | None:
        """The entry after (+1) or before (-1) ``spot`` in reading order."""
        k = self.spots.index(spot) + direction
        return self.spots[k] if 0 <= k < len(self.spots) else None


def draw(width: int, body: Iterable[RenderableType]) -> Drawing:
    """Render a phase's body at ``width`` into lines as the text output prints it (its tables
    fitted), noting where each picked entry's cells landed (cells of one entry next to each
    other on a line are one spot: a row of the update table)."""
    console = Console(
        width=width,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        highlight=False,
    )
    drawing = Drawing()
    for part in body_parts(console, list(body)):
        for segments in console.render_lines(part, console.options, pad=False, new_lines=False):
            y, x = len(drawing.lines), 0
            for segment in segments:
                n = segment.cell_length
                picked = segment.style.meta.get(PICK) if segment.style is not None else None
                if picked is not None:
                    entry, example = picked
                    last = drawing.spots[-1] if drawing.spots else None
                    if (
                        last is not None
                        and last.line == y
                        and (last.entry, last.example)
                        == (
                            entry,
                            example,
                        )
                    ):
                        drawing.spots[-1] = Spot(y, last.start, x + n, entry, example)
                    else:
                        drawing.spots.append(Spot(y, x, x + n, entry, example))
                x += n
            drawing.lines.append(Strip(segments, x))
    return drawing


def _highlighted(strip: Strip, spot: Spot) -> Strip:
    before, middle, after = strip.divide([spot.start, spot.end, strip.cell_length])
    lit = Strip(
        [Segment(s.text, (s.style or Style()) + PICKED, s.control) for s in middle],
        middle.cell_length,
    )
    return Strip.join([before, lit, after])


class Lines(ScrollView):
    """Drawn lines, scrollable; only the lines on the screen are cut to its width when it is
    painted (a panel: the network, an explanation)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.drawing = Drawing()
        self.spot: Spot | None = None  # an entry drawn picked
        self._style = Style()

    def show(self, drawing: Drawing, home: bool = True) -> None:
        self.drawing = drawing
        self.virtual_size = Size(drawing.width, len(drawing.lines))
        if home:
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._style = self.rich_style  # once for all the lines: it is not cheap
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        line = scroll_y + y
        width = self.scrollable_content_region.width
        style = self._style
        if line >= len(self.drawing.lines):
            return Strip.blank(width, style)
        strip = self.drawing.lines[line]
        if self.spot is not None and self.spot.line == line:
            strip = _highlighted(strip, self.spot)
        return strip.apply_style(style).crop_extend(scroll_x, scroll_x + width, style)


class PhaseView(Lines, can_focus=True):
    """The phase's drawn lines, the picked entry reversed. Up / Down: the entry on the line
    above / below (nearest the column); Tab / Shift+Tab: the next / previous entry; a click
    picks the entry under it."""

    BINDINGS: ClassVar[list[Any]] = [
        Binding("down", "vertical(1)", "down", show=False),
        Binding("up", "vertical(-1)", "up", show=False),
        Binding("tab", "beside(1)", "next entry", show=False),
        Binding("shift+tab", "beside(-1)", "previous entry", show=False),
    ]

    class Picked(Message):
        """An entry was picked (by a key or a click)."""

        def __init__(self, spot: Spot) -> None:
            super().__init__()
            self.spot = spot

    def show_phase(
        self, drawing: Drawing, picked: tuple[str | None, int | None], home: bool
    ) -> None:
        """Show a phase, with the picked entry marked if it is in it. ``home``: from the top
        (a new phase), the picked entry scrolled into view if it is below the screen."""
        self.spot = drawing.find(*picked)
        self.show(drawing, home=False)
        if home:
            height = self.scrollable_content_region.height
            y = 0
            if self.spot is not None and self.spot.line >= height - 1:
                y = self.spot.line - height // 2
            self.scroll_to(0, y, animate=False, immediate=True)

    def pick(self, spot: Spot | None) -> None:
        if spot is None:
            return
        old, self.spot = self.spot, spot
        if old is not None:
            self.refresh_line(old.line)
        self.refresh_line(spot.line)
        self.scroll_to_region(
            _region(spot), animate=False, immediate=True, spacing=None, x_axis=False
        )
        self.post_message(self.Picked(spot))

    def refresh_line(self, line: int) -> None:
        self.refresh_lines(line)

    def _first_shown(self, direction: int) -> Spot | None:
        """With nothing picked here: the first entry on the screen (Down, Tab) or the last
        (Up, Shift+Tab); none on the screen: the nearest one past it that way."""
        top = self.scroll_offset.y
        bottom = top + self.scrollable_content_region.height
        spots = self.drawing.spots
        shown = [s for s in spots if top <= s.line < bottom]
        if shown:
            return shown[0] if direction > 0 else shown[-1]
        if direction > 0:
            return next((s for s in spots if s.line >= bottom), None)
        return next((s for s in reversed(spots) if s.line < top), None)

    def action_vertical(self, direction: int) -> None:
        found = (
            self._first_shown(direction)
            if self.spot is None
            else self.drawing.vertical(self.spot, direction)
        )
        if found is None:  # no entry further: scroll on, as a list would
            self.scroll_relative(y=direction, animate=False)
            return
        self.pick(found)

    def action_beside(self, direction: int) -> None:
        if self.spot is None:
            self.pick(self._first_shown(direction))
            return
        self.pick(self.drawing.beside(self.spot, direction))

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        spot = self.drawing.at(offset.y + self.scroll_offset.y, offset.x + self.scroll_offset.x)
        if spot is not None:
            self.pick(spot)


def _region(spot: Spot) -> Region:
    return Region(spot.start, spot.line, spot.end - spot.start, 1)
