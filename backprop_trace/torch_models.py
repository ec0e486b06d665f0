"""A PyTorch model in: ``from_torch(model, inputs, targets, loss_fn, optimizer)`` reads an
``nn.Sequential``, its loss module and its optimizer into a Scenario, so that the engineer's
own model is traced (``save_scenario`` writes it as a file ``backprop-trace run`` reads).

What is supported is an explicit list (MODULES, LOSSES, the optimizers with a ``torch_name``);
anything else is refused with a message that names it. torch is imported by nothing here: the
objects passed in are read through their attributes, so torch stays an optional dependency.
Weights are copied as float64 (a float32 model's values are exact in float64); the trace runs
in float64, in PyTorch's layout (weight [out][in]), its parameters named as the model names
them (``0.weight``, ``fc1.bias``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from backprop_trace.optim import OPTIMIZER_TYPES
from backprop_trace.scenario import Scenario, scenario_from_dict


class UnsupportedModel(ValueError):
    """The model, loss or optimizer has something backprop-trace does not trace; the message
    names it."""


# module class name -> scenario layer type
MODULES = {
    "Linear": "linear",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "Identity": "identity",
    "Softmax": "softmax",
    "GELU": "gelu",
    "SiLU": "silu",
    "ELU": "elu",
    "Softplus": "softplus",
    "Conv2d": "conv2d",
    "MaxPool2d": "maxpool2d",
    "AvgPool2d": "avgpool2d",
    "Flatten": "flatten",
    "BatchNorm1d": "batchnorm",
    "BatchNorm2d": "batchnorm",
    "LayerNorm": "layernorm",
    "Dropout": "dropout",
}
# loss module, reduction -> scenario loss
LOSSES = {
    ("MSELoss", "mean"): "mse",
    ("MSELoss", "sum"): "sse",
    ("CrossEntropyLoss", "mean"): "cross_entropy",
    ("BCELoss", "mean"): "bce",
}
# optimizer settings that change nothing when they have these values
NEUTRAL = {
    "maximize": (False,),
    "foreach": (None, False),
    "capturable": (False,),
    "differentiable": (False,),
    "fused": (None, False),
    "decoupled_weight_decay": (False,),
}


def from_torch(
    model: Any,
    inputs: Any,
    targets: Any,
    loss_fn: Any,
    optimizer: Any,
    *,
    name: str | None = None,
) -> Scenario:
    """The scenario of one training step of ``model`` on (``inputs``, ``targets``) with
    ``loss_fn`` and ``optimizer`` (a fresh one: its state not yet advanced). Parameters
    whose ``requires_grad`` is False are frozen. Raises UnsupportedModel naming what is not
    supported; the scenario's own checks raise ScenarioError."""
    if type(model).__name__ != "Sequential":
        raise UnsupportedModel(
            f"{type(model).__name__}: from_torch reads an nn.Sequential of supported modules "
            f"({', '.join(sorted(set(MODULES)))})"
        )
    layers, frozen, params = [], [], []
    for child, module in model.named_children():
        layer, owned = _layer(child, module)
        layers.append(layer)
        for role, tensor in owned.items():
            params.append(tensor)
            if not tensor.requires_grad:
                frozen.append(f"{child}.{role}")
    data = {
        "name": name or f"PyTorch {type(model).__name__} ({len(layers)} modules)",
        "layout": "out_in",
        "layers": layers,
        "loss": _loss(loss_fn),
        "optimizer": _optimizer(optimizer, params),
        "data": _data(inputs, targets, type(loss_fn).__name__),
        "frozen": frozen,
        "numerics": "float64",
    }
    return scenario_from_dict(data, filename=f"<from_torch {data['name']}>")


def _values(tensor: Any) -> Any:
    """A tensor as nested lists of Python floats (float64: a float32's values exactly)."""
    return tensor.detach().cpu().double().tolist()


