"""A commented starter scenario: the network, loss and optimizer asked for, with weights drawn
from a seed and written out as short decimals (so a rational network is traced exactly)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads when a starter is written, not when the CLI starts
    import numpy as np
    import numpy.typing as npt

from .wording import plural
from .yaml_text import quoted


def choices() -> dict[str, tuple[str, ...]]:
    """What `new` offers, read from the registries (imported only when a starter is made, so
    the command line starts without numpy): the activation kinds, losses and optimizers."""
    from .layers import LAYER_TYPES
    from .losses import LOSS_TYPES
    from .optim import OPTIMIZER_TYPES

    return {
        "--activation": tuple(kind for kind, cls in LAYER_TYPES.items() if cls.activation),
        "--loss": tuple(LOSS_TYPES),
        "--optimizer": tuple(OPTIMIZER_TYPES),
    }


def _row(values: npt.NDArray[np.float64]) -> str:
    return "[" + ", ".join(f"{v:.2f}".replace("-0.00", "0.00") for v in values) + "]"


def starter_text(
    name: str, sizes: list[int], activation: str, loss: str, optimizer: str, lr: float, seed: int
) -> str:
    import numpy as np

    rng = np.random.default_rng(seed)
    lines = [
        f"name: {quoted(name)}",
        "description: >-",
        f"  A {'-'.join(map(str, sizes))} network with {activation} units, {loss} loss and "
        f"{optimizer}, made by backprop-trace new (seed {seed}).",
        "",
        "# in_out: weight[i][j] joins input i to unit j, and y = x @ W + b.",
        "# (out_in is PyTorch's nn.Linear layout: weight[j][i].)",
        "layout: in_out",
        "",
        "layers:",
    ]
    for k in range(len(sizes) - 1):
        fan_in, fan_out = sizes[k], sizes[k + 1]
        bound = 1 / np.sqrt(fan_in)  # nn.Linear's default range, rounded to 2 decimals below
        weight = rng.uniform(-bound, bound, size=(fan_in, fan_out))
        bias = rng.uniform(-bound, bound, size=fan_out)
        lines.append(
            f"  - type: linear  # W{k + 1}: {plural(fan_in, 'input')} × {plural(fan_out, 'unit')}"
        )
        lines.append("    weight:")
        lines += [f"      - {_row(row)}" for row in weight]
        lines.append(f"    bias: {_row(bias)}")
        last = k == len(sizes) - 2
        if not last:
            lines.append(f"  - type: {activation}")
        elif loss == "bce":
            lines.append("  - type: sigmoid  # bce compares probabilities")
    outputs = sizes[-1]
    x = rng.integers(1, 4, size=sizes[0]).astype(float)  # no zero input: every weight can learn
    if loss == "cross_entropy":
        target = str(int(rng.integers(0, outputs)))
        target_note = "  # a class index: the outputs are logits"
    elif loss == "bce":
        target = _row(rng.integers(0, 2, size=outputs).astype(float))
        target_note = "  # probabilities in [0, 1]"
    else:
        target = _row(rng.uniform(-1, 1, size=outputs))
        target_note = ""
    lines += [
        "",
        f"loss: {loss}  # mse, sse, half_sse, bce or cross_entropy",
        "",
        "optimizer:  # torch.optim's semantics and defaults",
        f"  type: {optimizer}",
        f"  lr: {lr!r}",
        "",
        "data:",
        f"  input: {_row(x)}",
        f"  target: {target}{target_note}",
        "  # or a batch: inputs: [[...], ...] and targets: [...]; or file: train.npz",
        "",
        "steps: 1",
        "numerics: auto  # exact fractions when every operation is rational, else float64",
    ]
    return "\n".join(lines) + "\n"
