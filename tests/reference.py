"""An independent reference: plain-Python Fractions, lists and loops, no numpy, no engine code.

Supports what exact numerics support (linear, relu, leaky_relu, identity; mse, sse, half_sse; sgd
without momentum), one batch, one step. Used as an oracle for the exact engine.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

Matrix = list[list[Fraction]]


def step(
    layers: list[dict[str, Any]], x: Matrix, t: Matrix, loss: str, lr: Fraction
) -> dict[str, Any]:
    """layers: {"type": "linear", "W": [[in][out]], "b": [out] or None} or activations."""
    values = [x]
    for layer in layers:
        a = values[-1]
        if layer["type"] == "linear":
            w, b = layer["W"], layer["b"]
            out = [
                [
                    sum((row[i] * w[i][j] for i in range(len(w))), Fraction(0))
                    + (b[j] if b is not None else 0)
                    for j in range(len(w[0]))
                ]
                for row in a
            ]
        elif layer["type"] == "relu":
            out = [[v if v > 0 else Fraction(0) for v in row] for row in a]
        elif layer["type"] == "leaky_relu":
            out = [[v if v > 0 else v * layer["slope"] for v in row] for row in a]
        else:
            out = [list(row) for row in a]
        values.append(out)
    y = values[-1]
    n = sum(len(row) for row in y)
    diffs = [[y[e][j] - t[e][j] for j in range(len(y[0]))] for e in range(len(y))]
    squares = sum(d * d for row in diffs for d in row)
    scale = {"mse": Fraction(1, n), "sse": Fraction(1), "half_sse": Fraction(1, 2)}[loss]
    loss_value = squares * scale
    g = [[2 * scale * d for d in row] for row in diffs]
    grads: list[dict[str, Any]] = [{} for _ in layers]
    for k in range(len(layers) - 1, -1, -1):
        layer, a = layers[k], values[k]
        if layer["type"] == "linear":
            w = layer["W"]
            grads[k]["W"] = [
                [
                    sum((a[e][i] * g[e][j] for e in range(len(a))), Fraction(0))
                    for j in range(len(w[0]))
                ]
                for i in range(len(w))
            ]
            if layer["b"] is not None:
                grads[k]["b"] = [
                    sum((g[e][j] for e in range(len(a))), Fraction(0)) for j in range(len(w[0]))
                ]
            g = [
                [
                    sum((g[e][j] * w[i][j] for j in range(len(w[0]))), Fraction(0))
                    for i in range(len(w))
                ]
                for e in range(len(a))
            ]
        elif layer["type"] == "relu":
            at0 = layer.get("grad_at_zero", Fraction(0))
            g = [
                [g[e][i] * (1 if v > 0 else at0 if v == 0 else 0) for i, v in enumerate(row)]
                for e, row in enumerate(a)
            ]
        elif layer["type"] == "leaky_relu":
            g = [
                [g[e][i] * (1 if v > 0 else layer["slope"]) for i, v in enumerate(row)]
                for e, row in enumerate(a)
            ]
    new = []
    for layer, grad in zip(layers, grads, strict=True):
        if layer["type"] != "linear":
            new.append(None)
            continue
        w = [
            [layer["W"][i][j] - lr * grad["W"][i][j] for j in range(len(layer["W"][0]))]
            for i in range(len(layer["W"]))
        ]
        b = (
            None
            if layer["b"] is None
            else [bj - lr * gj for bj, gj in zip(layer["b"], grad["b"], strict=True)]
        )
        new.append({"W": w, "b": b})
    return {"values": values, "loss": loss_value, "grads": grads, "new": new}
