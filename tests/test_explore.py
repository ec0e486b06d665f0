"""explore: the full-screen explorer, driven headless with Textual's Pilot (keys, clicks,
resizes) and, once, as the real program in a pseudo-terminal read through pyte. Each test
asserts what the screen says; SVG screenshots are kept beside them (their text compared)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from backprop_trace import load_scenario, run
from backprop_trace.render.explore import Explorer
from backprop_trace.render.phase_view import PhaseView
from backprop_trace.render.terminal import RenderOptions
from backprop_trace.trace import Trace

SNAPSHOTS = Path(__file__).parent / "snapshots" / "explore"
UPDATE = bool(os.environ.get("UPDATE_SNAPSHOTS"))
HEADING = re.compile(r"Step \d+(?: of \d+)? · \d\. [A-Z][a-z]+(?: pass)?")


def _trace(name: str, steps: int | None = None) -> Trace:
    return run(load_scenario(name), steps=steps)


def drive(
    app: Explorer, script: Callable[[Any], Awaitable[None]], size: tuple[int, int] = (80, 24)
) -> None:
    async def go() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot)

    asyncio.run(go())


def heading(app: Explorer) -> str:
    return str(app.query_one("#heading", Static).content)


def body(app: Explorer) -> str:
    """The phase's tables as text (what the scrollable body shows, all of it)."""
    return app.query_one("#body", PhaseView).drawing.text()


def picked(app: Explorer) -> str:
    """The text of the entry drawn as picked in the tables ('' if none is)."""
    view = app.query_one("#body", PhaseView)
    spot = view.spot
    if spot is None:
        return ""
    return view.drawing.lines[spot.line].text[spot.start : spot.end].strip()


def screen_text(app: Explorer) -> str:
    """Everything on the screen now, as text: from the SVG screenshot kept beside."""
    svg = app.export_screenshot()
    text = " ".join(re.sub(r"&#160;|&nbsp;", " ", t) for t in re.findall(r">([^<>]+)</text>", svg))
    return " ".join(text.split())


def keep_screenshot(app: Explorer, name: str) -> None:
    """The screen as SVG beside the test; its text must match the kept one's (the drawing
    may differ between Textual versions, the words may not)."""
    svg = app.export_screenshot()
    path = SNAPSHOTS / f"{name}.svg"
    if UPDATE or not path.exists():
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
    kept = path.read_text(encoding="utf-8")

    def words(svg_text: str) -> list[str]:
        found = re.findall(r">([^<>]+)</text>", svg_text)
        return " ".join(re.sub(r"&#160;|&nbsp;", " ", t) for t in found).split()

    assert words(svg) == words(kept), f"the screen changed: UPDATE_SNAPSHOTS=1 pytest {__file__}"


def test_opens_on_the_first_phase_and_moves_both_ways() -> None:
    app = Explorer(_trace("diagonal_flip"), RenderOptions())

    async def script(pilot: Any) -> None:
        assert heading(app) == "Step 1 · 1. Forward pass"
        assert "Pre-activation" in body(app)
        keep_screenshot(app, "forward_80x24")
        await pilot.press("right", "right")
        assert heading(app) == "Step 1 · 3. Backward pass"
        assert HEADING.findall(screen_text(app)) == ["Step 1 · 3. Backward pass"]
        assert "Learning flow" in body(app)
        await pilot.press("left")
        assert heading(app) == "Step 1 · 2. Loss"
        await pilot.press("h", "h")  # nothing before the first phase: it stays
        assert heading(app) == "Step 1 · 1. Forward pass"
        await pilot.press("l", "space")
        assert heading(app) == "Step 1 · 3. Backward pass"
        await pilot.press("q")

    drive(app, script)
    assert app.return_code in (0, None)


def test_steps_back_and_forth_and_go_to() -> None:
    app = Explorer(_trace("adam_first_steps"), RenderOptions())

    async def script(pilot: Any) -> None:
        assert heading(app) == "Step 1 of 3 · 1. Forward pass"
        await pilot.press("n")
        assert heading(app) == "Step 2 of 3 · 1. Forward pass"
        await pilot.press("left")  # back across the step: the previous step's verify
        assert heading(app) == "Step 1 of 3 · 5. Verify"
        await pilot.press("right", "right", "p")
        assert heading(app) == "Step 1 of 3 · 2. Loss"
        await pilot.press("g")
        await pilot.press("3", "enter")
        assert heading(app) == "Step 3 of 3 · 2. Loss"
        await pilot.press("g", "9", "enter")  # no such step: it says so and stays
        assert heading(app) == "Step 3 of 3 · 2. Loss" and "No step '9'" in app.said[-1]
        assert "The loss so far" in body(app) and "before step 1" in body(app)

    drive(app, script, size=(100, 30))


