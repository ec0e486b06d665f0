"""Markdown, HTML, SVG and --output: every bundled scenario, and hostile names shown literally."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app
from backprop_trace.render.export import (
    escape_markdown,
    render_html,
    render_markdown,
    render_svg,
)
from backprop_trace.render.terminal import RenderOptions

SCENARIOS = sorted(scenarios_dir().glob("*.yaml"))
HOSTILE = "[bold red]Loud[/] <script>alert('x')</script> *stars* _under_ `tick` | pipe — ünïcødé"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_bundled_scenario_exports(path: Path) -> None:
    trace = run(load_scenario(path))
    markdown = render_markdown(trace, RenderOptions())
    for title in ("1. Forward pass", "2. Loss", "3. Backward pass", "4. Update", "5. Verify"):
        assert f"## Step {trace.steps[0].step}" in markdown and title in markdown
    tables = [line for line in markdown.splitlines() if line.startswith("|")]
    assert tables and all(line.endswith("|") for line in tables)
    page = render_html(trace, RenderOptions())
    assert page.startswith("<!DOCTYPE html>") and "5. Verify" in page
    ET.fromstring(render_svg(trace, RenderOptions()))  # well-formed XML


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(
        f"name: {json.dumps(HOSTILE)}\n"
        "description: '<b>bold?</b> [link](http://example.com)'\n"
        "layers: [{type: linear, weight: [[1]], bias: [0], name: '<w>'}]\n"
        "loss: sse\noptimizer: {type: sgd, lr: 0.1}\ndata: {input: [1], target: [0]}\n",
        encoding="utf-8",
    )
    return path


def test_hostile_names_are_literal_everywhere(hostile: Path) -> None:
    trace = run(load_scenario(hostile))
    options = RenderOptions()
    # terminal
    out = CliRunner().invoke(app, ["run", str(hostile)], env={"COLUMNS": "200"}).stdout
    assert HOSTILE in out and "<w>.weight" in out
    # JSON
    data = json.loads(CliRunner().invoke(app, ["run", str(hostile), "-f", "json"]).stdout)
    assert data["scenario"] == HOSTILE and data["steps"][0]["params"][0]["name"] == "<w>.weight"
    # Markdown: nothing becomes HTML, emphasis, code or a link
    markdown = render_markdown(trace, options)
    assert "<script>" not in markdown and "<b>" not in markdown and "<w>" not in markdown
    assert escape_markdown(HOSTILE) in markdown
    assert not re.search(r"(?<!\\)\]\(http", markdown)  # only escaped brackets: not a link
    # HTML and SVG: escaped text, the same characters
    page = render_html(trace, options)
    assert "<script>" not in page and html.escape(HOSTILE, quote=False)[:20] in page
    svg = render_svg(trace, options)
    assert "<script>" not in svg
    ET.fromstring(svg)


def test_escape_markdown() -> None:
    assert escape_markdown("a*b_c`d[e](f)|g<h>&") == r"a\*b\_c\`d\[e\](f)\|g&lt;h&gt;&amp;"
    assert not re.search(r"(?<!\\)[*_`\[\]|]", escape_markdown(HOSTILE))


def test_output_file_is_written_and_guards_the_input(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "trace.md"
    result = runner.invoke(app, ["run", "diagonal_flip", "-f", "markdown", "-o", str(out)])
    assert result.exit_code == 0 and out.read_text().startswith("# Diagonal flip")
    scenario = tmp_path / "s.yaml"
    scenario.write_text((scenarios_dir() / "diagonal_flip.yaml").read_text())
    before = scenario.read_text()
    result = runner.invoke(app, ["run", str(scenario), "-o", str(scenario)])
    assert result.exit_code == 2 and scenario.read_text() == before
    result = runner.invoke(app, ["run", "diagonal_flip", "-o", str(tmp_path / "no" / "x.txt")])
    assert result.exit_code == 2 and "not written" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml", "trace.md"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_markdown_table_ends_before_the_text_under_it(path: Path) -> None:
    """A line right under a pipe table is read as one more row: a caption like '*each cell:
    pre-activation → output*' must be a paragraph of its own, after a blank line."""
    text = render_markdown(run(load_scenario(path)), RenderOptions())
    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables = [t for t in tokens if t.type == "table_open"]
    assert tables
    for table in tables:
        assert table.map is not None
        end = table.map[1]  # the line after the table's last row
        assert end == len(lines) or lines[end] == "", f"no blank line after the table: {lines[end]}"
    cells = [
        t.content for i, t in enumerate(tokens) if tokens[i - 1].type in ("td_open", "th_open")
    ]
    assert not any("each cell" in cell for cell in cells), "a caption became a table row"
