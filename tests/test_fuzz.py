"""Fuzzing: random mutations of the bundled scenarios' text, and random scenario structures, must
raise nothing but the tool's own ScenarioError, whether they load, run, or render."""

from __future__ import annotations

import io
import os
import string
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from backprop_trace import ScenarioError, parse_scenario, run, scenario_from_dict
from backprop_trace.bundled import scenarios_dir
from backprop_trace.render.json import render_json
from backprop_trace.render.terminal import RenderOptions, render_text

TEXTS = {
    p.name: p.read_text(encoding="utf-8")
    for p in sorted(scenarios_dir().glob("*.yaml"))
    if p.stem != "mnist_sized"  # its data file is found beside it; the rest are self-contained
}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
TOKENS = [
    "0",
    "-1",
    "1e999",
    "1e-999",
    ".nan",
    "-.inf",
    "yes",
    "null",
    "~",
    "[]",
    "{}",
    "[[]]",
    '"1/0"',
    '"a/b"',
    "!!python/object:os.system",
    "&a",
    "*a",
    "<<: *a",
    "\t",
    ":",
    "- ",
    "#",
    "[1, [2]]",
    "{type: relu}",
    "2.5",
    "1000000000",
    "'x'",
    "\\x00",
    "é",
    "[[1, 2], [3]]",
    "sgd",
    "adam",
    "linear",
    "softmax",
    "cross_entropy",
    "bce",
    "in_out",
    "out_in",
    "exact",
]


@st.composite
def mutated(draw: Any) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(TEXTS)))
    text = TEXTS[name]
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["delete", "insert", "token", "dupe", "swap", "cut", "char"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if kind == "delete" and lines:
            del lines[i]
        elif kind == "dupe":
            lines.insert(i, lines[i])
        elif kind == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "cut":
            lines = lines[:i]
        elif kind == "token":
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            end = draw(st.integers(at, len(line)))
            lines[i] = line[:at] + draw(st.sampled_from(TOKENS)) + line[end:]
        elif kind == "char":
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.sampled_from(string.printable)) + line[at + 1 :]
        else:
            lines.insert(i, draw(st.sampled_from(TOKENS)))
        text = "\n".join(lines)
    return name, text


def exercise(scenario: Any) -> None:
    trace = run(scenario, steps=min(scenario.steps, 3))
    render_json(trace)
    render_text(trace, Console(width=80, file=io.StringIO(), color_system=None), RenderOptions())


@FUZZ
@given(mutated())
def test_mutated_scenarios_raise_only_the_tools_own_error(case: tuple[str, str]) -> None:
    name, text = case
    try:
        scenario = parse_scenario(text, name, Path(scenarios_dir()))
    except ScenarioError as error:
        assert error.problems and all(p.message and p.hint for p in error.problems), error
        return
    exercise(scenario)


leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.sampled_from(TOKENS),
)
structure = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "layers",
                    "type",
                    "weight",
                    "bias",
                    "in",
                    "out",
                    "loss",
                    "optimizer",
                    "lr",
                    "data",
                    "input",
                    "target",
                    "inputs",
                    "targets",
                    "steps",
                    "frozen",
                    "numerics",
                    "layout",
                    "batch_size",
                    "momentum",
                    "betas",
                    "file",
                    "init",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=25,
)


@FUZZ
@given(structure)
def test_random_structures_raise_only_the_tools_own_error(data: Any) -> None:
    try:
        scenario = scenario_from_dict(data if isinstance(data, dict) else {"name": data})
    except ScenarioError:
        return
    exercise(scenario)
