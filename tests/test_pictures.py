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
