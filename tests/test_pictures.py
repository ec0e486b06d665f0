"""Pictures for slides and pages: --format svg references nothing outside itself, --phase picks
phases in every format, one phase fills a 1280×720 slide with text of 12 px or more, and every
colour of its text reads at 4.5:1 or more on its background."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.cli import app
from backprop_trace.render.export import SVG_THEME, render_markdown, render_svg
from backprop_trace.render.terminal import PHASE_NAMES, RenderOptions, render_text

runner = CliRunner()


def luminance(colour: str) -> float:
    rgb = [int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def external(document: str) -> list[str]:
    """Whatever a document would fetch or point to outside itself."""
    found = re.findall(r"https?://[^\s\"'<>)]+", document)
    found = [u for u in found if u != "http://www.w3.org/2000/svg"]
    found += re.findall(
        r"@import|@font-face|url\((?!#)|<link|\bsrc=|<script", document
    )  # url(#id): its own
    return found


def test_the_cli_knows_every_phase_name() -> None:
    from backprop_trace.cli.run import PHASE_NAMES as CLI_NAMES

    assert CLI_NAMES == PHASE_NAMES


@pytest.mark.parametrize("name", ["diagonal_flip", "digit_cnn", "adam_first_steps"])
def test_svg_is_self_contained(name: str) -> None:
    trace = run(load_scenario(name))
    for options in (RenderOptions(), RenderOptions(phases=("backward",))):
        svg = render_svg(trace, options)
        ElementTree.fromstring(svg)
        assert external(svg) == []
        assert "monospace" in svg


def _text_colours(svg: str) -> tuple[set[str], str]:
    """The fill of every class a text of rich's SVG uses, and the terminal's background."""
    rules = dict(re.findall(r"\.(terminal-\d+-r\d+) \{ ?([^}]*)\}", svg))
    used = set(re.findall(r'<text class="(terminal-\d+-r\d+)"', svg))
    colours = set()
    for cls in used:
        fill = re.search(r"fill: (#[0-9a-f]{6})", rules.get(cls, ""))
        colours.add(fill.group(1) if fill else SVG_THEME.foreground_color.hex)
    return colours, SVG_THEME.background_color.hex


@pytest.mark.parametrize("name", ["diagonal_flip", "frozen_layer", "learning_flow"])
def test_every_colour_of_the_svg_reads_on_its_background(name: str) -> None:
    svg = render_svg(run(load_scenario(name)), RenderOptions())
    colours, background = _text_colours(svg)
    assert len(colours) >= 3  # plain, and the colours of signs and marks
    for colour in colours:
        assert contrast(colour, background) >= 4.5, colour


def test_one_phase_fills_a_slide_with_text_of_12_px_or_more(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "update.svg"
    result = runner.invoke(
        app, ["run", "diagonal_flip", "--phase", "update", "--format", "svg", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    svg = out.read_text(encoding="utf-8")
    width, height = (float(n) for n in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())  # type: ignore[union-attr]
    scale = min(1280 / width, 720 / height)
    sizes = [float(n) for n in re.findall(r"font-size: ?([\d.]+)px", svg)]
    assert min(sizes) * scale >= 12, (width, height, min(sizes))
    words = " ".join(re.findall(r">([^<>]+)</text>", svg)).replace("&#160;", " ")
    assert "4. Update" in words and "Backward" not in words and "Before → after" in words


def test_phase_picks_phases_in_every_format() -> None:
    trace = run(load_scenario("adam_first_steps"))
    options = RenderOptions(phases=("loss", "summary"))
    markdown = render_markdown(trace, options)
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == [f"## Step {k} of 3 · 2. Loss" for k in (1, 2, 3)] + ["## Run summary"]
    from io import StringIO

    from rich.console import Console

    console = Console(width=100, file=StringIO(), color_system=None)
    render_text(trace, console, options)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "2. Loss" in text and "1. Forward" not in text and "Run summary" in text
    result = runner.invoke(app, ["run", "adam_first_steps", "--phase", "verify", "-f", "html"])
    assert (
        result.exit_code == 0 and "5. Verify" in result.stdout and "4. Update" not in result.stdout
    )


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--phase", "updates"], "did you mean 'update'"),
        (["--phase", "loss", "-f", "json"], "JSON trace holds every phase"),
        (["--phase", "loss", "--quiet"], "--quiet prints only the summary"),
    ],
)
def test_phase_mistakes_are_usage_errors(arguments: list[str], said: str) -> None:
    result = runner.invoke(app, ["run", "diagonal_flip", *arguments])
    assert result.exit_code == 2 and said in result.output


# -- the web page, and notebooks ------------------------------------------------------------------


def test_the_html_page_has_sections_contents_tables_and_the_diagram() -> None:
    from html.parser import HTMLParser

    from backprop_trace.render.export import render_html

    trace = run(load_scenario("adam_first_steps"))
    page = render_html(trace, RenderOptions())
    assert external(page) == []
    title = re.search(r"<title>(.*?)</title>", page)
    assert title is not None and title.group(1) == "backprop-trace: Adam: the first steps"
    ids = re.findall(r'<section id="([^"]+)">', page)
    assert ids == [f"step-{k}-{n}" for k in (1, 2, 3) for n in PHASE_NAMES[:5]] + ["summary"]
    links = re.findall(r'<a href="#([^"]+)">', page)
    assert links == ids  # the contents list: every section, in order
    assert page.count("<svg") == 1 and "<figure>" in page  # the network, drawn inline
    assert page.count("<table") > 20 and "<pre>" in page  # tables; the loss chart kept drawn

    class Check(HTMLParser):  # well nested: every element closed in order
        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag not in ("meta", "br", "line", "rect", "polygon"):
                self.open.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if tag in ("line", "rect", "polygon"):
                return
            assert self.open and self.open[-1] == tag, (tag, self.open[-3:])
            self.open.pop()

    checker = Check()
    checker.feed(page)
    assert checker.open == []


@pytest.mark.parametrize("scheme", ["LIGHT", "DARK"])
def test_the_page_reads_on_light_and_dark_backgrounds(scheme: str) -> None:
    from backprop_trace.render import page

    colours = getattr(page, scheme)
    for text in ("fg", "dim", "pos", "neg", "mark", "frozen", "other", "sym"):
        for background in ("bg", "head"):
            assert contrast(colours[text], colours[background]) >= 4.5, (text, background)
    style = page.STYLE
    assert "prefers-color-scheme: dark" in style
    for name, value in page.DARK.items():
        assert f"--{name}: {value};" in style


def test_a_trace_and_a_scenario_show_themselves_in_a_notebook() -> None:
    scenario = load_scenario("diagonal_flip")
    shown = run(scenario)._repr_html_()
    assert shown.startswith('<div class="bt">') and shown.endswith("</div>")
    assert "<svg" in shown and "<table" in shown and "Step 1 · 4. Update" in shown
    assert "<html" not in shown and "<body" not in shown and external(shown) == []
    network = scenario._repr_html_()
    assert "<svg" in network and "W1 (4×3)" in network and "Parameters" in network
