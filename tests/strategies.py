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
