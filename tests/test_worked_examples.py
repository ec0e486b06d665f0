"""The seeds' worked examples, traced exactly.

Expected values come from tests/reference.py (plain Fractions) or from the seeds' formulas
evaluated here, never from the numbers the documents print."""

from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest
import reference

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.render.json import trace_to_dict

# Seed 002's network as its PyTorch code writes it (out_features x in_features).
TORCH_W1 = [[0.2, -0.3, 0.1, -0.4], [-0.5, 0.4, 0.3, 0.2], [0.1, -0.2, 0.5, -0.1]]
TORCH_W2 = [[0.3, -0.1, 0.2], [-0.2, 0.5, -0.4], [0.4, -0.3, 0.1], [0.1, 0.2, -0.5]]


def exact(rows: list[list[float]]) -> list[list[F]]:
    return [[F(str(v)) for v in row] for row in rows]


def transpose(m: list[list[F]]) -> list[list[F]]:
    return [list(col) for col in zip(*m, strict=True)]


@pytest.fixture(scope="module")
def diagonal() -> dict:  # type: ignore[type-arg]
    return {
        "trace": run(load_scenario(scenarios_dir() / "diagonal_flip.yaml")),
        "reference": reference.step(
            [
                {
                    "type": "linear",
                    "W": transpose(exact(TORCH_W1)),
                    "b": [F(1, 10), F(-1, 10), F(0)],
                },
                {"type": "relu"},
                {
                    "type": "linear",
                    "W": transpose(exact(TORCH_W2)),
                    "b": [F(0), F(1, 10), F(-1, 10), F(0)],
                },
            ],
            [[F(1), F(0), F(1), F(1)]],
            [[F(1), F(1), F(0), F(1)]],
            "mse",
            F(1, 10),
        ),
    }


def test_diagonal_flip_weights_are_the_transposed_torch_matrices(diagonal: dict) -> None:  # type: ignore[type-arg]
    step = diagonal["trace"].steps[0]
    assert step.param("W1").old.tolist() == transpose(exact(TORCH_W1))
    assert step.param("W2").old.tolist() == transpose(exact(TORCH_W2))


def test_diagonal_flip_is_traced_exactly(diagonal: dict) -> None:  # type: ignore[type-arg]
    trace, ref = diagonal["trace"], diagonal["reference"]
    step = trace.steps[0]
    assert trace.numerics == "exact"
    assert step.loss_before == ref["loss"]
    assert isinstance(step.loss_before, F)
    for layer, values in zip(step.layers, ref["values"][1:], strict=True):
        assert layer.output.tolist() == values
    expected_new = {
        "W1": ref["new"][0]["W"],
        "b1": ref["new"][0]["b"],
        "W2": ref["new"][2]["W"],
        "b2": ref["new"][2]["b"],
    }
    for name, values in expected_new.items():
        assert step.param(name).new.tolist() == values, name
    # verify: the loss after, recomputed by the reference with the new weights
    after = reference.step(
        [
            {"type": "linear", "W": expected_new["W1"], "b": expected_new["b1"]},
            {"type": "relu"},
            {"type": "linear", "W": expected_new["W2"], "b": expected_new["b2"]},
        ],
        [[F(1), F(0), F(1), F(1)]],
        [[F(1), F(1), F(0), F(1)]],
        "mse",
        F(1, 10),
    )
    assert step.loss_after == after["loss"]
    assert step.loss_after < step.loss_before


def test_diagonal_flip_hidden_unit_0_sits_exactly_on_the_kink(diagonal: dict) -> None:  # type: ignore[type-arg]
    step = diagonal["trace"].steps[0]
    assert step.layers[0].output[0][0] == 0  # pre-activation of hidden unit 0: exactly 0
    assert step.layers[1].at_kink == ((0, 0),)
    changed = sum(int((p.old != p.new).sum()) for p in step.params)
    total = sum(p.old.size for p in step.params)
    assert (changed, total - changed) == (12, 19)
    w1 = step.param("W1")
    assert (w1.new[:, :2] == w1.old[:, :2]).all()  # dead units 0 and 1 keep their weights
    assert (w1.new[1] == w1.old[1]).all()  # input 1 is 0: its row of W1 cannot move


def test_diagonal_flip_in_float64_is_flagged_as_decided_by_rounding() -> None:
    trace = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"), numerics="float64")
    step = trace.steps[0]
    pre = step.layers[0].output[0][0]
    assert pre != 0 and abs(pre) < 1e-15  # 2.8e-17 of rounding noise, either sign
    assert step.layers[1].near_kink == ((0, 0),)
    assert step.layers[1].at_kink == ()


