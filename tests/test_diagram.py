"""diagram: the network as SVG. Valid and self-contained, an edge per weight with its numbers on
hover, each unit's values on its node, what is dead or frozen marked, wide and image layers
summarised, every text readable (contrast at least 4.5:1)."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from test_pictures import contrast
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.cli import app
from backprop_trace.render import diagram as drawing
from backprop_trace.render.diagram import diagram_svg
from backprop_trace.render.numbers import NumberStyle

runner = CliRunner()
SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def _groups(root: ElementTree.Element, cls: str) -> list[ElementTree.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == cls]


def _title(group: ElementTree.Element) -> str:
    title = group.find(f"{SVG}title")
    assert title is not None and title.text
    return title.text


def _texts(group: ElementTree.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def test_diagonal_flip_has_an_edge_per_weight_and_its_values_on_the_nodes(tmp_path: Path) -> None:
    out = tmp_path / "net.svg"
    result = runner.invoke(app, ["diagram", "diagonal_flip", "--output", str(out)])
    assert result.exit_code == 0, result.output
    root = _parse(out.read_text(encoding="utf-8"))
    trace = run(load_scenario("diagonal_flip"))
    step, num = trace.steps[0], NumberStyle()
    edges = _groups(root, "edge")
    weights = [p for p in step.params if p.old.ndim == 2]
    assert len(edges) == sum(p.old.size for p in weights) == 24
    titles = [_title(e) for e in edges]
    for p in weights:  # each weight once, with its value, gradient and new value
        for ix in np.ndindex(*p.shape):
            name = f"{p.name}[{ix[0]}][{ix[1]}]"
            (hover,) = [t for t in titles if t.startswith(name + " ")]
            assert hover == (
                f"{name} = {num(p.old[ix])} · gradient {num(p.grad[ix])} · new {num(p.new[ix])}"
            )
    units = _groups(root, "unit")
    layers = {layer.name: layer for layer in step.layers}
    for group in units:  # each unit's values written on its node
        unit = _title(group).split(" · ")[0]
        name, j = re.fullmatch(r"(.+)\[(\d+)\]", unit).groups()  # type: ignore[union-attr]
        shown = " ".join(_texts(group))
        if name == "x":
            assert num(step.inputs[0][int(j)]) in shown
        else:
            assert num(layers[name].output[0][int(j)]) in shown
    assert len(units) == 4 + 3 + 4
    dead = [g for g in units if "dead" in _texts(g)]  # seed 002: hidden units 0 and 1
    assert [_title(g).split(" · ")[0] for g in dead] == ["relu1[0]", "relu1[1]"]


def test_it_is_self_contained() -> None:
    for name in ("diagonal_flip", "digit_cnn", "mnist_sized"):
        svg = diagram_svg(run(load_scenario(name)))
        _parse(svg)
        assert "href" not in svg and "url(" not in svg and "@import" not in svg
        assert re.findall(r"https?://[^\s\"']+", svg) == ["http://www.w3.org/2000/svg"]
        assert "<script" not in svg and "font-face" not in svg


def test_every_text_colour_reads_on_every_fill_behind_text() -> None:
    """Text sits on the page, on a node, on a dead node or on a connector: every colour a text
    of the drawing takes has a contrast of at least 4.5:1 with each of them (WCAG AA)."""
    for name in ("diagonal_flip", "frozen_layer", "digit_cnn"):
        svg = diagram_svg(run(load_scenario(name)))
        style = svg[svg.index("<style>") : svg.index("</style>")]
        rules = dict(re.findall(r"([.\w]+) \{[^}]*?fill: (#[0-9a-f]{6})", style))
        colours = {rules["text"]}
        for text in _parse(svg).iter(f"{SVG}text"):
            for cls in (text.get("class") or "").split():
                colours.add(rules.get("." + cls, rules["text"]))
        assert drawing.POSITIVE in colours and drawing.NEGATIVE in colours
        for colour in colours:
            for fill in (drawing.PAPER, drawing.NODE, drawing.DEAD_NODE, "#e8e8e8"):
                assert contrast(colour, fill) >= 4.5, (colour, fill)


@pytest.mark.parametrize("show", ["gradients", "updates"])
def test_edges_are_as_wide_as_what_they_show(show: str) -> None:
    trace = run(load_scenario("classic_2_2_2"))
    root = _parse(diagram_svg(trace, show=show))
    step = trace.steps[0]
    for p in (p for p in step.params if p.old.ndim == 2):
        shown = p.grad if show == "gradients" else p.new - p.old
        biggest = np.unravel_index(int(np.argmax(np.abs(shown))), shown.shape)
        name = f"{p.name}[{biggest[0]}][{biggest[1]}] "
        (edge,) = [e for e in _groups(root, "edge") if _title(e).startswith(name)]
        line = edge.find(f"{SVG}line")
        assert line is not None and float(line.get("stroke-width", 0)) == drawing.MAX_EDGE
        colour = drawing.POSITIVE if shown[biggest] > 0 else drawing.NEGATIVE
        assert line.get("stroke") == colour


def test_a_frozen_layer_draws_its_edges_dashed_and_says_so() -> None:
    trace = run(load_scenario("frozen_layer"))
    root = _parse(diagram_svg(trace, show="gradients"))
    frozen = [p for p in trace.steps[0].params if not p.trainable and p.old.ndim == 2]
    assert frozen
    for p in frozen:
        edges = [e for e in _groups(root, "edge") if _title(e).startswith(p.name + "[")]
        assert len(edges) == p.old.size
        for edge in edges:
            assert "frozen" in _title(edge)
            line = edge.find(f"{SVG}line")
            assert line is not None and line.get("stroke") == drawing.FROZEN
            assert line.get("stroke-dasharray")
    heads = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "frozen" in heads


def test_wide_and_image_layers_are_summarised() -> None:
    svg = diagram_svg(run(load_scenario("mnist_sized")))
    root = _parse(svg)
    assert len(svg) < 60_000  # not 100,000 edges
    bands = _groups(root, "unit band")
    assert [_title(b).split(":")[0] for b in bands] == ["x", "relu1"]
    assert "784 units" in _title(bands[0]) and "128 units" in _title(bands[1])
    connectors = _groups(root, "edge band")
    assert len(connectors) == 2 and "W1 784×128" in _title(connectors[0])
    cnn = _parse(diagram_svg(run(load_scenario("digit_cnn"))))
    stacks = [_title(b) for b in _groups(cnn, "unit band")]
    assert stacks[0].startswith("x: 64 values") and "conv1" not in stacks[0]
    assert any(s.startswith("relu1: 72 values") for s in stacks)


def test_bad_options_are_usage_errors() -> None:
    result = runner.invoke(app, ["diagram", "diagonal_flip", "--show", "weight"])
    assert result.exit_code == 2 and "weights" in result.output
    result = runner.invoke(app, ["diagram", "diagonal_flip", "--step", "0"])
    assert result.exit_code == 2
