"""One golden text snapshot per bundled scenario: the plain rendering at 100 columns, no colour.

Update them after a deliberate change with:  UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py

Exact runs compare exactly. Float64 results differ in their last bits between CPUs, numpy's SIMD
paths and BLAS builds, so float64 runs compare the text exactly and the numbers as numbers: each
within one unit of its last printed digit.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from printed_numbers import differences
from rich.cells import cell_len
from rich.console import Console

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.render.terminal import RenderOptions, render_text

SNAPSHOTS = Path(__file__).parent / "snapshots"
SCENARIOS = sorted(scenarios_dir().glob("*.yaml"))
UPDATE = bool(os.environ.get("UPDATE_SNAPSHOTS"))


def rendered(path: Path, width: int = 100) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    render_text(run(load_scenario(path, display_name=path.name)), console, RenderOptions())
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_snapshot(path: Path) -> None:
    snapshot = SNAPSHOTS / f"{path.stem}.txt"
    text = rendered(path)
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot for {path.name}: UPDATE_SNAPSHOTS=1 pytest {__file__}"
    expected = snapshot.read_text(encoding="utf-8")
    update = "if the change is deliberate: UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py"
    if load_scenario(path).numerics == "exact":
        assert text == expected, f"{path.name} renders differently from {snapshot.name}; {update}"
    else:
        found = differences(expected, text)
        assert not found, f"{path.name} differs from {snapshot.name}: {'; '.join(found)}; {update}"


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("mean 0.1196 max", "mean 0.1197 max"),  # one unit of the last digit
        ("mean 0.1196 max", "mean 0.1195 max"),
        ("-0.2809 and 1.1663", "-0.2808 and 1.1664"),
        ("2.5e-19", "2.6e-19"),  # scientific notation: the unit is 1e-20
        ("4.386e-04", "4.387e-04"),
        ("-1.5e+12", "-1.6e+12"),
        ("0.0000", "-0.0000"),  # a sign on a zero
        ("1/3 and 0.5", "1/3 and 0.5"),
        ("W1[2][0] = 0.5", "W1[2][0] = 0.5"),
        ("9.9e-05", "1.0e-04"),  # across a power of ten: one unit of the finer
        ("a\n0.1196\nb", "a\n0.1197\nb"),
    ],
)
def test_float_snapshots_accept_a_difference_in_the_last_digit(expected: str, actual: str) -> None:
    assert differences(expected, actual) == []


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("mean 0.1196 max", "mean 0.1198 max"),  # two units
        ("2.5e-19", "6.5e-20"),  # the noise the snapshots used to hold
        ("2.5e-19", "2.5e-18"),  # the exponent
        ("0.0001", "-0.0001"),  # the sign of a nonzero value: two units apart
        ("1/3", "1/4"),  # fractions are exact
        ("1/3", "0.3333"),
        ("mean 0.1196 max", "mean 0.1196 min"),  # the text
        ("W1[2][0]", "W1[2][1]"),
        ("W1 is", "W2 is"),  # a digit in a name is text
        ("0.1196", "0.1196 more"),
        ("0.12", "0.1196"),  # more digits is not a difference in the last one
        ("70 zeros", "71 zeros"),  # integers (counts, indices) are exact
        ("a\n0.1196", "a\n0.1196\n"),
        ("a\n0.1196", "a\n0.1196\nb"),  # a line more
    ],
)
def test_float_snapshots_refuse_anything_else(expected: str, actual: str) -> None:
    assert differences(expected, actual)


def test_no_stale_snapshots() -> None:
    stale = {p.stem for p in SNAPSHOTS.glob("*.txt")} - {p.stem for p in SCENARIOS}
    if UPDATE:
        for name in stale:
            (SNAPSHOTS / f"{name}.txt").unlink()
        stale = set()
    assert not stale, f"snapshots without a scenario: {sorted(stale)}"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("width", [60, 80, 120])
def test_every_line_fits_the_terminal(path: Path, width: int) -> None:
    lines = rendered(path, width).splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert not any(line != line.rstrip() for line in lines), "trailing spaces"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("width", [40, 60])
def test_numbers_are_never_shortened_in_narrow_terminals(path: Path, width: int) -> None:
    text = rendered(path, width)
    # rich ends a cut cell with "…"; a long exact fraction shortened on purpose reads
    # 229081…261157 (125 digits): digits on both sides and its length
    assert not re.search(r"[\d.]…(?!\d)", text), "a number lost digits to an ellipsis"
    if any(cell_len(line) > width for line in text.splitlines()):  # pragma: no cover
        pytest.fail("a line is wider than the terminal")


EXPLAINED = [
    ("diagonal_flip", "W1[0][0]"),  # exact: the kink at exactly 0
    ("diagonal_flip", "W2"),  # a whole tensor
    ("softmax_classification", "W1[0][0]"),  # a batch, softmax + cross-entropy
    ("digit_cnn", "conv1.weight[0][0][1][1]"),  # conv, max-pool, flatten
    ("batchnorm_mlp", "W1[0][1]"),  # through the batch statistics
    ("adam_first_steps", "W2[1][0]"),  # Adam's m, v, m̂, v̂
]


@pytest.mark.parametrize(("name", "param"), EXPLAINED, ids=lambda v: str(v))
def test_explain_snapshot(name: str, param: str) -> None:
    """explain's text at 100 columns: exactly for exact runs, numbers to their last digit
    otherwise."""
    from backprop_trace.explain import explain_text
    from backprop_trace.render.explain import plain
    from backprop_trace.render.numbers import NumberStyle

    trace = run(load_scenario(scenarios_dir() / f"{name}.yaml"), steps=1)
    text = plain(explain_text(trace, param), NumberStyle())
    snapshot = SNAPSHOTS / "explain" / f"{name}.{param.replace('[', '_').replace(']', '')}.txt"
    if UPDATE:
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot: UPDATE_SNAPSHOTS=1 pytest {__file__}"
    expected = snapshot.read_text(encoding="utf-8")
    if trace.numerics == "exact":
        assert text == expected
    else:
        assert not differences(expected, text)