def test_an_entry_picked_in_the_tables_by_keys_or_a_click_is_explained() -> None:
    trace = _trace("classic_2_2_2")
    step = trace.steps[0]
    app = Explorer(trace, RenderOptions())
    num = app.number_style()
    out = {layer.name: layer.output[0] for layer in step.layers}
    flow = {layer.name: layer.grad_output[0] for layer in step.layers}
    grad = {p.name: p.grad for p in step.params}

    async def script(pilot: Any) -> None:
        assert app.selected == "linear1[0]"  # the first entry, picked at the start
        assert picked(app) == num(out["linear1"][0])  # drawn picked: its pre-activation
        await pilot.press("tab")  # the next entry on the line: the unit's output
        assert app.selected == "sigmoid1[0]" and picked(app) == num(out["sigmoid1"][0])
        await pilot.press("down")  # the line below, the same column
        assert app.selected == "sigmoid1[1]" and picked(app) == num(out["sigmoid1"][1])
        await pilot.press("right", "right")  # backward: the pick stays, found in this phase
        assert app.selected == "sigmoid1[1]" and picked(app) == num(flow["sigmoid1"][1])
        await pilot.press("down")  # into the gradient grid dL/dW1 below, the nearest column
        assert app.selected == "W1[0][1]" and picked(app) == num(grad["W1"][0][1])
        await pilot.press("down", "shift+tab")
        assert app.selected == "W1[1][0]" and picked(app) == num(grad["W1"][1][0])
        await pilot.press("e")
        await pilot.pause()
        assert app.panels["explain"]
        assert "W1[1][0] · step 1" in screen_text(app)
        await pilot.press("e")
        await pilot.pause()
        view = app.query_one("#body", PhaseView)
        target = view.drawing.find("W2[1][0]")
        assert target is not None and target.line >= view.scroll_offset.y  # on the screen
        where = (target.start + 1, target.line - view.scroll_offset.y)
        await pilot.click("#body", offset=where)  # a click picks it
        await pilot.pause()
        assert app.selected == "W2[1][0]" and picked(app) == num(grad["W2"][1][0])
        keep_screenshot(app, "picked_80x24")
        await pilot.press("e")
        await pilot.pause()
        assert "W2[1][0] · step 1" in screen_text(app)
        keep_screenshot(app, "explained_80x24")

    drive(app, script)


def test_picking_by_name_and_in_a_batch() -> None:
    app = Explorer(_trace("softmax_classification"), RenderOptions())

    async def script(pilot: Any) -> None:
        await pilot.press("slash", *"W9[0][0]", "enter")  # no such entry: it says what exists
        assert "did you mean" in app.said[-1]
        await pilot.press("slash", *"W1[0][1]", "enter")
        assert app.selected == "W1[0][1]" and app.panels["explain"]
        assert "W1[0][1] · step 1" in screen_text(app)
        await pilot.press("e", "right", "right")
        view = app.query_one("#body", PhaseView)
        top, height = view.scroll_offset.y, view.scrollable_content_region.height
        spots = [s for s in view.drawing.spots if s.example == 1 and top <= s.line < top + height]
        assert spots, "a batch's learning flows are picked with their example"
        cell = spots[0]
        await pilot.click("#body", offset=(cell.start, cell.line - view.scroll_offset.y))
        await pilot.pause()
        assert (app.selected, app.example) == (cell.entry, cell.example)

    drive(app, script, size=(100, 30))


def test_the_panels_sit_beside_the_tables_when_wide_and_follow_a_resize() -> None:
    app = Explorer(_trace("classic_2_2_2"), RenderOptions())

    async def script(pilot: Any) -> None:
        await pilot.press("d")
        assert app.query_one("#phase").display is False  # 80 columns: the panel instead
        assert "↓ linear1" in screen_text(app)
        await pilot.resize_terminal(150, 40)
        await pilot.pause()
        assert app.query_one("#phase").display is True  # wide: beside the tables
        text = screen_text(app)
        assert "↓ linear1" in text and "Pre-activation" in text
        keep_screenshot(app, "network_150x40")
        await pilot.press("d")
        assert not app.panels["network"]

    drive(app, script)


