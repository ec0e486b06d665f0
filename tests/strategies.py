"""Hypothesis strategies shared by the property tests: small random networks as scenario text."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

small_fractions = st.fractions(min_value=-2, max_value=2, max_denominator=20)
decimals = st.integers(min_value=-2000, max_value=2000).map(lambda n: Fraction(n, 1000))


def fraction_text(f: Fraction) -> str:
    return f'"{f.numerator}/{f.denominator}"'


@st.composite
def networks(draw: Any, *, rational: bool, numbers: Any = small_fractions) -> dict[str, Any]:
    """A scenario as a plain dict: 1-3 linear layers of 1-4 units with activations between."""
    depth = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    acts = ["relu", "leaky_relu", "identity"] + ([] if rational else ["tanh", "sigmoid"])
    layers: list[dict[str, Any]] = []
    for k in range(depth):
        layer: dict[str, Any] = {
            "type": "linear",
            "weight": [[draw(numbers) for _ in range(sizes[k + 1])] for _ in range(sizes[k])],
        }
        if draw(st.booleans()):
            layer["bias"] = [draw(numbers) for _ in range(sizes[k + 1])]
        layers.append(layer)
        if k < depth - 1 or draw(st.booleans()):
            act = draw(st.sampled_from(acts))
            layers.append(
                {"type": act}
                if act != "leaky_relu"
                else {
                    "type": act,
                    "slope": draw(
                        st.sampled_from([Fraction(1, 100), Fraction(1, 10), Fraction(1, 2)])
                    ),
                }
            )
    n = draw(st.integers(1, 3))
    data = {
        "inputs": [[draw(numbers) for _ in range(sizes[0])] for _ in range(n)],
        "targets": [[draw(numbers) for _ in range(sizes[-1])] for _ in range(n)],
    }
    return {
        "name": "random network",
        "layers": layers,
        "loss": draw(st.sampled_from(["mse", "sse", "half_sse"])),
        "optimizer": {
            "type": "sgd",
            "lr": draw(st.sampled_from([Fraction(1, 10), Fraction(1, 100), Fraction(1, 2)])),
        },
        "data": data,
    }


def to_yaml(value: Any, indent: int = 0) -> str:
    """A tiny YAML writer for the dicts above (fractions as quoted "p/q" strings)."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item and isinstance(item, dict):
                lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 2)}")
            elif isinstance(item, list) and item and isinstance(item[0], dict):
                body = "\n".join(f"{pad}  -\n{to_yaml(entry, indent + 4)}" for entry in item)
                lines.append(f"{pad}{key}:\n{body}")
            else:
                lines.append(f"{pad}{key}: {to_yaml(item)}")
        return "\n".join(lines)
    if isinstance(value, list):
        return "[" + ", ".join(to_yaml(v) for v in value) + "]"
    if isinstance(value, Fraction):
        return fraction_text(value)
    return str(value)


with_zeros = st.one_of(st.just(Fraction(0)), small_fractions)  # zeros: dead units, zero inputs

OPTIMIZERS: dict[str, Any] = {
    "sgd": lambda draw: {
        "momentum": draw(st.sampled_from([0, Fraction(1, 2), Fraction(9, 10)])),
        "weight_decay": draw(st.sampled_from([0, Fraction(1, 10)])),
    },
    "adam": lambda draw: {
        "weight_decay": draw(st.sampled_from([0, Fraction(1, 10)])),
        "amsgrad": draw(st.booleans()),
    },
    "adamw": lambda draw: {"amsgrad": draw(st.booleans())},
    "rmsprop": lambda draw: {
        "momentum": draw(st.sampled_from([0, Fraction(9, 10)])),
        "centered": draw(st.booleans()),
        "weight_decay": draw(st.sampled_from([0, Fraction(1, 10)])),
    },
    "adagrad": lambda draw: {
        "lr_decay": draw(st.sampled_from([0, Fraction(1, 10)])),
        "weight_decay": draw(st.sampled_from([0, Fraction(1, 10)])),
    },
}


@st.composite
def optimizers(draw: Any) -> dict[str, Any]:
    """Any optimizer, with or without momentum, weight decay and its other options."""
    kind = draw(st.sampled_from(sorted(OPTIMIZERS)))
    options = {k: v for k, v in OPTIMIZERS[kind](draw).items() if v}
    if kind == "sgd" and options.get("momentum") and draw(st.booleans()):
        options["nesterov"] = True
    lr = draw(st.sampled_from([Fraction(1, 100), Fraction(1, 10), Fraction(1, 2), Fraction(2)]))
    return {"type": kind, "lr": lr, **options}


@st.composite
def training_runs(draw: Any) -> dict[str, Any]:
    """A scenario of several steps: random sizes, activations, loss, optimizer, batches, frozen
    parameters and numerics, with zeros among the numbers so that units die and inputs vanish."""
    loss = draw(st.sampled_from(["mse", "sse", "half_sse", "bce", "cross_entropy"]))
    depth = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    hidden = ["relu", "leaky_relu", "identity", "tanh", "sigmoid", "softmax"]
    layers: list[dict[str, Any]] = []
    for k in range(depth):
        layer: dict[str, Any] = {
            "type": "linear",
            "weight": [[draw(with_zeros) for _ in range(sizes[k + 1])] for _ in range(sizes[k])],
        }
        if draw(st.booleans()):
            layer["bias"] = [draw(with_zeros) for _ in range(sizes[k + 1])]
        layers.append(layer)
        if k < depth - 1 or (loss not in ("bce",) and draw(st.booleans())):
            act = draw(st.sampled_from(hidden))
            if k == depth - 1 and act == "softmax" and loss != "cross_entropy":
                act = "relu"
            spec: dict[str, Any] = {"type": act}
            if act == "leaky_relu":
                spec["slope"] = draw(st.sampled_from([Fraction(1, 100), Fraction(1, 2)]))
            if act == "relu":
                spec["grad_at_zero"] = draw(st.sampled_from([0, 0, 1, Fraction(1, 2)]))
            layers.append(spec)
    if loss == "bce":
        layers.append({"type": "sigmoid"})
    n = draw(st.integers(1, 4))
    inputs = [[draw(with_zeros) for _ in range(sizes[0])] for _ in range(n)]
    if loss == "cross_entropy":
        targets: list[Any] = [draw(st.integers(0, sizes[-1] - 1)) for _ in range(n)]
    elif loss == "bce":
        pick = st.sampled_from([0, 1, Fraction(1, 2), Fraction(3, 10)])
        targets = [[draw(pick) for _ in range(sizes[-1])] for _ in range(n)]
    else:
        targets = [[draw(small_fractions) for _ in range(sizes[-1])] for _ in range(n)]
    data: dict[str, Any] = {"inputs": inputs, "targets": targets}
    if n > 1 and draw(st.booleans()):
        data["batch_size"] = draw(st.integers(1, n))
    scenario: dict[str, Any] = {
        "name": "random run",
        "layers": layers,
        "loss": loss,
        "optimizer": draw(optimizers()),
        "data": data,
        "steps": draw(st.integers(1, 4)),
    }
    if depth > 1 and draw(st.integers(0, 3)) == 0:
        scenario["frozen"] = [draw(st.sampled_from([f"W{k + 1}" for k in range(depth)]))]
    if draw(st.booleans()):
        scenario["numerics"] = "float64"
    return scenario
