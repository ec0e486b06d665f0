"""The notes under the tables: each derived from the numbers of the step it describes."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_trace import load_scenario, run, scenario_from_dict
from backprop_trace.bundled import scenarios_dir
from backprop_trace.insights import Note, step_notes
from backprop_trace.render.numbers import NumberStyle

fmt = NumberStyle()


def notes_of(path: Path | str, step: int = 0, **kw: object) -> dict[str, Note]:
    trace = run(load_scenario(scenarios_dir() / path), **kw)  # type: ignore[arg-type]
    return {n.kind: n for n in step_notes(trace, trace.steps[step], fmt)}


def test_diagonal_flip_notes() -> None:
    notes = notes_of("diagonal_flip.yaml")
    dead = notes["dead_units"].text
    assert "relu1 units 0 and 1 are dead" in dead
    assert "W1[*][0], W1[*][1], b1[0] and b1[1] get zero gradient" in dead
    assert "W2[0][*] and W2[1][*] zero gradient" in dead
    assert "Input 1 is 0, so W1[1][*]" in notes["zero_input"].text
    assert "exactly 0" in notes["at_kink"].text and "PyTorch" in notes["at_kink"].text
    assert "8 entries with a negative gradient rose and 4" in notes["direction"].text
    assert "b2[3], 0.0000 → 0.0625 (+0.0625)" in notes["largest_change"].text
    assert "output 2 (-0.0500 → -0.0647, target 0.0000)" in notes["moved_away"].text
    assert "near_kink" not in notes and "loss_rose" not in notes and "frozen" not in notes


def test_float64_flags_the_kink_decided_by_rounding() -> None:
    notes = notes_of("diagonal_flip.yaml", numerics="float64")
    assert "within float64 rounding distance" in notes["near_kink"].text
    assert "at_kink" not in notes


def test_out_in_layout_names_the_other_axis(tmp_path: Path) -> None:
    text = (scenarios_dir() / "diagonal_flip.yaml").read_text()
    scenario = load_scenario(scenarios_dir() / "diagonal_flip.yaml")
    w1 = scenario.initial["W1"].T.tolist()
    w2 = scenario.initial["W2"].T.tolist()
    flipped = {
        "name": "flipped",
        "layout": "out_in",
        "layers": [
            {"type": "linear", "weight": w1, "bias": scenario.initial["b1"].tolist()},
            {"type": "relu"},
            {"type": "linear", "weight": w2, "bias": scenario.initial["b2"].tolist()},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": "1/10"},
        "data": {"input": [1, 0, 1, 1], "target": [1, 1, 0, 1]},
    }
    assert "Diagonal flip" in text
    trace = run(scenario_from_dict(flipped))
    notes = {n.kind: n.text for n in step_notes(trace, trace.steps[0], fmt)}
    assert "W1[0][*], W1[1][*]" in notes["dead_units"]
    assert "W2[*][0] and W2[*][1]" in notes["dead_units"]
    assert "W1[*][1]" in notes["zero_input"]


def test_zero_loss_explains_why_nothing_moved() -> None:
    notes = notes_of("learning_flow.yaml", step=0)
    assert "The loss is 0" in notes["zero_loss"].text
    assert "zero_loss" not in notes_of("learning_flow.yaml", step=2)


def test_frozen_first_layer() -> None:
    notes = notes_of("frozen_layer.yaml")
    assert notes["frozen"].text.startswith("W1 and b1 are frozen")
    assert "before them" not in notes["frozen"].text  # nothing before the first layer learns


def test_frozen_second_layer_still_passes_the_flow_back() -> None:
    data = {
        "name": "second frozen",
        "layers": [
            {"type": "linear", "weight": [[1, 2]], "bias": [0, 0]},
            {"type": "linear", "weight": [[1], [1]]},
        ],
        "loss": "sse",
        "optimizer": {"type": "sgd", "lr": "1/10"},
        "data": {"input": [1], "target": [0]},
        "frozen": ["W2"],
    }
    trace = run(scenario_from_dict(data))
    notes = {n.kind: n.text for n in step_notes(trace, trace.steps[0], fmt)}
    assert "W2 is frozen" in notes["frozen"]
    assert "trainable layers before them" in notes["frozen"]


def test_adam_first_step_note_only_on_the_first_step() -> None:
    first = notes_of("adam_first_steps.yaml", step=0)
    assert "Adam's first step" in first["adam_first_step"].text
    assert "lr = 0.0100" in first["adam_first_step"].text
    assert "adam_first_step" not in notes_of("adam_first_steps.yaml", step=1)


def test_loss_rose_with_a_learning_rate_too_large() -> None:
    data = {
        "name": "overshoot",
        "layers": [{"type": "linear", "weight": [[1]], "bias": [0]}],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 5},
        "data": {"input": [1], "target": [0]},
    }
    trace = run(scenario_from_dict(data))
    notes = {n.kind for n in step_notes(trace, trace.steps[0], fmt)}
    assert "loss_rose" in notes


@pytest.mark.parametrize("path", sorted(scenarios_dir().glob("*.yaml")), ids=lambda p: p.stem)
def test_every_note_names_a_phase(path: Path) -> None:
    trace = run(load_scenario(path))
    for step in trace.steps:
        for note in step_notes(trace, step, fmt):
            assert note.phase in {"forward", "loss", "backward", "update", "verify"}
            assert note.text.endswith(".")
