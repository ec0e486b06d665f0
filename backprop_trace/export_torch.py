"""A scenario as a standalone PyTorch script that prints the same JSON trace as
``backprop-trace run --format json``: the network with the scenario's weights, the loss, the
torch.optim optimizer, frozen parameters, the steps and batches, and the three lines
(zero_grad, backward, step) that do what the trace shows, in context.

A scenario is someone else's data: every string of it (its name, file name, layer and parameter
names) enters the script only as a ``repr()`` literal, so whatever it holds, it stays a string."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from . import layers as L
from .numerics import Array, to_float
from .scenario import Scenario

OPTIMIZERS = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}
LOSSES = {
    "mse": "nn.MSELoss()",
    "sse": 'nn.MSELoss(reduction="sum")',
    "half_sse": 'lambda y, t: 0.5 * nn.functional.mse_loss(y, t, reduction="sum")',
    "bce": "nn.BCELoss()",
    "cross_entropy": "nn.CrossEntropyLoss()",
}


def _literal(values: Array, indent: str = "    ") -> str:
    """A nested list of floats, one row per line."""
    floats = to_float(values)
    if floats.ndim == 1:
        return "[" + ", ".join(repr(float(v)) for v in floats) + "]"
    rows = [indent + "    [" + ", ".join(repr(float(v)) for v in row) + "]," for row in floats]
    return "[\n" + "\n".join(rows) + "\n" + indent + "]"


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Fraction):
        return repr(float(value))
    return repr(value)


def _module(layer: L.Layer) -> str:
    if isinstance(layer, L.Linear):
        bias = "" if layer.bias is not None else ", bias=False"
        return f"nn.Linear({layer.in_features}, {layer.out_features}{bias})"
    if isinstance(layer, L.ReLU):
        return "nn.ReLU()" if layer.grad_at_zero == 0 else f"ReLUAt({float(layer.grad_at_zero)!r})"
    if isinstance(layer, L.LeakyReLU):
        return f"nn.LeakyReLU({float(layer.slope)!r})"
    return {
        "tanh": "nn.Tanh()",
        "sigmoid": "nn.Sigmoid()",
        "identity": "nn.Identity()",
        "softmax": "nn.Softmax(dim=-1)",
    }[layer.kind]


RELU_AT = '''

class ReLUAtFunction(torch.autograd.Function):
    """max(0, x) whose derivative at exactly 0 is grad_at_zero (torch's own ReLU uses 0)."""

    @staticmethod
    def forward(ctx, x, grad_at_zero):
        ctx.save_for_backward(x)
        ctx.grad_at_zero = grad_at_zero
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        slope = (x > 0).to(grad.dtype) + (x == 0).to(grad.dtype) * ctx.grad_at_zero
        return grad * slope, None


class ReLUAt(nn.Module):
    def __init__(self, grad_at_zero):
        super().__init__()
        self.grad_at_zero = grad_at_zero

    def forward(self, x):
        return ReLUAtFunction.apply(x, self.grad_at_zero)
'''


def torch_script(scenario: Scenario) -> str:
    s = scenario
    needs_relu_at = any(isinstance(la, L.ReLU) and la.grad_at_zero != 0 for la in s.layers)
    modules = "\n".join(f"    {_module(layer)},  # {layer.name!r}" for layer in s.layers)
    lines = [
        '"""A backprop-trace scenario as a PyTorch script. Run it with PyTorch installed:',
        "    python this_file.py",
        "It prints the training trace as JSON, in the format of backprop-trace run --format json.",
        '"""',
        "",
        "import json",
        "",
        "import torch",
        "from torch import nn",
        "",
        "torch.set_default_dtype(torch.float64)  # every number in float64, as backprop-trace",
        "",
        f"SCENARIO = {s.name!r}",
        f"SOURCE = {s.source!r}  # the scenario file this script was generated from",
    ]
    if needs_relu_at:
        lines.append(RELU_AT)
    lines += ["", "model = nn.Sequential(", modules, ")", ""]
    lines += [
        "# The scenario's weights. nn.Linear keeps weight as [out, in]",
        "with torch.no_grad():",
    ]
    names: list[str] = []
    for i, layer in enumerate(s.layers):
        if not isinstance(layer, L.Linear):
            continue
        weight = s.initial[layer.weight].T  # in_out -> torch's [out, in]
        lines.append(f"    model[{i}].weight.copy_(torch.tensor({_literal(weight, '    ')}))")
        names.append(f"    {layer.weight!r}: model[{i}].weight,")
        if layer.bias is not None:
            lines.append(
                f"    model[{i}].bias.copy_(torch.tensor({_literal(s.initial[layer.bias])}))"
            )
            names.append(f"    {layer.bias!r}: model[{i}].bias,")
    lines += ["", "params = {", *names, "}"]
    if s.frozen:
        lines += ["", "# Frozen: requires_grad=False, so no gradient and no change"]
        lines += [f"params[{name!r}].requires_grad_(False)" for name in sorted(s.frozen)]
    hyper = s.optimizer.hyperparameters()
    if "beta1" in hyper:
        hyper["betas"] = (hyper.pop("beta1"), hyper.pop("beta2"))
    args = ", ".join(
        f"{k}=({_number(v[0])}, {_number(v[1])})" if isinstance(v, tuple) else f"{k}={_number(v)}"
        for k, v in hyper.items()
    )
    class_indices = s.class_indices is not None
    targets = (
        "torch.tensor(" + json.dumps(list(s.class_indices or ())) + ")"
        if class_indices
        else f"torch.tensor({_literal(s.targets)})"
    )
    lines += [
        "",
        f"loss_fn = {LOSSES[s.loss.kind]}",
        f"optimizer = torch.optim.{OPTIMIZERS[s.optimizer.kind]}(model.parameters(), {args})",
        "",
        f"inputs = torch.tensor({_literal(s.inputs)})",
        f"targets = {targets}",
        f"batch_size = {s.batch_size}",
        f"layout = {s.layout!r}",
        "",
        "",
        "def shown(tensor, name=''):",
        '    """As the scenario writes it: weights transposed back when its layout is in_out."""',
        "    tensor = tensor.detach()",
        "    if layout == 'in_out' and tensor.ndim == 2 and name in params:",
        "        tensor = tensor.T",
        "    return tensor.tolist()",
        "",
        "",
        "steps = []",
        f"for step in range(1, {s.steps} + 1):",
        "    batches = (len(inputs) + batch_size - 1) // batch_size",
        "    start = ((step - 1) % batches) * batch_size",
        "    x, t = inputs[start : start + batch_size], targets[start : start + batch_size]",
        "    old = {name: shown(p, name) for name, p in params.items()}",
        "",
        "    # Forward pass, keeping every layer's output to show its learning flow",
        "    values = [x]",
        "    for module in model:",
        "        values.append(module(values[-1]))",
        "        if values[-1].requires_grad:",
        "            values[-1].retain_grad()",
        "    loss = loss_fn(values[-1], t)",
        "",
        "    optimizer.zero_grad()  # clear the gradients of the step before",
        "    loss.backward()  # the backward pass: every gradient at once",
        "    optimizer.step()  # the update: new = old - step",
        "",
        "    with torch.no_grad():  # verify: the same batch through the new weights",
        "        after = model(x)",
        "        loss_after = loss_fn(after, t)",
        "    steps.append({",
        '        "step": step,',
        '        "examples": list(range(start, start + len(x))),',
        '        "loss_before": loss.item(),',
        '        "loss_after": loss_after.item(),',
        '        "outputs_before": shown(values[-1]),',
        '        "outputs_after": shown(after),',
        '        "params": [',
        '            {"name": name, "shape": list(torch.tensor(old[name]).shape),',
        '             "trainable": p.requires_grad, "old": old[name],',
        '             "grad": None if p.grad is None else shown(p.grad, name),',
        '             "new": shown(p, name)}',
        "            for name, p in params.items()",
        "        ],",
        '        "layers": [',
        '            {"name": name, "type": kind, "output": shown(v),',
        '             "grad_output": None if v.grad is None else shown(v.grad)}',
        f"            for name, kind, v in zip({[la.name for la in s.layers]!r}, "
        f"{[la.kind for la in s.layers]!r}, values[1:])",
        "        ],",
        "    })",
        "",
        "print(json.dumps({",
        '    "format": "backprop-trace/1",',
        '    "scenario": SCENARIO,',
        '    "numerics": "float64",',
        '    "steps": steps,',
        "}, indent=1))",
    ]
    return "\n".join(lines) + "\n"