def test_diagonal_flip_in_out_and_out_in_layouts_agree(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = (scenarios_dir() / "diagonal_flip.yaml").read_text()
    fmt = lambda m: "\n".join(f"      - {row}" for row in m)  # noqa: E731
    start = text.index("layers:")
    out_in = text[:start].replace("layout: in_out", "layout: out_in") + (
        "layers:\n  - type: linear\n    weight:\n"
        + fmt(TORCH_W1)
        + "\n    bias: [0.1, -0.1, 0.0]\n"
        "  - type: relu\n  - type: linear\n    weight:\n"
        + fmt(TORCH_W2)
        + "\n    bias: [0.0, 0.1, -0.1, 0.0]\n"
        + text[text.index("loss:") :]
    )
    path = tmp_path / "out_in.yaml"
    path.write_text(out_in)
    a = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml")).steps[0]
    b = run(load_scenario(path)).steps[0]
    assert a.loss_after == b.loss_after
    assert (b.param("W1").grad == a.param("W1").grad.T).all()
    assert b.param("W1").shape == (3, 4)


def test_diagonal_flip_json_trace() -> None:
    data = trace_to_dict(run(load_scenario(scenarios_dir() / "diagonal_flip.yaml")))
    json.dumps(data, allow_nan=False)
    assert data["format"] == "backprop-trace/1"
    assert data["numerics"] == "exact"
    step = data["steps"][0]
    assert step["loss_before"] == float(F(717, 800))  # 0.89625: (0.9² + 1.1² + 0.05² + 1.25²) / 4
    assert F(step["loss_before_exact"]) == F(81 + 121 + F(1, 4) + F(625, 4), 400)
    assert [p["name"] for p in step["params"]] == ["W1", "b1", "W2", "b2"]
    assert step["params"][0]["shape"] == [4, 3]
    assert [layer["type"] for layer in step["layers"]] == ["linear", "relu", "linear"]
    assert step["layers"][-1]["grad_output"] == [
        [2 * (o - t) / 4 for o, t in zip(step["outputs_before"][0], [1, 1, 0, 1], strict=True)]
    ]


def learning_flow_reference(
    w: list[F], x: list[F], t: F, lr: F, grad_at_zero: F
) -> tuple[list[F], F]:
    """Seed 001's formulas: o2 = w . x;  delta3 = (o3 - t) times relu' (grad_at_zero at 0);
    delta_w = delta3 * x;  w_hat = w - alpha delta_w."""
    o2 = sum((wi * xi for wi, xi in zip(w, x, strict=True)), F(0))
    o3 = max(o2, F(0))
    slope = F(1) if o2 > 0 else grad_at_zero if o2 == 0 else F(0)
    delta3 = (o3 - t) * slope
    return [wi - lr * delta3 * xi for wi, xi in zip(w, x, strict=True)], (o3 - t) ** 2 / 2


@pytest.mark.parametrize("grad_at_zero", [F(1), F(0)])
def test_learning_flow_example_one_example_per_step(grad_at_zero: F, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = scenarios_dir() / "learning_flow.yaml"
    if grad_at_zero == 0:
        path = tmp_path / "pytorch_convention.yaml"
        path.write_text(
            (scenarios_dir() / "learning_flow.yaml")
            .read_text()
            .replace("grad_at_zero: 1", "grad_at_zero: 0")
        )
    trace = run(load_scenario(path))
    assert trace.numerics == "exact"
    w = [F(1, 200), F(-3000, 11600000), F(1, 5800)]
    rows = [[F(100), F(2000), F(100)], [F(200), F(0), F(0)], [F(0), F(2000), F(3000)]]
    targets = [F(0), F(1), F(1)]
    lr = F(1, 13000000)
    for step, x, t in zip(trace.steps, rows, targets, strict=True):
        w_new, loss = learning_flow_reference(w, x, t, lr, grad_at_zero)
        assert step.loss_before == loss
        assert step.param("W1").new[:, 0].tolist() == w_new
        w = w_new
    # the first and third examples' pre-activations are exactly 0: the convention decides
    assert trace.steps[0].layers[2].at_kink == ((0, 0),)
    moved = trace.steps[2].param("W1")
    if grad_at_zero == 1:
        assert (moved.new != moved.old).sum() == 2 and trace.steps[2].loss_after == 0
    else:
        assert (moved.new == moved.old).all()


def test_every_bundled_scenario_runs() -> None:
    for path in sorted(scenarios_dir().glob("*.yaml")):
        trace = run(load_scenario(path))
        assert trace.steps, path
        for step in trace.steps:
            assert np.isfinite(float(step.loss_after)), path
