"""How numbers are shown: decimals, small values to four significant digits, exact fractions."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app
from backprop_trace.render.numbers import (
    KEPT_DIGITS,
    READABLE_DIGITS,
    NumberStyle,
    decimal_exponent,
    exact_fraction,
    scientific,
)

# Matt Mazur's "A Step by Step Backpropagation Example": a 2-2-2 sigmoid network
MAZUR = """name: Mazur's 2-2-2 sigmoid network
layout: out_in
layers:
  - type: linear
    weight: [[0.15, 0.20], [0.25, 0.30]]
    bias: [0.35, 0.35]
  - type: sigmoid
  - type: linear
    weight: [[0.40, 0.45], [0.50, 0.55]]
    bias: [0.60, 0.60]
  - type: sigmoid
loss: half_sse
optimizer: {type: sgd, lr: 0.5}
data:
  input: [0.05, 0.10]
  target: [0.01, 0.99]
"""


def grid(text: str, title: str) -> list[list[str]]:
    """The number cells of a gradient grid, by row."""
    lines = text.splitlines()
    start = lines.index(title) + 3  # title, heading, rule
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append(line.split()[2:])  # after "unit i"
    return rows


def test_small_gradients_show_four_significant_digits_by_default(tmp_path: Path) -> None:
    path = tmp_path / "mazur.yaml"
    path.write_text(MAZUR)
    grad = run(load_scenario(path)).steps[0].param("W1").grad
    assert grad is not None
    out = CliRunner().invoke(app, ["run", str(path)], env={"COLUMNS": "80"}).stdout
    cells = grid(out, "dL/dW1")
    assert len(cells) == 2 and all(len(row) == 2 for row in cells)
    for i in range(2):
        for j in range(2):
            assert re.fullmatch(r"\d\.\d{3}e-04", cells[i][j]), cells
            assert float(cells[i][j]) == pytest.approx(grad[i][j], rel=5e-4)
    assert "below 0.001 to 4 significant digits" in out


def test_an_explicit_precision_keeps_its_meaning(tmp_path: Path) -> None:
    path = tmp_path / "mazur.yaml"
    path.write_text(MAZUR)
    grad = run(load_scenario(path)).steps[0].param("W1").grad
    assert grad is not None
    out = CliRunner().invoke(app, ["run", str(path), "--precision", "4"]).stdout
    cells = grid(out, "dL/dW1")
    assert cells == [[f"{grad[i][j]:.4f}" for j in range(2)] for i in range(2)]
    assert "significant digits" not in out


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.000438568, "4.386e-04"),
        (-0.000995425, "-9.954e-04"),  # would read -0.0010: one significant digit, rounded
        (Fraction(1, 2280), "4.386e-04"),  # exact values the same way
        (0.001, "0.0010"),  # two significant digits: decimals
        (0.0123, "0.0123"),
        (0.0, "0.0000"),
        (Fraction(0), "0.0000"),
        (1e-300, "1.000e-300"),
        (Fraction(10**12 + 1), "1.0000e+12"),
        (0.00099996, "1.000e-03"),  # rounds up to the next power of ten
    ],
)
def test_number_style_by_default(value: object, shown: str) -> None:
    assert NumberStyle()(value) == shown


def test_explicit_precision_writes_decimals() -> None:
    style = NumberStyle(4, explicit=True)
    assert style(0.000438568) == "0.0004" and style(0.000995425) == "0.0010"
    assert style(1e-7) == "1e-07"  # would show as 0.0000: shows that it is not 0
    assert NumberStyle(6, explicit=True)(0.000438568) == "0.000439"


@given(st.fractions(min_value=Fraction(1, 10**30), max_value=10**30))
def test_decimal_exponent_brackets_the_value(value: Fraction) -> None:
    e = decimal_exponent(value)
    assert Fraction(10) ** e <= value < Fraction(10) ** (e + 1)


@given(st.floats(min_value=1e-300, max_value=1e300), st.booleans())
def test_scientific_is_the_value_to_its_significant_digits(x: float, negative: bool) -> None:
    value = Fraction(-x if negative else x)
    text = scientific(value, 3)
    assert re.fullmatch(r"-?[1-9]\.\d{3}e[+-]\d{2,3}", text), text
    assert abs(Fraction(text) - value) <= abs(value) * Fraction(5, 10**4)  # half a unit


def test_a_short_exact_fraction_is_whole() -> None:
    assert exact_fraction(Fraction(717, 800)) == "717/800"
    assert exact_fraction(Fraction(-(10**23), 3)) == str(Fraction(-(10**23), 3))


@given(st.integers(min_value=1, max_value=10**400), st.integers(min_value=1, max_value=10**400))
def test_a_long_exact_fraction_shows_its_ends_and_its_length(p: int, q: int) -> None:
    value = Fraction(p, q)
    text = exact_fraction(-value)
    assert text.startswith("-")
    parts = [str(value.numerator), str(value.denominator)]
    if max(map(len, parts)) <= READABLE_DIGITS:
        assert text == str(-value)
        return
    assert len(text) < 2 * (2 * KEPT_DIGITS + 24)
    for part in parts:
        if len(part) > READABLE_DIGITS:
            assert f"{part[:KEPT_DIGITS]}…{part[-KEPT_DIGITS:]} ({len(part):,} digits)" in text
        elif value.denominator != 1:
            assert part in text


def test_the_loss_of_a_long_exact_run_is_shortened_unless_fractions_are_asked_for() -> None:
    runner = CliRunner()
    args = ["run", "diagonal_flip", "--steps", "10", "--show", "last"]
    trace = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"), steps=10)
    loss = trace.steps[-1].loss_after
    assert len(str(loss)) > 200  # several hundred digits
    for kind in ("text", "markdown", "html"):
        out = runner.invoke(app, [*args, "--format", kind], env={"COLUMNS": "80"}).stdout
        assert "digits)" in out and "--fractions shows every number whole" in out
        assert not re.search(rf"\d{{{READABLE_DIGITS + 1}}}", out), kind
    whole = runner.invoke(app, [*args, "--fractions", "--format", "markdown"]).stdout
    assert str(loss) in whole and "digits)" not in whole
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert str(loss) in json.dumps(data)
