"""--save writes the trained scenario; running it continues from exactly those weights."""

from __future__ import annotations

import os
import warnings
from dataclasses import fields
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from backprop_trace import ScenarioError, load_scenario, run, scenario_from_dict
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app
from backprop_trace.layers import LAYER_TYPES, OPTION
from backprop_trace.render.scenario_file import save_trained

runner = CliRunner()


@pytest.mark.parametrize("name", [p.name for p in sorted(scenarios_dir().glob("*.yaml"))])
def test_saved_weights_round_trip_exactly(name: str, tmp_path: Path) -> None:
    trace = run(load_scenario(scenarios_dir() / name))
    path = tmp_path / "saved.yaml"
    save_trained(trace, path)
    saved = load_scenario(path)
    assert saved.numerics == trace.numerics
    for param in saved.param_order:
        again = saved.in_layout(param, saved.initial[param])
        expected = trace.final_params[param]
        if trace.numerics == "exact":
            assert again.tolist() == expected.tolist(), param
        else:
            assert (again.astype(np.float64) == expected).all(), param  # every bit
    assert saved.frozen == trace.scenario.frozen
    assert saved.batch_size == trace.scenario.batch_size


def test_continuing_a_saved_run_equals_running_longer(tmp_path: Path) -> None:
    source = scenarios_dir() / "diagonal_flip.yaml"
    long = run(load_scenario(source), steps=4)
    half = run(load_scenario(source), steps=2)
    path = tmp_path / "half.yaml"
    save_trained(half, path)
    rest = run(load_scenario(path), steps=2)
    assert rest.steps[-1].loss_after == long.steps[-1].loss_after  # exact fractions


def test_save_from_the_command_line_is_atomic_and_guards_the_input(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text((scenarios_dir() / "diagonal_flip.yaml").read_text())
    before = scenario.read_text()
    result = runner.invoke(app, ["run", str(scenario), "-q", "--save", str(scenario)])
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert scenario.read_text() == before
    result = runner.invoke(app, ["run", str(scenario), "-q", "--save", str(tmp_path / "no" / "x")])
    assert result.exit_code == 2 and "not saved" in result.output
    result = runner.invoke(app, ["run", str(scenario), "-q", "--save", str(tmp_path / "t.yaml")])
    assert result.exit_code == 0
    assert sorted(os.listdir(tmp_path)) == ["s.yaml", "t.yaml"]  # no temporary file left
    result = runner.invoke(
        app, ["run", str(scenario), "-q", "--save", str(scenario), "--overwrite"]
    )
    assert result.exit_code == 0 and scenario.read_text() != before


def test_data_files_are_referenced_relative_to_the_saved_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    np.savez(data / "d.npz", inputs=np.array([[1.0, 2.0]]), targets=np.array([[0.5]]))
    source = data / "s.yaml"
    source.write_text(
        "name: f\nlayers: [{type: linear, weight: [[0.1], [0.2]]}]\nloss: mse\n"
        "optimizer: {type: sgd, lr: 0.1}\ndata: {file: d.npz}\n"
    )
    out = tmp_path / "elsewhere" / "saved.yaml"
    out.parent.mkdir()
    save_trained(run(load_scenario(source)), out)
    assert 'file: "../data/d.npz"' in out.read_text()
    with pytest.raises(ScenarioError, match="outside the scenario's folder"):
        load_scenario(out)  # data outside the scenario's folder is read only when allowed
    assert run(load_scenario(out, allow_outside_data=True)).steps


def test_saved_file_says_batches_start_again(tmp_path: Path) -> None:
    out = tmp_path / "o.yaml"
    runner.invoke(app, ["run", "adam_first_steps", "-q", "--save", str(out)])
    text = out.read_text()
    assert "Batches start again from the first" in text and "state (adam) is not saved" in text
    assert run(load_scenario(out)).steps


def _written(value: object) -> object:
    """A setting as a scenario writes it: numbers as exact strings, flags and lists as they are."""
    if isinstance(value, tuple):
        return [_written(v) for v in value]
    return value if isinstance(value, (bool, str)) else str(value)


@pytest.mark.parametrize(
    "kind",
    [kind for kind, cls in LAYER_TYPES.items() if any(f.metadata.get(OPTION) for f in fields(cls))],
)
def test_every_option_of_every_layer_kind_survives_a_save(kind: str, tmp_path: Path) -> None:
    """Each setting a kind declares is written back by --save with its value, whatever it is:
    a new option cannot be dropped silently. Values other than the defaults, exact."""
    declared = [f for f in fields(LAYER_TYPES[kind]) if f.metadata.get(OPTION)]
    with warnings.catch_warnings():  # Fraction defaults are not JSON: left out, as `schema` does
        warnings.simplefilter("ignore")
        schema = LAYER_TYPES[kind].Spec.model_json_schema()["properties"]
    options: dict[str, object] = {}
    for index, f in enumerate(declared):
        if isinstance(f.default, str):  # a choice: another of those the schema lists
            options[f.name] = next(v for v in schema[f.name]["enum"] if v != f.default)
        elif isinstance(f.default, bool):
            options[f.name] = not f.default
        elif f.default is None:  # a tensor (a dropout's mask): one of the layer's shape
            options[f.name] = (Fraction(1), Fraction(0))
        else:
            options[f.name] = Fraction(3, 7 + index)
    data = {
        "name": "options",
        "layers": [
            {"type": "linear", "weight": [[1, -1]], "bias": [0, 0]},
            {"type": kind, **{k: _written(v) for k, v in options.items()}},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": "1/10"},
        "data": {"inputs": [[1], [2]], "targets": [[1, 0], [0, 1]]},
    }
    trace = run(scenario_from_dict(data))
    assert trace.scenario.layers[1].options() == options
    out = tmp_path / "saved.yaml"
    save_trained(trace, out)
    assert load_scenario(out).layers[1].options() == options