def test_fractions_precision_more_steps_and_help() -> None:
    exact = Explorer(_trace("diagonal_flip"), RenderOptions())

    async def script(pilot: Any) -> None:
        await pilot.press("f")
        assert "1/10" in body(exact) or "/" in body(exact)
        await pilot.press("f", "plus")
        assert exact.options.precision == 5 and "0.00000" in body(exact)
        await pilot.press("minus", "minus")
        assert exact.options.precision == 3
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Keys" in screen_text(exact) and "go to a step" in screen_text(exact)
        await pilot.press("escape")

    drive(exact, script)

    def more(total: int) -> Trace:
        return _trace("tanh_regression", total)

    floats = Explorer(_trace("tanh_regression"), RenderOptions(), more=more)

    async def float_script(pilot: Any) -> None:
        await pilot.press("f")
        await pilot.pause()
        assert "no fractions" in floats.said[-1]
        await pilot.press("r")
        assert floats.trace.total_steps == 2
        await pilot.press("n")
        assert heading(floats) == "Step 2 of 2 · 1. Forward pass"
        await pilot.press("R", "3", "enter")
        assert floats.trace.total_steps == 5

    drive(floats, float_script, size=(100, 30))


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_the_real_program_in_a_terminal() -> None:
    """explore opens on step 1's forward pass; two Right presses show the backward pass and
    no other phase heading; Left shows the loss; q exits 0 and leaves the terminal sane."""
    from terminal_driver import Terminal

    trace = _trace("diagonal_flip")
    num = Explorer(trace, RenderOptions()).number_style()
    pre = trace.steps[0].layers[0].output[0]  # linear1's pre-activations
    term = Terminal(["explore", "diagonal_flip"], columns=80, lines=24)
    term.wait_for("Step 1 · 1. Forward pass")
    term.read(0.3)
    assert term.reversed_text() == [num(pre[0])]  # the first entry, drawn picked
    term.press(b"\x1b[B")  # Down: the entry below
    term.read(0.3)
    assert term.reversed_text() == [num(pre[1])]
    term.press(b"\x1b[C")
    term.wait_for("Step 1 · 2. Loss")
    term.press(b"\x1b[C")
    term.wait_for("Step 1 · 3. Backward pass")
    assert HEADING.findall(term.text()) == ["Step 1 · 3. Backward pass"]
    term.press(b"\x1b[D")
    term.wait_for("Step 1 · 2. Loss")
    assert HEADING.findall(term.text()) == ["Step 1 · 2. Loss"]
    term.resize(120, 30)
    term.read(1)
    assert "Step 1 · 2. Loss" in term.text()
    term.press(b"q")
    assert term.finish() == 0
    assert term.raw.endswith(b"\x1b[?1049l") or b"\x1b[?1049l" in term.raw[-200:]  # screen back


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_ctrl_c_leaves_the_terminal_as_it_was() -> None:
    from terminal_driver import Terminal

    term = Terminal(["explore", "adam_first_steps"], columns=80, lines=24)
    term.wait_for("Step 1 of 3 · 1. Forward pass")
    term.press(b"\x03")
    assert term.finish() == 0
    tail = term.raw[-400:]
    assert b"\x1b[?1049l" in tail  # back from the alternate screen
    assert b"\x1b[?25h" in tail  # the cursor shown again


# -- every entry the tables offer ------------------------------------------------------------------

CASES = sorted((Path(__file__).parent / "torch_cases").glob("*.yaml"))
BUNDLED_NAMES = ["classic_2_2_2", "diagonal_flip", "digit_cnn", "batchnorm_mlp", "mnist_sized"]


def _index_of(entry: str, name: str) -> tuple[int, ...]:
    return tuple(int(k) for k in re.findall(r"\[(\d+)\]", entry[len(name) :]))


@pytest.mark.parametrize("source", BUNDLED_NAMES + CASES, ids=lambda s: Path(str(s)).stem)
def test_every_entry_the_tables_offer_is_explained_and_shows_its_own_value(source: Any) -> None:
    """In every phase of every kind of network, each cell the explorer lets you pick names an
    entry that explain knows (with the example its cell shows), and in the backward pass a cell
    that is one gradient or one learning flow shows that entry's own value (its indexes read
    in the scenario's layout, a kernel's and a map's in theirs)."""
    from backprop_trace.explain import explain_text
    from backprop_trace.render.phase_view import draw
    from backprop_trace.render.terminal import PHASES, PhaseMaker

    trace = _trace(str(source), 1)
    maker = PhaseMaker(trace, RenderOptions(), 150, picking=True)
    step = trace.steps[0]
    params = {p.name: p for p in step.params}
    layers = {layer.name: layer for layer in step.layers}
    batch = len(step.examples) > 1
    checked = explained = 0
    seen: set[tuple[str, int | None]] = set()
    for name in PHASES:
        drawing = draw(150, maker.phase(step, name).body)
        for spot in drawing.spots:
            example = spot.example if batch else None
            if (spot.entry, example) not in seen and len(seen) < 60:  # explain is not cheap
                seen.add((spot.entry, example))
                assert explain_text(trace, spot.entry, example=example).lines
                explained += 1
            text = drawing.lines[spot.line].text[spot.start : spot.end].strip()
            if name != "backward" or " " in text:  # a row, or a labelled line
                continue
            owner = max((n for n in [*params, *layers] if spot.entry.startswith(n + "[")), key=len)
            ix = _index_of(spot.entry, owner)
            if owner in params:
                assert text == maker.view.gradient(params[owner], ix), spot
            else:
                assert text == maker.view.flow(layers[owner], (spot.example or 0, *ix)), spot
            checked += 1
    assert explained > 0 and checked > 0
