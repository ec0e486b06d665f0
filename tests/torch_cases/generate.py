"""Write the PyTorch fixtures: small scenarios and what real PyTorch (float64) does with them.

    pip install torch==2.13.0 && python tests/torch_cases/generate.py

Each case becomes ``<case>.yaml`` (a scenario) and ``<case>.json`` (torch's verdict, step by step:
losses, outputs, every layer's output and dLoss/doutput, every parameter's grad and new value,
and the optimizer's state). The model is built here from the case's own data, not through
backprop-trace's loader, so the two sides share nothing but the file format.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def _weights(rng: np.random.Generator, fan_in: int, fan_out: int, layout: str) -> list[Any]:
    w = np.round(rng.uniform(-1, 1, size=(fan_in, fan_out)), 4)
    return (w if layout == "in_out" else w.T).tolist()


def _net(
    rng: np.random.Generator,
    sizes: list[int],
    acts: list[str | dict[str, Any]],
    layout: str,
    bias: bool = True,
) -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = []
    for k in range(len(sizes) - 1):
        layer: dict[str, Any] = {
            "type": "linear",
            "weight": _weights(rng, sizes[k], sizes[k + 1], layout),
        }
        if bias:
            layer["bias"] = np.round(rng.uniform(-0.5, 0.5, size=sizes[k + 1]), 4).tolist()
        layers.append(layer)
        act = acts[k] if k < len(acts) else None
        if act:
            layers.append(act if isinstance(act, dict) else {"type": act})
    return layers


def _data(rng: np.random.Generator, n: int, n_in: int, n_out: int, kind: str) -> dict[str, Any]:
    inputs = np.round(rng.uniform(-2, 2, size=(n, n_in)), 3).tolist()
    if kind == "regression":
        targets: Any = np.round(rng.uniform(-1, 1, size=(n, n_out)), 3).tolist()
    elif kind == "binary":
        targets = rng.integers(0, 2, size=(n, n_out)).astype(float).tolist()
    elif kind == "classes":
        targets = rng.integers(0, n_out, size=n).tolist()
    else:  # soft class probabilities
        raw = rng.uniform(0.05, 1, size=(n, n_out))
        targets = np.round(raw / raw.sum(axis=1, keepdims=True), 3)
        targets[:, -1] = np.round(1 - targets[:, :-1].sum(axis=1), 3)
        targets = targets.tolist()
    return {"inputs": inputs, "targets": targets}


def cases() -> dict[str, dict[str, Any]]:
    """The matrix: every activation, loss, optimizer and option, both layouts, frozen parameters,
    layers without bias, uneven mini-batches and several steps."""
    out: dict[str, dict[str, Any]] = {}

    def case(
        name: str,
        *,
        seed: int,
        sizes: list[int],
        acts: list[Any],
        loss: str,
        optimizer: dict[str, Any],
        data: str = "regression",
        n: int = 4,
        layout: str = "in_out",
        steps: int = 3,
        batch_size: int | None = None,
        bias: bool = True,
        frozen: list[str] | None = None,
        kink: bool = False,
    ) -> None:
        rng = np.random.default_rng(seed)
        scenario: dict[str, Any] = {
            "name": f"torch case {name}",
            "layout": layout,
            "layers": _net(rng, sizes, acts, layout, bias),
            "loss": loss,
            "optimizer": optimizer,
            "data": _data(rng, n, sizes[0], sizes[-1], data),
            "steps": steps,
            "numerics": "float64",
        }
        if kink:  # example 0 is all zeros and units 0, 1 have no bias: exactly at the kink
            scenario["data"]["inputs"][0] = [0.0] * sizes[0]
            scenario["layers"][0]["bias"][:2] = [0.0, 0.0]
        if batch_size:
            scenario["data"]["batch_size"] = batch_size
        if frozen:
            scenario["frozen"] = frozen
        out[name] = scenario

    case(
        "sgd_relu_mse_batches",
        seed=1,
        sizes=[3, 4, 2],
        acts=["relu"],
        loss="mse",
        optimizer={"type": "sgd", "lr": 0.1},
        n=5,
        batch_size=2,
        steps=4,
    )
    case(
        "sgd_momentum_tanh",
        seed=2,
        sizes=[3, 4, 2],
        acts=["tanh"],
        loss="mse",
        optimizer={"type": "sgd", "lr": 0.05, "momentum": 0.9},
    )
    case(
        "sgd_nesterov_wd_out_in",
        seed=3,
        sizes=[3, 5, 2],
        acts=["tanh"],
        loss="sse",
        optimizer={
            "type": "sgd",
            "lr": 0.02,
            "momentum": 0.8,
            "nesterov": True,
            "weight_decay": 0.01,
        },
        layout="out_in",
    )
    case(
        "sgd_dampening_leaky",
        seed=4,
        sizes=[4, 3, 3],
        acts=[{"type": "leaky_relu", "slope": 0.2}],
        loss="half_sse",
        optimizer={"type": "sgd", "lr": 0.05, "momentum": 0.5, "dampening": 0.3},
    )
    case(
        "adam_sigmoid_bce",
        seed=5,
        sizes=[3, 4, 2],
        acts=["relu", "sigmoid"],
        loss="bce",
        optimizer={"type": "adam", "lr": 0.01},
        data="binary",
        steps=4,
    )
    case(
        "adam_amsgrad_wd",
        seed=6,
        sizes=[3, 4, 2],
        acts=["tanh", "sigmoid"],
        loss="bce",
        optimizer={
            "type": "adam",
            "lr": 0.02,
            "betas": [0.8, 0.99],
            "eps": 1e-6,
            "weight_decay": 0.1,
            "amsgrad": True,
        },
        data="binary",
        steps=4,
    )
    case(
        "adamw_cross_entropy_indices",
        seed=7,
        sizes=[4, 5, 3],
        acts=["relu"],
        loss="cross_entropy",
        optimizer={"type": "adamw", "lr": 0.01},
        data="classes",
        n=6,
        batch_size=4,
        steps=3,
    )
    case(
        "adamw_soft_targets_leaky",
        seed=8,
        sizes=[4, 5, 3],
        acts=["leaky_relu"],
        loss="cross_entropy",
        optimizer={"type": "adamw", "lr": 0.03, "weight_decay": 0.1, "betas": [0.85, 0.95]},
        data="soft",
        n=3,
    )
    case(
        "rmsprop_default",
        seed=9,
        sizes=[3, 4, 2],
        acts=["sigmoid"],
        loss="mse",
        optimizer={"type": "rmsprop", "lr": 0.01},
    )
    case(
        "rmsprop_centered_momentum",
        seed=10,
        sizes=[3, 4, 2],
        acts=["tanh"],
        loss="mse",
        optimizer={
            "type": "rmsprop",
            "lr": 0.005,
            "alpha": 0.9,
            "centered": True,
            "momentum": 0.5,
            "weight_decay": 0.01,
            "eps": 1e-6,
        },
        layout="out_in",
    )
    case(
        "adagrad_default",
        seed=11,
        sizes=[3, 4, 2],
        acts=["relu"],
        loss="mse",
        optimizer={"type": "adagrad", "lr": 0.1},
    )
    case(
        "adagrad_options",
        seed=12,
        sizes=[3, 4, 2],
        acts=["tanh"],
        loss="sse",
        optimizer={
            "type": "adagrad",
            "lr": 0.1,
            "lr_decay": 0.1,
            "weight_decay": 0.01,
            "initial_accumulator_value": 0.1,
            "eps": 1e-8,
        },
    )
    case(
        "frozen_first_layer",
        seed=13,
        sizes=[10, 5, 2],
        acts=[None],
        loss="mse",
        optimizer={"type": "sgd", "lr": 0.01},
        frozen=["W1", "b1"],
        n=3,
    )
    case(
        "no_bias_identity_sse",
        seed=14,
        sizes=[3, 3, 2],
        acts=["identity"],
        loss="sse",
        optimizer={"type": "sgd", "lr": 0.05},
        bias=False,
    )
    case(
        "softmax_layer_mse",
        seed=15,
        sizes=[3, 4, 3],
        acts=["relu", "softmax"],
        loss="mse",
        optimizer={"type": "adam", "lr": 0.05},
    )
    case(
        "uneven_batches_out_in",
        seed=16,
        sizes=[2, 3, 1],
        acts=["tanh"],
        loss="mse",
        optimizer={"type": "sgd", "lr": 0.1, "momentum": 0.9},
        layout="out_in",
        n=5,
        batch_size=3,
        steps=4,
    )
    case(
        "kink_at_zero_relu",
        seed=17,
        sizes=[3, 4, 2],
        acts=["relu"],
        loss="mse",
        optimizer={"type": "sgd", "lr": 0.1},
        kink=True,
        steps=2,
    )
    case(
        "kink_at_zero_leaky",
        seed=18,
        sizes=[3, 4, 2],
        acts=[{"type": "leaky_relu", "slope": 0.1}],
        loss="mse",
        optimizer={"type": "sgd", "lr": 0.1},
        kink=True,
        steps=2,
    )
    case(
        "gelu_erf_adam",
        seed=19,
        sizes=[3, 4, 2],
        acts=["gelu"],
        loss="mse",
        optimizer={"type": "adam", "lr": 0.02},
    )
    case(
        "gelu_tanh_batches",
        seed=20,
        sizes=[3, 5, 2],
        acts=[{"type": "gelu", "approximate": "tanh"}],
        loss="sse",
        optimizer={"type": "sgd", "lr": 0.05, "momentum": 0.5},
        n=5,
        batch_size=2,
    )
    case(
        "silu_cross_entropy",
        seed=21,
        sizes=[4, 5, 3],
        acts=["silu"],
        loss="cross_entropy",
        optimizer={"type": "adamw", "lr": 0.01},
        data="classes",
    )
    case(
        "elu_default_kink",
        seed=22,
        sizes=[3, 4, 2],
        acts=["elu"],
        loss="mse",
        optimizer={"type": "sgd", "lr": 0.1},
        kink=True,
        steps=2,
    )
    case(
        "elu_alpha_half_kink",
        seed=23,
        sizes=[3, 4, 2],
        acts=[{"type": "elu", "alpha": 0.5}],
        loss="mse",
        optimizer={"type": "sgd", "lr": 0.1},
        kink=True,
        steps=2,
    )
    case(
        "softplus_beta_threshold",
        seed=24,
        sizes=[3, 4, 2],
        acts=[{"type": "softplus", "beta": 2.0, "threshold": 1.5}],
        loss="mse",
        optimizer={"type": "rmsprop", "lr": 0.01},
    )
    case(
        "kink_relu_grad_at_zero_one",
        seed=25,
        sizes=[3, 4, 2],
        acts=[{"type": "relu", "grad_at_zero": 1}],
        loss="mse",
        optimizer={"type": "sgd", "lr": 0.1},
        kink=True,
        steps=2,
    )
    case(
        "adamw_amsgrad_eps",
        seed=26,
        sizes=[3, 4, 2],
        acts=["silu"],
        loss="mse",
        optimizer={"type": "adamw", "lr": 0.02, "amsgrad": True, "eps": 1e-6},
        steps=4,
    )
    image_cases(out)
    normalisation_cases(out)
    return out


def normalisation_cases(out: dict[str, dict[str, Any]]) -> None:
    """batchnorm over vectors and images, several momentum steps; layernorm; dropout."""
    rng = np.random.default_rng(40)

    def data(n: int, n_in: int, n_out: int) -> dict[str, Any]:
        return {
            "inputs": np.round(rng.uniform(-2, 2, size=(n, n_in)), 2).tolist(),
            "targets": np.round(rng.uniform(-1, 1, size=(n, n_out)), 2).tolist(),
        }

    out["batchnorm1d_momentum"] = {
        "name": "torch case batchnorm1d_momentum",
        "layers": [
            {
                "type": "linear",
                "weight": _weights(rng, 3, 4, "in_out"),
                "bias": [0.1, 0, -0.1, 0.2],
            },
            {
                "type": "batchnorm",
                "name": "bn1",
                "momentum": 0.2,
                "weight": [1.0, 0.5, 2.0, -1.0],
                "bias": [0.0, 0.1, -0.2, 0.3],
                "running_mean": [0.1, 0.0, -0.1, 0.2],
                "running_var": [1.0, 2.0, 0.5, 1.5],
            },
            {"type": "relu"},
            {"type": "linear", "weight": _weights(rng, 4, 2, "in_out"), "bias": [0.0, 0.0]},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.5},
        "data": {**data(6, 3, 2), "batch_size": 4},
        "steps": 3,
        "numerics": "float64",
    }
    out["batchnorm_no_affine_defaults"] = {
        "name": "torch case batchnorm_no_affine_defaults",
        "layers": [
            {"type": "linear", "weight": _weights(rng, 2, 3, "in_out")},
            {"type": "batchnorm", "affine": False, "eps": 0.001},
            {"type": "tanh"},
            {"type": "linear", "weight": _weights(rng, 3, 1, "in_out"), "bias": [0.5]},
        ],
        "loss": "sse",
        "optimizer": {"type": "adam", "lr": 0.05},
        "data": data(3, 2, 1),
        "steps": 3,
        "numerics": "float64",
    }
    out["batchnorm2d_conv"] = {
        "name": "torch case batchnorm2d_conv",
        "layers": [
            {"type": "conv2d", "weight": _image(rng, (2, 1, 2, 2)), "bias": [0.0, 0.1]},
            {"type": "batchnorm", "momentum": 0.3},
            {"type": "relu"},
            {"type": "flatten"},
            {"type": "linear", "weight": _weights(rng, 18, 2, "in_out"), "bias": [0.0, 0.0]},
        ],
        "loss": "cross_entropy",
        "optimizer": {"type": "sgd", "lr": 0.1},
        "data": {"inputs": _image(rng, (3, 1, 4, 4), 2), "targets": [0, 1, 1]},
        "steps": 3,
        "numerics": "float64",
    }
    out["layernorm_gelu_adamw"] = {
        "name": "torch case layernorm_gelu_adamw",
        "layers": [
            {"type": "linear", "weight": _weights(rng, 3, 5, "out_in"), "bias": [0.1] * 5},
            {
                "type": "layernorm",
                "weight": [1.0, 0.9, 1.1, 0.8, 1.2],
                "bias": [0, 0.1, 0, -0.1, 0],
            },
            {"type": "gelu"},
            {"type": "linear", "weight": _weights(rng, 5, 2, "out_in"), "bias": [0.0, 0.0]},
        ],
        "layout": "out_in",
        "loss": "mse",
        "optimizer": {"type": "adamw", "lr": 0.01, "weight_decay": 0.05},
        "data": data(4, 3, 2),
        "steps": 3,
        "numerics": "float64",
    }
    out["layernorm_no_affine_eps"] = {
        "name": "torch case layernorm_no_affine_eps",
        "layers": [
            {"type": "linear", "weight": _weights(rng, 3, 4, "in_out"), "bias": [0.1] * 4},
            {"type": "layernorm", "affine": False, "eps": 0.01},
            {"type": "elu"},
            {"type": "linear", "weight": _weights(rng, 4, 1, "in_out")},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.05},
        "data": {**data(4, 3, 1), "batch_size": 3},
        "steps": 2,
        "numerics": "float64",
    }
    out["dropout_mask"] = {
        "name": "torch case dropout_mask",
        "layers": [
            {"type": "linear", "weight": _weights(rng, 3, 4, "in_out"), "bias": [0.1, 0, 0, 0.2]},
            {"type": "relu"},
            {"type": "dropout", "p": 0.5, "mask": [1, 0, 1, 1]},
            {"type": "linear", "weight": _weights(rng, 4, 2, "in_out"), "bias": [0.0, 0.0]},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.1},
        "data": data(3, 3, 2),
        "steps": 2,
        "numerics": "float64",
    }
    out["dropout_drawn_batches"] = {
        "name": "torch case dropout_drawn_batches",
        "layers": [
            {"type": "linear", "weight": _weights(rng, 3, 5, "in_out"), "bias": [0.0] * 5},
            {"type": "tanh"},
            {"type": "dropout", "p": 0.25},
            {"type": "linear", "weight": _weights(rng, 5, 2, "in_out"), "bias": [0.0, 0.0]},
            {"type": "dropout", "p": 0.5},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
        "data": {**data(5, 3, 2), "batch_size": 2},
        "steps": 4,
        "seed": 3,
        "numerics": "float64",
    }
    return None


def data_of(scenario: dict[str, Any]) -> Any:
    data = scenario["data"]
    return data["inputs"] if "inputs" in data else [data["input"]]


def _features(scenario: dict[str, Any], index: int) -> int:
    """The features (channels) going into layer ``index``: from the layer with weights before."""
    for spec in reversed(scenario["layers"][:index]):
        if spec["type"] == "linear":
            w = np.array(spec["weight"])
            return int(w.shape[1] if scenario.get("layout", "in_out") == "in_out" else w.shape[0])
        if spec["type"] == "conv2d":
            return len(spec["weight"])
    return int(np.array(data_of(scenario)).shape[1])


def _image(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> list[Any]:
    return (np.round(rng.uniform(-scale, scale, size=shape) * 4) / 4).tolist()  # quarters


def image_cases(out: dict[str, dict[str, Any]]) -> None:
    """Images: convolutions with stride and padding, pools (ties on purpose), flatten."""
    rng = np.random.default_rng(30)
    out["conv_stride_padding"] = {
        "name": "torch case conv_stride_padding",
        "layers": [
            {
                "type": "conv2d",
                "name": "conv1",
                "weight": _image(rng, (2, 1, 3, 3)),
                "bias": [0.1, -0.2],
                "stride": 2,
                "padding": 1,
            },
            {"type": "tanh"},
            {"type": "flatten"},
            {"type": "linear", "weight": _weights(rng, 18, 2, "in_out"), "bias": [0.0, 0.1]},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
        "data": {
            "inputs": _image(rng, (3, 1, 5, 5), 2),
            "targets": np.round(rng.uniform(-1, 1, size=(3, 2)), 2).tolist(),
        },
        "steps": 3,
        "numerics": "float64",
    }
    out["conv_two_channels_no_bias"] = {
        "name": "torch case conv_two_channels_no_bias",
        "layers": [
            {
                "type": "conv2d",
                "weight": _image(rng, (3, 2, 2, 3)),
                "stride": [1, 2],
                "padding": [1, 0],
            },
            {"type": "relu"},
            {"type": "flatten"},
            {"type": "linear", "weight": _weights(rng, 36, 2, "out_in"), "bias": [0.2, -0.1]},
        ],
        "layout": "out_in",
        "loss": "half_sse",
        "optimizer": {"type": "adam", "lr": 0.01},
        "data": {
            "inputs": _image(rng, (2, 2, 5, 6), 2),
            "targets": np.round(rng.uniform(-1, 1, size=(2, 2)), 2).tolist(),
        },
        "steps": 2,
        "numerics": "float64",
    }
    ties = np.array(_image(rng, (4, 1, 6, 6), 1))
    ties[:, :, 0, 0] = ties[:, :, 0, 1] = 1.0  # the same largest value twice in a window
    ties[:, :, 2, 2] = ties[:, :, 3, 3] = 1.0
    out["cnn_maxpool_ties_cross_entropy"] = {
        "name": "torch case cnn_maxpool_ties_cross_entropy",
        "layers": [
            {"type": "maxpool2d", "kernel_size": 2},
            {
                "type": "conv2d",
                "weight": _image(rng, (2, 1, 2, 2)),
                "bias": [0.0, 0.25],
            },
            {"type": "relu"},
            {"type": "maxpool2d", "kernel_size": 2, "stride": 1},
            {"type": "flatten"},
            {"type": "linear", "weight": _weights(rng, 2, 3, "in_out"), "bias": [0.0, 0.0, 0.0]},
        ],
        "loss": "cross_entropy",
        "optimizer": {"type": "sgd", "lr": 0.1},
        "data": {"inputs": ties.tolist(), "targets": [0, 2, 1, 2], "batch_size": 2},
        "steps": 3,
        "numerics": "float64",
    }
    out["avgpool_stride"] = {
        "name": "torch case avgpool_stride",
        "layers": [
            {"type": "conv2d", "weight": _image(rng, (1, 1, 2, 2)), "bias": [0.5]},
            {"type": "sigmoid"},
            {"type": "avgpool2d", "kernel_size": [2, 3], "stride": 1},
            {"type": "flatten"},
            {"type": "linear", "weight": _weights(rng, 9, 1, "in_out")},
        ],
        "loss": "mse",
        "optimizer": {"type": "rmsprop", "lr": 0.01},
        "data": {
            "inputs": _image(rng, (2, 1, 5, 6), 2),
            "targets": [[0.5], [-0.5]],
        },
        "steps": 2,
        "numerics": "float64",
    }
    out["conv_exact_fractions"] = {
        "name": "torch case conv_exact_fractions",
        "layers": [
            {
                "type": "conv2d",
                "weight": [[[[0.5, -0.25], [0.25, 1.0]]], [[[-1.0, 0.5], [0.0, 0.75]]]],
                "bias": [0.0, 0.5],
                "padding": 1,
            },
            {"type": "relu"},
            {"type": "avgpool2d", "kernel_size": 2},
            {"type": "flatten"},
            {"type": "linear", "weight": _weights(rng, 8, 1, "in_out"), "bias": [0.25]},
        ],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.125},
        "data": {
            "input": [[[1, 0, -1], [0.5, 2, 0], [0, -0.5, 1]]],
            "target": [1],
        },
        "steps": 2,
    }


def run_torch(scenario: dict[str, Any]) -> dict[str, Any]:
    """What PyTorch does with the scenario, step by step, in the scenario's layout."""
    import torch
    from torch import nn

    torch.set_default_dtype(torch.float64)
    layout = scenario.get("layout", "in_out")
    modules: list[nn.Module] = []
    names: list[str] = []
    params: list[tuple[str, nn.Parameter]] = []
    k = 0
    counts: dict[str, int] = {}
    stateful: list[tuple[int, nn.Module]] = []  # batchnorm layers: running statistics
    dropouts: list[tuple[int, Any]] = []
    draws = np.random.default_rng(scenario.get("seed", 0))

    class Replay(nn.Module):
        """x · mask / (1 − p): the mask given, or drawn at each step by the product's rule"""

        def __init__(self, p: float, mask: Any) -> None:
            super().__init__()
            self.p, self.fixed, self.mask = p, mask, None

        def new_step(self, shape: tuple[int, ...]) -> None:
            if self.fixed is not None:
                self.mask = torch.tensor(self.fixed, dtype=torch.float64).expand(*shape)
            else:
                self.mask = torch.tensor(draws.random(shape) >= self.p, dtype=torch.float64)

        def forward(self, x: Any) -> Any:
            return x * self.mask / (1 - self.p)

    class ReLUAtFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, at_zero: float) -> Any:
            ctx.save_for_backward(x)
            ctx.at_zero = at_zero
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            (x,) = ctx.saved_tensors
            slope = (x > 0).to(grad.dtype) + (x == 0).to(grad.dtype) * ctx.at_zero
            return grad * slope, None

    class ReLUAt(nn.Module):
        """max(0, x) with the derivative at exactly 0 a choice (torch's own: 0)"""

        def __init__(self, at_zero: float) -> None:
            super().__init__()
            self.at_zero = at_zero

        def forward(self, x: Any) -> Any:
            return ReLUAtFunction.apply(x, self.at_zero)

    for spec in scenario["layers"]:
        kind = spec["type"]
        counts[kind] = counts.get(kind, 0) + 1
        layer_name = spec.get("name", f"{kind}{counts[kind]}")
        if kind == "conv2d":
            w = torch.tensor(spec["weight"])
            conv = nn.Conv2d(
                w.shape[1],
                w.shape[0],
                kernel_size=tuple(w.shape[2:]),
                stride=spec.get("stride", 1),
                padding=spec.get("padding", 0),
                bias="bias" in spec,
            )
            with torch.no_grad():
                conv.weight.copy_(w)
                if "bias" in spec:
                    conv.bias.copy_(torch.tensor(spec["bias"]))
            params.append((f"{layer_name}.weight", conv.weight))
            if "bias" in spec:
                params.append((f"{layer_name}.bias", conv.bias))
            modules.append(conv)
        elif kind in ("batchnorm", "layernorm"):
            features = _features(scenario, len(modules))
            affine = spec.get("affine", True)
            if kind == "layernorm":
                norm: nn.Module = nn.LayerNorm(
                    features, eps=spec.get("eps", 1e-5), elementwise_affine=affine
                )
            else:
                images = len(np.array(data_of(scenario)).shape) == 4 and any(
                    m["type"] == "conv2d" for m in scenario["layers"][: len(modules)]
                )
                cls = nn.BatchNorm2d if images else nn.BatchNorm1d
                norm = cls(
                    features,
                    eps=spec.get("eps", 1e-5),
                    momentum=spec.get("momentum", 0.1),
                    affine=affine,
                )
                with torch.no_grad():
                    if "running_mean" in spec:
                        norm.running_mean.copy_(torch.tensor(spec["running_mean"]))
                    if "running_var" in spec:
                        norm.running_var.copy_(torch.tensor(spec["running_var"]))
                stateful.append((len(modules), norm))
            if affine:
                with torch.no_grad():
                    if "weight" in spec:
                        norm.weight.copy_(torch.tensor(spec["weight"]))
                    if "bias" in spec:
                        norm.bias.copy_(torch.tensor(spec["bias"]))
                params.append((f"{layer_name}.weight", norm.weight))
                params.append((f"{layer_name}.bias", norm.bias))
            modules.append(norm)
        elif kind == "dropout":
            drop = Replay(spec.get("p", 0.5), spec.get("mask"))
            dropouts.append((len(modules), drop))
            modules.append(drop)
        elif kind == "maxpool2d":
            modules.append(nn.MaxPool2d(spec["kernel_size"], stride=spec.get("stride")))
        elif kind == "avgpool2d":
            modules.append(nn.AvgPool2d(spec["kernel_size"], stride=spec.get("stride")))
        elif kind == "flatten":
            modules.append(nn.Flatten())
        elif kind == "linear":
            k += 1
            w = torch.tensor(spec["weight"])
            if layout == "in_out":
                w = w.T
            lin = nn.Linear(w.shape[1], w.shape[0], bias="bias" in spec)
            with torch.no_grad():
                lin.weight.copy_(w)
                if "bias" in spec:
                    lin.bias.copy_(torch.tensor(spec["bias"]))
            params.append((f"W{k}", lin.weight))
            if "bias" in spec:
                params.append((f"b{k}", lin.bias))
            modules.append(lin)
        elif kind == "relu" and spec.get("grad_at_zero", 0) != 0:
            modules.append(ReLUAt(float(spec["grad_at_zero"])))
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "leaky_relu":
            modules.append(nn.LeakyReLU(spec.get("slope", 0.01)))
        elif kind == "tanh":
            modules.append(nn.Tanh())
        elif kind == "sigmoid":
            modules.append(nn.Sigmoid())
        elif kind == "identity":
            modules.append(nn.Identity())
        elif kind == "softmax":
            modules.append(nn.Softmax(dim=-1))
        elif kind == "gelu":
            modules.append(nn.GELU(approximate=spec.get("approximate", "none")))
        elif kind == "silu":
            modules.append(nn.SiLU())
        elif kind == "elu":
            modules.append(nn.ELU(alpha=spec.get("alpha", 1.0)))
        elif kind == "softplus":
            modules.append(
                nn.Softplus(beta=spec.get("beta", 1.0), threshold=spec.get("threshold", 20.0))
            )
        names.append(kind)
    for name, p in params:
        if name in scenario.get("frozen", []):
            p.requires_grad_(False)
    loss_name = scenario["loss"]
    losses = {
        "mse": nn.MSELoss(),
        "sse": nn.MSELoss(reduction="sum"),
        "half_sse": lambda y, t: 0.5 * nn.functional.mse_loss(y, t, reduction="sum"),
        "bce": nn.BCELoss(),
        "cross_entropy": nn.CrossEntropyLoss(),
    }
    loss_fn = losses[loss_name]
    opt_spec = dict(scenario["optimizer"])
    kind = opt_spec.pop("type")
    if "betas" in opt_spec:
        opt_spec["betas"] = tuple(opt_spec["betas"])
    optimizers = {
        "sgd": torch.optim.SGD,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "rmsprop": torch.optim.RMSprop,
        "adagrad": torch.optim.Adagrad,
    }
    optimizer = optimizers[kind]([p for _, p in params], **opt_spec)
    data = scenario["data"]
    inputs = torch.tensor(data["inputs"] if "inputs" in data else [data["input"]])
    raw_targets = data["targets"] if "targets" in data else [data["target"]]
    class_indices = loss_name == "cross_entropy" and not isinstance(raw_targets[0], list)
    targets = torch.tensor(raw_targets, dtype=torch.long if class_indices else None)
    n = len(inputs)
    batch_size = scenario["data"].get("batch_size", n)
    n_batches = math.ceil(n / batch_size)

    def shown(t: torch.Tensor, name: str = "") -> Any:
        t = t.detach()
        if layout == "in_out" and t.ndim == 2 and name.startswith("W"):
            t = t.T
        return t.tolist()

    def forward(x: torch.Tensor) -> list[torch.Tensor]:
        values = [x]
        for m in modules:
            values.append(m(values[-1]))
        return values

    def extras(i: int) -> dict[str, Any]:
        m = modules[i]
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            return {
                "state": {
                    "running_mean": m.running_mean.tolist(),
                    "running_var": m.running_var.tolist(),
                }
            }
        if isinstance(m, Replay):
            return {"mask": m.mask.tolist()}
        return {}

    steps = []
    for step in range(1, scenario["steps"] + 1):
        b = (step - 1) % n_batches
        rows = list(range(b * batch_size, min((b + 1) * batch_size, n)))
        x, t = inputs[rows], targets[rows]
        optimizer.zero_grad()
        shape = tuple(x.shape)
        for m in modules:  # masks for this step, layer by layer (shapes from a dry run)
            if isinstance(m, Replay):
                m.new_step(shape)
            with torch.no_grad():
                if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                    shape = shape  # batchnorm keeps the shape; do not run it (running stats)
                else:
                    shape = tuple(m(torch.zeros(shape)).shape)
        values = forward(x)
        for v in values[1:]:
            if v.requires_grad:
                v.retain_grad()
        loss = loss_fn(values[-1], t)
        old = {name: shown(p, name) for name, p in params}
        loss.backward()
        grads = {name: None if p.grad is None else shown(p.grad, name) for name, p in params}
        flows = [shown(v.grad) if v.grad is not None else None for v in values[1:]]
        optimizer.step()
        saved = [(m.running_mean.clone(), m.running_var.clone()) for _, m in stateful]
        with torch.no_grad():
            after = forward(x)[-1]
            loss_after = loss_fn(after, t)
        for (_, m), (mean, var) in zip(
            stateful, saved, strict=True
        ):  # verifying moves no statistics
            m.running_mean.copy_(mean)
            m.running_var.copy_(var)
        states = {}
        for name, p in params:
            st = optimizer.state.get(p, {})
            states[name] = {
                key: (float(v) if v.ndim == 0 else shown(v, name))
                for key, v in st.items()
                if torch.is_tensor(v)
            }
        steps.append(
            {
                "step": step,
                "examples": rows,
                "loss_before": loss.item(),
                "loss_after": loss_after.item(),
                "outputs_before": shown(values[-1]),
                "outputs_after": shown(after),
                "layers": [
                    {
                        "type": names[i],
                        "output": shown(values[i + 1]),
                        "grad_output": flows[i],
                        **extras(i),
                    }
                    for i in range(len(modules))
                ],
                "params": [
                    {
                        "name": name,
                        "old": old[name],
                        "grad": grads[name],
                        "new": shown(p, name),
                        "state": states[name],
                    }
                    for name, p in params
                ],
            }
        )
    return {"torch": torch.__version__, "steps": steps}


