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

from .numerics import Array, to_float
from .scenario import Scenario


def _literal(values: Array, indent: str = "    ") -> str:
    """A nested list of floats, one innermost row per line."""
    floats = to_float(values)
    if floats.ndim == 1:
        return "[" + ", ".join(repr(float(v)) for v in floats) + "]"
    rows = [indent + "    " + _literal(row, indent + "    ") + "," for row in floats]
    return "[\n" + "\n".join(rows) + "\n" + indent + "]"


def _shapes(s: Scenario) -> list[tuple[int, ...]]:
    shape = tuple(int(d) for d in s.inputs.shape[1:])
    out = []
    for layer in s.layers:
        out.append(shape)
        shape = layer.output_shape(shape)
    return out


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Fraction):
        return repr(float(value))
    return repr(value)


def torch_script(scenario: Scenario) -> str:
    s = scenario
    modules = "\n".join(f"    {layer.torch_module()},  # {layer.name!r}" for layer in s.layers)
    definitions = list(dict.fromkeys(d for layer in s.layers if (d := layer.torch_definitions())))
    lines = [
        '"""A backprop-trace scenario as a PyTorch script. Run it with PyTorch installed:',
        "    python this_file.py",
        "It prints the training trace as JSON, in the format of backprop-trace run --format json.",
        '"""',
        "",
        "import copy",
        "import json",
        "",
        "import torch",
        "from torch import nn",
        "",
        "torch.set_default_dtype(torch.float64)  # every number in float64, as backprop-trace",
        "",
        f"SCENARIO = {s.name!r}",
        f"SOURCE = {s.source!r}  # the scenario file this script was generated from",
        f"SEED = {s.seed!r}",
        f"SHAPES = {_shapes(s)!r}  # one example's shape into each layer",
    ]
    for definition in definitions:  # module classes of the kinds' own, each once
        lines += ["", definition.rstrip("\n"), ""]
    lines += ["", "model = nn.Sequential(", modules, ")", ""]
    lines += [
        "# The scenario's weights, in torch's layouts (nn.Linear keeps weight as [out, in])",
        "with torch.no_grad():",
    ]
    names: list[str] = []
    for i, layer in enumerate(s.layers):
        for role, name in layer.roles().items():
            value = _literal(layer.torch_value(role, s.initial[name]), "    ")
            lines.append(f"    model[{i}].{role}.copy_(torch.tensor({value}))")
            names.append(f"    {name!r}: model[{i}].{role},")
        for key, name in layer.state_names().items():  # buffers: running statistics
            value = _literal(s.initial_state[name], "    ")
            lines.append(f"    model[{i}].{key}.copy_(torch.tensor({value}))")
    lines += ["", "params = {", *names, "}"]
    if s.frozen:
        lines += ["", "# Frozen: requires_grad=False, so no gradient and no change"]
        lines += [f"params[{name!r}].requires_grad_(False)" for name in sorted(s.frozen)]
    hyper = s.optimizer.hyperparameters()
    for key, (a, b) in s.optimizer.pairs.items():  # betas: one tuple, as torch takes it
        hyper[key] = (hyper.pop(a), hyper.pop(b))
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
        f"loss_fn = {s.loss.torch_module}",
        f"optimizer = torch.optim.{s.optimizer.torch_name}(model.parameters(), {args})",
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
        "    for module, shape in zip(model, SHAPES):  # drawn for the step: dropout masks",
        "        if hasattr(module, 'new_step'):",
        "            module.new_step(len(x), shape)",
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
        "    buffers = copy.deepcopy(model.state_dict())  # verifying must not move running stats",
        "    with torch.no_grad():  # verify: the same batch through the new weights",
        "        after = model(x)",
        "        loss_after = loss_fn(after, t)",
        "    model.load_state_dict(buffers)",
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
