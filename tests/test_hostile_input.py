"""Hostile input: tiny files that would hang the tool or eat the machine, files that are not
files, data that leaves the scenario's folder. Each command runs as a user would run it, in a
subprocess under a 2 GB memory cap and a time limit, and must end with a located message (exit 2),
never a hang, a crash (exit 70) or a traceback. Large and special files are made here, at test
time."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_trace.number_text import (
    MAX_DIGITS,
    MAX_EXPONENT,
    MIN_EXPONENT,
    NumberTextError,
    read_decimal,
    read_number,
)

MEMORY_CAP = 2 * 1024**3
TIME_LIMIT = 20.0  # seconds; a hang shows as a timeout, far beyond what any of these needs

BASE = """name: x
layers: [{type: linear, weight: [[1]]}]
loss: mse
optimizer: {type: sgd, lr: 0.1}
data: {input: [1], target: [2]}
"""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def cli(
    *args: str,
    cwd: Path | None = None,
    stdin: int | None = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The command line in a subprocess: capped memory, a time limit, and no traceback."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "backprop_trace", *args],
        cwd=cwd,
        stdin=stdin,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=TIME_LIMIT,
        preexec_fn=_cap_memory,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode in (0, 2, 3, 141), (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert time.monotonic() - started < TIME_LIMIT
    return result


def scenario(folder: Path, extra: str = "", name: str = "s.yaml") -> Path:
    """BASE with the top-level keys of ``extra`` replacing its own."""
    replaced = {line.split(":")[0] for line in extra.splitlines() if line and line[0] != " "}
    kept = [line for line in BASE.splitlines() if line.split(":")[0] not in replaced]
    path = folder / name
    path.write_text("\n".join(kept) + "\n" + extra + "\n", encoding="utf-8")
    return path


# -- numbers: checked as text, before they are built ---------------------------------------------

W00 = "layers[0].weight[0][0]"


@pytest.mark.parametrize(
    "extra, where, message",
    [
        ("seed: 1e100000000", "seed", "too large"),
        ('optimizer: {type: sgd, lr: "1e100000000"}', "optimizer.lr", "too large"),
        ("optimizer: {type: sgd, lr: 1e99999999999999}", "optimizer.lr", "too large"),
        ("layers: [{type: linear, weight: [[1e-100000000]]}]", W00, "too small"),
        ("layers: [{type: linear, weight: [[1e-10000000]]}]", W00, "too small"),
        ("data: {input: [1e-5000, 2], target: [1]}", "data.input[0]", "too small"),
        (f'optimizer: {{type: sgd, lr: "1/{"7" * 4000}"}}', "optimizer.lr", "4,000 digits"),
        (f"seed: {'9' * 5000}", "seed", "5,000 digits"),
        (f"seed: 0x{'f' * 5000}", "seed", f"more than the {MAX_DIGITS:,} digits"),
    ],
)
def test_numbers_beyond_the_limits_are_refused_before_they_are_built(
    tmp_path: Path, extra: str, where: str, message: str
) -> None:
    started = time.monotonic()
    result = cli("validate", str(scenario(tmp_path, extra)))
    assert result.returncode == 2
    assert re.search(rf"s\.yaml:\d+:\d+: {re.escape(where)}: .*{message}", result.stderr)
    assert time.monotonic() - started < 10


def test_a_name_that_looks_like_a_huge_number_is_still_a_name(tmp_path: Path) -> None:
    result = cli("validate", str(scenario(tmp_path, "name: 1e100000000")))
    assert result.returncode == 0, result.stderr


decimal_texts = st.builds(
    lambda sign, whole, fraction, exponent: f"{sign}{whole}{fraction}{exponent}",
    st.sampled_from(["", "-", "+"]),
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=1200)),
    st.one_of(st.just(""), st.text("0123456789", max_size=1200).map(lambda d: "." + d)),
    st.one_of(
        st.just(""),
        st.integers(-(10**12), 10**12).map(lambda e: f"e{e}"),
    ),
)


@settings(max_examples=300, deadline=1000)
@given(decimal_texts)
def test_a_decimal_is_read_exactly_within_the_limits_or_refused_quickly(text: str) -> None:
    try:
        value = read_decimal(text)
    except NumberTextError as problem:
        body = text.lstrip("+-").split("e")[0]
        digits = len(body.replace(".", ""))
        assert problem.hint or not digits or body == "."  # refused as a number, or not one
        return
    assert value == Fraction(text)  # the same number Fraction builds, when it is within limits
    assert len(text.lstrip("+-").split("e")[0].replace(".", "")) <= MAX_DIGITS
    if value:
        assert 10 ** (MIN_EXPONENT) <= abs(value) < 10 ** (MAX_EXPONENT + 1)


@settings(max_examples=200, deadline=1000)
@given(st.integers(1, 1500), st.integers(1, 1500))
def test_a_fraction_is_refused_beyond_a_thousand_digits_or_float64s_reach(
    numerator_digits: int, denominator_digits: int
) -> None:
    text = f"{'3' * numerator_digits}/{'7' * denominator_digits}"
    within = max(numerator_digits, denominator_digits) <= MAX_DIGITS
    try:
        value = read_number(text)
    except NumberTextError as problem:
        assert problem.hint
        if within:
            assert "too" in problem.message  # only its size (exponent) can be the reason
        return
    assert within and value == Fraction(text)
    assert MIN_EXPONENT - 1 <= numerator_digits - denominator_digits <= MAX_EXPONENT + 1