LONG_RUN = {
    "name": "long run: XOR with a sigmoid network",
    "layers": [
        {
            "type": "linear",
            "weight": [[0.5, -0.4, 0.3], [-0.6, 0.7, 0.2]],
            "bias": [0.1, 0.0, -0.1],
        },
        {"type": "sigmoid"},
        {"type": "linear", "weight": [[0.6], [-0.5], [0.4]], "bias": [0.0]},
        {"type": "sigmoid"},
    ],
    "loss": "mse",
    "optimizer": {"type": "sgd", "lr": 2.0, "momentum": 0.5},
    "data": {
        "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
        "targets": [[0], [1], [1], [0]],
        "batch_size": 2,
    },
    "steps": 10000,
}


def run_torch_losses(scenario: dict[str, Any]) -> dict[str, Any]:
    """The loss before every step of a long run (only the losses: the run is long)."""
    import torch
    from torch import nn

    torch.set_default_dtype(torch.float64)
    layers: list[nn.Module] = []
    for spec in scenario["layers"]:
        if spec["type"] == "linear":
            w = torch.tensor(spec["weight"]).T
            lin = nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(w)
                lin.bias.copy_(torch.tensor(spec["bias"]))
            layers.append(lin)
        else:
            layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    opt_spec = dict(scenario["optimizer"])
    opt_spec.pop("type")
    optimizer = torch.optim.SGD(model.parameters(), **opt_spec)
    x = torch.tensor(scenario["data"]["inputs"], dtype=torch.float64)
    t = torch.tensor(scenario["data"]["targets"], dtype=torch.float64)
    size = scenario["data"]["batch_size"]
    batches = math.ceil(len(x) / size)
    losses = []
    for step in range(1, scenario["steps"] + 1):
        b = (step - 1) % batches
        rows = slice(b * size, (b + 1) * size)
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x[rows]), t[rows])
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return {"torch": torch.__version__, "losses_before": losses}


def main() -> None:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = None
    yaml.width = 100
    only = set(sys.argv[1:])  # case names: write just those (and not the long run)
    for name, scenario in cases().items():
        if only and name not in only:
            continue
        with (HERE / f"{name}.yaml").open("w") as f:
            f.write(f"# Generated by tests/torch_cases/generate.py; the verdict is {name}.json\n")
            yaml.dump(scenario, f)
        verdict = run_torch(scenario)
        (HERE / f"{name}.json").write_text(json.dumps(verdict, indent=1) + "\n")
        print(f"wrote {name}", file=sys.stderr)
    if only:
        return
    long_dir = HERE / "long"
    long_dir.mkdir(exist_ok=True)
    with (long_dir / "xor_sigmoid.yaml").open("w") as f:
        f.write("# Generated by tests/torch_cases/generate.py; the verdict is xor_sigmoid.json\n")
        yaml.dump(LONG_RUN, f)
    verdict = run_torch_losses(LONG_RUN)
    (long_dir / "xor_sigmoid.json").write_text(json.dumps(verdict) + "\n")
    print("wrote long/xor_sigmoid", file=sys.stderr)


if __name__ == "__main__":
    main()
