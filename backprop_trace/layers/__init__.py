"""Layer kinds, each one class (layers/base.py says what a kind declares), and their registry.

``LAYER_TYPES`` maps each kind's name to its class. A kind's module is imported the first time
its kind is looked up, so a scenario pays only for the kinds it has; listing the kinds imports
them all. ``KIND_MODULES`` is the index that makes this possible: which module defines which
kind (tests/test_kinds.py checks it against what the modules define). A kind defined outside
these modules registers by being defined, and is listed after them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backprop_trace.registry import Registry

from .base import (
    DEFINED,
    OPTION,
    PARAM,
    Builder,
    Building,
    Built,
    Layer,
    LayerNote,
    LayerSpec,
    Marked,
    Params,
    Shape,
    ShapeProblem,
    TableData,
)

if TYPE_CHECKING:
    from . import activations, images, linear, normalization, smooth
    from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
    from .linear import Linear

# kind -> the module (in this package) that defines it, in the order listings show the kinds
KIND_MODULES: dict[str, str] = {
    "linear": "linear",
    "relu": "activations",
    "leaky_relu": "activations",
    "tanh": "activations",
    "sigmoid": "activations",
    "identity": "activations",
    "softmax": "activations",
    "gelu": "smooth",
    "silu": "smooth",
    "elu": "smooth",
    "softplus": "smooth",
    "conv2d": "images",
    "maxpool2d": "images",
    "avgpool2d": "images",
    "flatten": "images",
    "batchnorm": "normalization",
    "layernorm": "normalization",
    "dropout": "normalization",
}


LAYER_TYPES: Registry[type[Layer]] = Registry(__name__, KIND_MODULES, DEFINED)

# what the package offers by name, imported when first read (PEP 562)
_LAZY = {
    "Linear": "linear",
    **dict.fromkeys(("Identity", "LeakyReLU", "ReLU", "Sigmoid", "Softmax", "Tanh"), "activations"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(LAYER_TYPES.module(_LAZY[name]), name)
    if name in KIND_MODULES.values():
        return LAYER_TYPES.module(name)
    if name == "LAYER_OPTIONS":
        return layer_options()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def layer_options() -> frozenset[str]:
    """Every kind's settings, by the name a scenario writes them under (grad_at_zero, slope,
    ...): imports every kind."""
    return frozenset(name for cls in LAYER_TYPES.values() for name in cls.option_names())


__all__ = [
    "KIND_MODULES",
    "LAYER_OPTIONS",
    "LAYER_TYPES",
    "OPTION",
    "PARAM",
    "Builder",
    "Building",
    "Built",
    "Identity",
    "Layer",
    "LayerNote",
    "LayerSpec",
    "LeakyReLU",
    "Linear",
    "Marked",
    "Params",
    "ReLU",
    "Shape",
    "ShapeProblem",
    "Sigmoid",
    "Softmax",
    "TableData",
    "Tanh",
    "activations",
    "images",
    "layer_options",
    "linear",
    "normalization",
    "smooth",
]