def _pair(value: Any) -> list[int]:
    return [int(v) for v in value] if isinstance(value, (tuple, list)) else [int(value)] * 2


def _refuse(child: str, kind: str, setting: str) -> UnsupportedModel:
    return UnsupportedModel(f"module {child} ({kind}): {setting} is not supported")


def _layer(child: str, module: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A module as a scenario layer, and its parameters by role."""
    kind = type(module).__name__
    if kind not in MODULES:
        raise UnsupportedModel(
            f"module {child} is {kind}, which backprop-trace does not trace; supported: "
            f"{', '.join(sorted(MODULES))}"
        )
    spec: dict[str, Any] = {"type": MODULES[kind], "name": child}
    owned: dict[str, Any] = {}
    if kind in ("Linear", "Conv2d"):
        spec["weight"] = _values(module.weight)
        owned["weight"] = module.weight
        if module.bias is None:
            spec["bias"] = False
        else:
            spec["bias"] = _values(module.bias)
            owned["bias"] = module.bias
    if kind == "Conv2d":
        if module.groups != 1 or _pair(module.dilation) != [1, 1]:
            raise _refuse(child, kind, "groups or dilation other than 1")
        if module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise _refuse(child, kind, f"padding {module.padding!r} ({module.padding_mode})")
        spec |= {
            "in_channels": int(module.in_channels),
            "out_channels": int(module.out_channels),
            "kernel_size": _pair(module.kernel_size),
            "stride": _pair(module.stride),
            "padding": _pair(module.padding),
        }
    elif kind in ("MaxPool2d", "AvgPool2d"):
        if _pair(module.padding) != [0, 0] or module.ceil_mode:
            raise _refuse(child, kind, "padding or ceil_mode")
        if kind == "MaxPool2d" and (_pair(module.dilation) != [1, 1] or module.return_indices):
            raise _refuse(child, kind, "dilation or return_indices")
        if kind == "AvgPool2d" and module.divisor_override is not None:
            raise _refuse(child, kind, "divisor_override")
        spec |= {"kernel_size": _pair(module.kernel_size), "stride": _pair(module.stride)}
    elif kind == "Flatten":
        if (module.start_dim, module.end_dim) != (1, -1):
            raise _refuse(child, kind, f"start_dim={module.start_dim}, end_dim={module.end_dim}")
    elif kind == "LeakyReLU":
        spec["slope"] = float(module.negative_slope)
    elif kind == "GELU":
        spec["approximate"] = module.approximate
    elif kind == "ELU":
        spec["alpha"] = float(module.alpha)
    elif kind == "Softplus":
        spec |= {"beta": float(module.beta), "threshold": float(module.threshold)}
    elif kind == "Softmax":
        if module.dim not in (-1, 1):
            raise _refuse(child, kind, f"dim={module.dim} (only the last dimension)")
    elif kind == "Dropout":
        if not module.training:
            raise _refuse(child, kind, "eval mode (dropout is traced as in training)")
        spec["p"] = float(module.p)
    elif kind in ("BatchNorm1d", "BatchNorm2d", "LayerNorm"):
        spec, owned = _normalisation(child, kind, module, spec)
    return spec, owned


def _normalisation(
    child: str, kind: str, module: Any, spec: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    owned: dict[str, Any] = {}
    spec["eps"] = float(module.eps)
    if kind == "LayerNorm":
        if len(module.normalized_shape) != 1:
            raise _refuse(child, kind, "a normalized_shape of more than the last dimension")
        affine = bool(module.elementwise_affine)
        if affine and module.bias is None:
            raise _refuse(child, kind, "bias=False")
    else:
        if not module.training:
            raise _refuse(child, kind, "eval mode (batch statistics are traced, as in training)")
        if not module.track_running_stats or module.momentum is None:
            raise _refuse(child, kind, "track_running_stats=False or momentum=None")
        affine = bool(module.affine)
        spec |= {
            "momentum": float(module.momentum),
            "running_mean": _values(module.running_mean),
            "running_var": _values(module.running_var),
        }
    spec["affine"] = affine
    if affine:
        spec |= {"weight": _values(module.weight), "bias": _values(module.bias)}
        owned = {"weight": module.weight, "bias": module.bias}
    return spec, owned


def _loss(loss_fn: Any) -> str:
    kind = type(loss_fn).__name__
    reduction = str(getattr(loss_fn, "reduction", None))
    if (kind, reduction) not in LOSSES:
        supported = ", ".join(f"{k}(reduction={r!r})" for k, r in LOSSES)
        raise UnsupportedModel(
            f"loss {kind}(reduction={reduction!r}) is not supported: {supported}"
        )
    if getattr(loss_fn, "weight", None) is not None:
        raise UnsupportedModel(f"loss {kind} with a weight is not supported")
    if kind == "CrossEntropyLoss" and (
        float(loss_fn.label_smoothing) != 0 or int(loss_fn.ignore_index) != -100
    ):
        raise UnsupportedModel(f"loss {kind}: label_smoothing or ignore_index is not supported")
    return LOSSES[(kind, reduction)]


def _optimizer(optimizer: Any, params: list[Any]) -> dict[str, Any]:
    kind = type(optimizer).__name__
    by_torch = {cls.torch_name: cls for cls in OPTIMIZER_TYPES.values()}
    if kind not in by_torch:
        raise UnsupportedModel(f"optimizer {kind} is not supported: {', '.join(sorted(by_torch))}")
    if len(optimizer.param_groups) != 1:
        raise UnsupportedModel(
            f"optimizer {kind} has {len(optimizer.param_groups)} parameter groups: from_torch "
            "reads one"
        )
    if any(_advanced(state) for state in optimizer.state.values()):
        raise UnsupportedModel(
            f"optimizer {kind}: its state has already advanced (it has taken a step); give "
            "from_torch a fresh optimizer"
        )
    group = optimizer.param_groups[0]
    given = {id(p) for p in group["params"]}
    trained = [p for p in params if p.requires_grad]
    missing = [p for p in trained if id(p) not in given]
    if missing or len(given) != len({id(p) for p in trained} | given):
        raise UnsupportedModel(
            f"optimizer {kind} must hold exactly the model's parameters that require a gradient"
        )
    cls = by_torch[kind]
    paired = {name for names in cls.pairs.values() for name in names}
    spec: dict[str, Any] = {"type": cls.kind}
    for field in dataclasses.fields(cls):
        if field.name not in paired:
            value = group[field.name]
            spec[field.name] = value if isinstance(value, bool) else float(value)
    for key in cls.pairs:
        spec[key] = [float(v) for v in group[key]]
    known = {"params", *spec, *cls.pairs}
    for key, value in group.items():
        if key in known or key in paired:
            continue
        if key in NEUTRAL and value in NEUTRAL[key]:
            continue
        if key == "decoupled_weight_decay" and value == getattr(cls, "decoupled", False):
            continue  # AdamW's own
        raise UnsupportedModel(f"optimizer {kind}: {key}={value!r} is not supported")
    return spec


def _advanced(state: dict[str, Any]) -> bool:
    """Whether a parameter's optimizer state shows a step taken (Adagrad fills its state at
    construction, with step 0)."""
    if not state:
        return False
    step = state.get("step")
    return step is None or float(step) > 0


def _data(inputs: Any, targets: Any, loss: str) -> dict[str, Any]:
    x = _values(inputs)
    if loss == "CrossEntropyLoss" and targets.dim() == 1:  # class indices
        t: Any = [int(c) for c in targets.tolist()]
    else:
        t = _values(targets)
    return {"inputs": x, "targets": t, "batch_size": len(x)}


__all__ = ["LOSSES", "MODULES", "UnsupportedModel", "from_torch"]
